"""The annual statements (bilan and compte de résultat) built from account balances, pure.

Layouts follow the official models: the PCG "système de base" (ANC 2022-06) for the CAE
("pcg") and the ANC 2018-06 model for the association ("asso"). Both statements are tables
with two sides: the bilan has Actif and Passif, the compte de résultat has Charges and Produits.
Fixed assets are shown net (28x, 29x, 39x, 49x, 59x are deducted on their asset's line); "dont"
lines of the models (ventes de dons en nature, parrainages) are lines of their own so that
every account feeds exactly one line.

The books have no closing entries, so the year's result is computed from classes 6 and 7 and
shown as the bilan's "Résultat de l'exercice". What 120/129 still hold was carried forward from
earlier years and awaits the general assembly's allocation; it gets its own line, "Résultats
antérieurs en instance d'affectation", rather than being folded into report à nouveau, which
would pre-empt the assembly (it may go to reserves instead).

Contributions volontaires en nature (classes 86/87) sit at the foot of the association's
compte de résultat (`Statement.footer`), outside the result. Other class 8 balances land in a
footer too, so that nothing is dropped. The bilan balances when classes 1 to 7 sum to zero;
class 8 balances on its own (Σ 86 = Σ 87).

A line of the layout is data: a label and the account prefixes it collects, in three lists:
`net` (whatever the account's sign), `debit` (only while the account has a debit balance) and
`credit` (only while it has a credit balance). An account goes to the line declaring its
longest prefix for its sign; each class has a catch-all line so that nothing is ever dropped.
The debit/credit test is made on each key of `balances`: pass third-party accounts at the
level you want tested (per customer sub-account for a strict presentation).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_stubs_ext import StrOrPromise

from kpa.core.money import quantize
from kpa.ledger.charts import account_class

ZERO = Decimal("0.00")

# -- what the caller gets ---------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    label: StrOrPromise
    amount: Decimal
    previous: Decimal | None  # None when no previous year was given
    accounts: tuple[str, ...]  # the keys of `balances` or `previous` that fed this line


@dataclass(frozen=True)
class Section:
    title: StrOrPromise
    lines: tuple[StatementLine, ...]
    total: Decimal
    previous_total: Decimal | None


@dataclass(frozen=True)
class Side:
    title: StrOrPromise
    sections: tuple[Section, ...]
    total: Decimal
    previous_total: Decimal | None


@dataclass(frozen=True)
class Statement:
    title: StrOrPromise
    sides: tuple[Side, ...]
    footer: tuple[Side, ...] = ()  # outside the totals: contributions volontaires en nature


@dataclass(frozen=True)
class AnnualStatements:
    template: str
    balance_sheet: Statement
    income_statement: Statement
    result: Decimal  # produits - charges: positive is a profit (excédent)
    previous_result: Decimal | None


# -- how the layouts are declared -------------------------------------------------------------

DEBIT_POSITIVE = 1  # actif, charges
CREDIT_POSITIVE = -1  # passif, produits


@dataclass(frozen=True)
class LineSpec:
    label: StrOrPromise
    net: tuple[str, ...] = ()
    debit: tuple[str, ...] = ()
    credit: tuple[str, ...] = ()
    optional: bool = False  # hidden unless an account fed it: rare lines and catch-alls
    result: bool = False  # the year's result, computed rather than collected


@dataclass(frozen=True)
class SectionSpec:
    title: StrOrPromise
    lines: tuple[LineSpec, ...]


@dataclass(frozen=True)
class SideSpec:
    title: StrOrPromise
    sign: int  # DEBIT_POSITIVE or CREDIT_POSITIVE
    sections: tuple[SectionSpec, ...]
    optional: bool = False  # footers appear only when an account fed them


@dataclass(frozen=True)
class Layout:
    balance_sheet: tuple[SideSpec, ...]
    income_statement: tuple[SideSpec, ...]
    footer: tuple[SideSpec, ...]


def line(label: StrOrPromise, net: str = "", *, debit: str = "", credit: str = "",
         optional: bool = False) -> LineSpec:
    return LineSpec(label, tuple(net.split()), tuple(debit.split()), tuple(credit.split()),
                    optional)


def result_line(label: StrOrPromise) -> LineSpec:
    return LineSpec(label, result=True)


def section(title: StrOrPromise, *lines: LineSpec) -> SectionSpec:
    return SectionSpec(title, lines)


# -- the layouts ------------------------------------------------------------------------------

_INTANGIBLE = line(_("Immobilisations incorporelles"), "20 232 237 280 290 2932")
_TANGIBLE = line(_("Immobilisations corporelles"), "21 22 231 238 281 282 291 292 293")
_FINANCIAL_ASSETS = line(_("Immobilisations financières"), "26 27 296 297")
_OTHER_ASSETS = line(_("Autres immobilisations (classe 2)"), "2", optional=True)
_SECURITIES = line(_("Valeurs mobilières de placement"), "50 59")
_CASH = line(_("Disponibilités"), debit="51 53 54")
_OTHER_FINANCIAL_DEBIT = line(_("Autres comptes financiers (solde débiteur)"), debit="5",
                              optional=True)
_OTHER_FINANCIAL_CREDIT = line(_("Autres comptes financiers (solde créditeur)"), credit="5",
                               optional=True)
_PREPAID = line(_("Charges constatées d'avance"), "486")
_ACCRUALS_ASSETS = section(
    _("Comptes de régularisation"),
    line(_("Frais d'émission des emprunts"), "481", optional=True),
    line(_("Primes de remboursement des obligations"), "169", optional=True),
    line(_("Écarts de conversion - Actif"), "476", optional=True),
)
_PENDING = line(_("Résultats antérieurs en instance d'affectation"), "12", optional=True)
_OTHER_CAPITAL = line(_("Autres comptes de capitaux (classe 1)"), "1", optional=True)
_BANK_DEBTS = line(_("Emprunts et dettes auprès des établissements de crédit"), "164 519",
                   credit="51")
_SUPPLIER_DEBTS = line(_("Dettes fournisseurs et comptes rattachés"), credit="40")
_TAX_SOCIAL_DEBTS = line(_("Dettes fiscales et sociales"), credit="42 43 44")
_FIXED_ASSET_DEBTS = line(_("Dettes sur immobilisations et comptes rattachés"),
                          credit="404 405 4084")
_OTHER_DEBTS = line(_("Autres dettes"), credit="4")
_DEFERRED_INCOME = line(_("Produits constatés d'avance"), "487")
_CONVERSION_LIABILITIES = line(_("Écarts de conversion - Passif"), "477", optional=True)

_PURCHASES = (
    line(_("Achats de marchandises"), "607"),
    line(_("Variation de stock (marchandises)"), "6037"),
    line(_("Achats de matières premières et autres approvisionnements"), "601 602"),
    line(_("Variation de stock (matières premières et approvisionnements)"), "603"),
    line(_("Autres achats et charges externes"), "60 61 62"),
)
_STAFF = (
    line(_("Salaires et traitements"), "64"),
    line(_("Charges sociales"), "645 646 647"),
)
_DEPRECIATION = (
    line(_("Dotations aux amortissements et aux dépréciations"), "681"),
    line(_("Dotations aux provisions"), "6815"),
)
_OTHER_CHARGES = (
    line(_("Autres charges"), "65"),
    line(_("Autres comptes de charges (classe 6)"), "6", optional=True),
)
_FINANCIAL_CHARGES = section(
    _("Charges financières"),
    line(_("Charges financières"), "66"),
    line(_("Dotations financières aux amortissements, dépréciations et provisions"), "686"),
)
_EXCEPTIONAL_CHARGES = section(
    _("Charges exceptionnelles"),
    line(_("Charges exceptionnelles"), "67"),
    line(_("Dotations exceptionnelles aux amortissements, dépréciations et provisions"),
         "687"),
)
_FINANCIAL_INCOME = section(
    _("Produits financiers"),
    line(_("Produits financiers"), "76"),
    line(_("Reprises financières sur dépréciations et provisions"), "786"),
)
_EXCEPTIONAL_INCOME = section(
    _("Produits exceptionnels"),
    line(_("Produits exceptionnels"), "77"),
    line(_("Reprises exceptionnelles sur dépréciations et provisions"), "787"),
)
_OTHER_INCOME = (
    line(_("Reprises sur amortissements, dépréciations et provisions"), "781"),
    line(_("Autres produits"), "75"),
    line(_("Autres comptes de produits (classe 7)"), "7", optional=True),
)
_OTHER_SPECIAL = SideSpec(_("Comptes spéciaux"), DEBIT_POSITIVE, (
    section(_("Comptes spéciaux"),
            line(_("Autres comptes spéciaux (classe 8)"), "8", optional=True)),
), optional=True)

PCG = Layout(
    balance_sheet=(
        SideSpec(pgettext_lazy("bilan", "Actif"), DEBIT_POSITIVE, (
            section(_("Capital souscrit non appelé"),
                    line(_("Capital souscrit non appelé"), "109", optional=True)),
            section(_("Actif immobilisé"), _INTANGIBLE, _TANGIBLE, _FINANCIAL_ASSETS,
                    _OTHER_ASSETS),
            section(
                _("Actif circulant"),
                line(_("Matières premières, approvisionnements"), "31 32 391 392"),
                line(_("En-cours de production de biens et de services"), "33 34 393 394"),
                line(_("Produits intermédiaires et finis"), "35 395"),
                line(_("Marchandises"), "37 397"),
                line(_("Autres stocks et en-cours (classe 3)"), "3", optional=True),
                line(_("Avances et acomptes versés sur commandes"), debit="4091"),
                line(_("Clients et comptes rattachés"), "491", debit="41"),
                line(_("Autres créances"), "495 496", debit="4"),
                line(_("Capital souscrit - appelé, non versé"), debit="4562", optional=True),
                _SECURITIES, _CASH, _OTHER_FINANCIAL_DEBIT, _PREPAID,
            ),
            _ACCRUALS_ASSETS,
        )),
        SideSpec(_("Passif"), CREDIT_POSITIVE, (
            section(
                _("Capitaux propres"),
                line(_("Capital"), "101 108"),
                line(_("Primes d'émission, de fusion, d'apport"), "104", optional=True),
                line(_("Écarts de réévaluation"), "105", optional=True),
                line(_("Écart d'équivalence"), "107", optional=True),
                line(_("Réserve légale"), "1061"),
                line(_("Réserves statutaires ou contractuelles"), "1063"),
                line(_("Réserves réglementées"), "1064"),
                line(_("Autres réserves"), "106"),
                line(_("Report à nouveau"), "11"),
                _PENDING,
                result_line(_("Résultat de l'exercice (bénéfice ou perte)")),
                line(_("Subventions d'investissement"), "13"),
                line(_("Provisions réglementées"), "14"),
                _OTHER_CAPITAL,
            ),
            section(
                _("Autres fonds propres"),
                line(_("Produits des émissions de titres participatifs"), "1671",
                     optional=True),
                line(_("Avances conditionnées"), "1674", optional=True),
            ),
            section(
                _("Provisions"),
                line(_("Provisions pour risques"), "151"),
                line(_("Provisions pour charges"), "15"),
            ),
            section(
                _("Dettes"),
                line(_("Emprunts obligataires convertibles"), "161", optional=True),
                line(_("Autres emprunts obligataires"), "163", optional=True),
                _BANK_DEBTS,
                line(_("Emprunts et dettes financières divers"), "16 17", credit="455"),
                line(_("Avances et acomptes reçus sur commandes en cours"), credit="4191"),
                _SUPPLIER_DEBTS, _TAX_SOCIAL_DEBTS, _FIXED_ASSET_DEBTS, _OTHER_DEBTS,
                _OTHER_FINANCIAL_CREDIT, _DEFERRED_INCOME,
            ),
            section(_("Comptes de régularisation"), _CONVERSION_LIABILITIES),
        )),
    ),
    income_statement=(
        SideSpec(_("Charges"), DEBIT_POSITIVE, (
            section(_("Charges d'exploitation"), *_PURCHASES,
                    line(_("Impôts, taxes et versements assimilés"), "63"),
                    *_STAFF, *_DEPRECIATION, *_OTHER_CHARGES),
            _FINANCIAL_CHARGES,
            _EXCEPTIONAL_CHARGES,
            section(_("Participation des salariés et impôts sur les bénéfices"),
                    line(_("Participation des salariés aux résultats"), "691"),
                    line(_("Impôts sur les bénéfices"), "69")),
        )),
        SideSpec(_("Produits"), CREDIT_POSITIVE, (
            section(
                _("Produits d'exploitation"),
                line(_("Ventes de marchandises"), "707 7097"),
                line(_("Production vendue de biens"), "701 702 703 7091 7092"),
                line(_("Production vendue de services"), "70"),
                line(_("Production stockée"), "71"),
                line(_("Production immobilisée"), "72"),
                line(_("Subventions d'exploitation"), "74"),
                line(_("Quote-part des subventions d'investissement virée au résultat"),
                     "747", optional=True),
                *_OTHER_INCOME,
            ),
            _FINANCIAL_INCOME,
            _EXCEPTIONAL_INCOME,
        )),
    ),
    footer=(_OTHER_SPECIAL,),
)

ASSO = Layout(
    balance_sheet=(
        SideSpec(pgettext_lazy("bilan", "Actif"), DEBIT_POSITIVE, (
            section(_("Actif immobilisé"), _INTANGIBLE, _TANGIBLE,
                    line(_("Biens reçus par legs ou donations destinés à être cédés"),
                         "24 294", optional=True),
                    _FINANCIAL_ASSETS, _OTHER_ASSETS),
            section(
                _("Actif circulant"),
                line(_("Stocks et en-cours"), "3"),
                line(_("Créances usagers et comptes rattachés"), "491", debit="41"),
                line(_("Autres créances"), "495 496", debit="4"),
                _SECURITIES, _CASH, _OTHER_FINANCIAL_DEBIT, _PREPAID,
            ),
            _ACCRUALS_ASSETS,
        )),
        SideSpec(_("Passif"), CREDIT_POSITIVE, (
            section(
                _("Fonds propres"),
                line(_("Fonds propres sans droit de reprise"), "102"),
                line(_("Écarts de réévaluation"), "105", optional=True),
                line(_("Réserves"), "106"),
                line(_("Report à nouveau"), "11"),
                _PENDING,
                result_line(_("Excédent ou déficit de l'exercice")),
            ),
            section(
                _("Autres fonds propres"),
                line(_("Fonds propres avec droit de reprise"), "103"),
                line(_("Subventions d'investissement"), "13"),
                line(_("Provisions réglementées"), "14"),
                _OTHER_CAPITAL,
            ),
            section(
                _("Fonds reportés et dédiés"),
                line(_("Fonds reportés liés aux legs ou donations"), "191"),
                line(_("Fonds dédiés"), "19"),
            ),
            section(
                _("Provisions"),
                line(_("Provisions pour risques"), "151"),
                line(_("Provisions pour charges"), "15"),
            ),
            section(
                _("Dettes"),
                _BANK_DEBTS,
                line(_("Emprunts et dettes financières diverses"), "16 17"),
                _SUPPLIER_DEBTS, _TAX_SOCIAL_DEBTS, _FIXED_ASSET_DEBTS, _OTHER_DEBTS,
                _OTHER_FINANCIAL_CREDIT, _DEFERRED_INCOME,
            ),
            section(_("Comptes de régularisation"), _CONVERSION_LIABILITIES),
        )),
    ),
    income_statement=(
        SideSpec(_("Charges"), DEBIT_POSITIVE, (
            section(_("Charges d'exploitation"), *_PURCHASES,
                    line(_("Aides financières"), "657"),
                    line(_("Impôts, taxes et versements assimilés"), "63"),
                    *_STAFF, *_DEPRECIATION,
                    line(_("Reports en fonds reportés et dédiés"), "689"),
                    *_OTHER_CHARGES),
            _FINANCIAL_CHARGES,
            _EXCEPTIONAL_CHARGES,
            section(_("Impôts sur les bénéfices"),
                    line(_("Impôts sur les bénéfices"), "69")),
        )),
        SideSpec(_("Produits"), CREDIT_POSITIVE, (
            section(
                _("Produits d'exploitation"),
                line(_("Cotisations"), "756"),
                line(_("Ventes de biens"), "701 702 703 707 7091 7092 7097"),
                line(_("Ventes de dons en nature"), "7073"),
                line(_("Ventes de prestations de service"), "70"),
                line(_("Parrainages"), "7063"),
                line(_("Production stockée"), "71", optional=True),
                line(_("Production immobilisée"), "72", optional=True),
                line(_("Concours publics et subventions d'exploitation"), "73 74"),
                line(_("Quote-part des subventions d'investissement virée au résultat"),
                     "747", optional=True),
                line(_("Dons manuels"), "7541"),
                line(_("Mécénats"), "7542"),
                line(_("Legs, donations et assurances-vie"), "7543"),
                line(_("Autres ressources liées à la générosité du public"), "754",
                     optional=True),
                line(_("Contributions financières"), "755"),
                line(_("Utilisations des fonds reportés et dédiés"), "789"),
                *_OTHER_INCOME,
            ),
            _FINANCIAL_INCOME,
            _EXCEPTIONAL_INCOME,
        )),
    ),
    footer=(
        SideSpec(_("Contributions volontaires en nature"), CREDIT_POSITIVE, (
            section(_("Produits"),
                    line(_("Dons en nature"), "870"),
                    line(_("Prestations en nature"), "871"),
                    line(_("Bénévolat"), "875"),
                    line(_("Autres contributions volontaires en nature"), "87",
                         optional=True)),
        ), optional=True),
        SideSpec(_("Emplois des contributions volontaires en nature"), DEBIT_POSITIVE, (
            section(_("Charges"),
                    line(_("Secours en nature"), "860"),
                    line(_("Mises à disposition gratuites de biens"), "861"),
                    line(_("Prestations en nature"), "862"),
                    line(_("Personnel bénévole"), "864"),
                    line(_("Autres emplois des contributions volontaires en nature"), "86",
                         optional=True)),
        ), optional=True),
        _OTHER_SPECIAL,
    ),
)

LAYOUTS: dict[str, Layout] = {"pcg": PCG, "asso": ASSO}  # keys: charts.TEMPLATE_FILES

# -- placing accounts on lines ----------------------------------------------------------------

Position = tuple[int, int, int]  # side, section, line
GROUP_CLASSES = {"balance_sheet": (1, 2, 3, 4, 5), "income_statement": (6, 7), "footer": (8,)}


def _positions(sides: tuple[SideSpec, ...]) -> Iterator[tuple[Position, LineSpec]]:
    for i, side in enumerate(sides):
        for j, sec in enumerate(side.sections):
            for k, spec in enumerate(sec.lines):
                yield (i, j, k), spec


@dataclass(frozen=True)
class _Index:
    """Prefix → line, one table per sign of balance."""

    debit: dict[str, Position]
    credit: dict[str, Position]

    @classmethod
    def of(cls, sides: tuple[SideSpec, ...], classes: tuple[int, ...]) -> _Index:
        debit: dict[str, Position] = {}
        credit: dict[str, Position] = {}
        for position, spec in _positions(sides):
            for table, prefixes in ((debit, spec.net + spec.debit),
                                    (credit, spec.net + spec.credit)):
                for prefix in prefixes:
                    if prefix in table:
                        raise ValueError(f"Prefix {prefix} is mapped to two lines")
                    table[prefix] = position
        # A catch-all per class is what guarantees that no balance is ever dropped.
        for klass in classes:
            if str(klass) not in debit or str(klass) not in credit:
                raise ValueError(f"Class {klass} has no catch-all line")
        return cls(debit, credit)

    def find(self, number: str, balance: Decimal) -> Position:
        table = self.debit if balance > 0 else self.credit
        for end in range(len(number), 0, -1):
            position = table.get(number[:end])
            if position is not None:
                return position
        raise AssertionError("unreachable: every class has a catch-all line")


def _groups(layout: Layout) -> dict[str, tuple[SideSpec, ...]]:
    return {"balance_sheet": layout.balance_sheet,
            "income_statement": layout.income_statement, "footer": layout.footer}


INDEXES = {
    template: {group: _Index.of(sides, GROUP_CLASSES[group])
               for group, sides in _groups(layout).items()}
    for template, layout in LAYOUTS.items()
}

# What fed each line in one column: group → position → account → balance (debit - credit).
Placement = dict[str, dict[Position, dict[str, Decimal]]]


def _group_of(number: str) -> str:
    klass = account_class(number)
    return next(group for group, classes in GROUP_CLASSES.items() if klass in classes)


def _place(template: str, balances: Mapping[str, Decimal]) -> tuple[Placement, Decimal]:
    placement: Placement = {}
    result = ZERO
    for number, raw in balances.items():
        balance = quantize(raw)
        if balance == 0:
            continue
        group = _group_of(number)
        position = INDEXES[template][group].find(number, balance)
        placement.setdefault(group, {}).setdefault(position, {})[number] = balance
        if group == "income_statement":
            result -= balance
    return placement, result


# -- building the statements ------------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    placement: Placement
    result: Decimal

    def fed(self, group: str, position: Position) -> dict[str, Decimal]:
        return self.placement.get(group, {}).get(position, {})


def _previous_sum(values: list[Decimal | None], has_previous: bool) -> Decimal | None:
    return sum((v for v in values if v is not None), ZERO) if has_previous else None


def _render(group: str, sides: tuple[SideSpec, ...], columns: list[_Column]) -> tuple[Side, ...]:
    has_previous = len(columns) > 1
    rendered: list[Side] = []
    for i, side in enumerate(sides):
        sections: list[Section] = []
        for j, sec in enumerate(side.sections):
            lines: list[StatementLine] = []
            for k, spec in enumerate(sec.lines):
                fed = [column.fed(group, (i, j, k)) for column in columns]
                accounts = tuple(sorted({number for f in fed for number in f}))
                if spec.optional and not accounts:
                    continue
                amounts = [column.result if spec.result
                           else sum((side.sign * b for b in f.values()), ZERO)
                           for column, f in zip(columns, fed, strict=True)]
                lines.append(StatementLine(spec.label, amounts[0],
                                           amounts[1] if has_previous else None, accounts))
            if lines:
                sections.append(Section(
                    sec.title, tuple(lines), sum((ln.amount for ln in lines), ZERO),
                    _previous_sum([ln.previous for ln in lines], has_previous)))
        if side.optional and not any(ln.accounts for sec in sections for ln in sec.lines):
            continue
        rendered.append(Side(
            side.title, tuple(sections), sum((s.total for s in sections), ZERO),
            _previous_sum([s.previous_total for s in sections], has_previous)))
    return tuple(rendered)


def build_statements(*, template: str, balances: Mapping[str, Decimal],
                     previous: Mapping[str, Decimal] | None = None) -> AnnualStatements:
    """The bilan and compte de résultat of a year from its balances (debit - credit per
    account, classes 1 to 8, no closing entries), with the previous year as second column."""
    layout = LAYOUTS.get(template)
    if layout is None:
        raise ValueError(f"Unknown chart template: {template!r}")
    columns = [_Column(*_place(template, balances))]
    if previous is not None:
        columns.append(_Column(*_place(template, previous)))
    return AnnualStatements(
        template=template,
        balance_sheet=Statement(_("Bilan"),
                                _render("balance_sheet", layout.balance_sheet, columns)),
        income_statement=Statement(
            _("Compte de résultat"),
            _render("income_statement", layout.income_statement, columns),
            _render("footer", layout.footer, columns),
        ),
        result=columns[0].result,
        previous_result=columns[1].result if previous is not None else None,
    )
