"""The cooperative contribution: how much each treasury account gives the structure for a
month, and the booking of it.

The math (`contribution_due`) is pure: marginal brackets on the base cumulated since the start
of the fiscal year, each bracket's rate on the part of the base inside it. The total is the
rounded exact sum; each bracket's line is the difference of the rounded running sums, so the
lines always add up to the total to the cent.

A month charges what is due on the cumulative base at its end minus what the earlier months
of the fiscal year already settled (`month_computation`): a credit note lowers the base and the
next month gives back the difference (a negative month is a refund), and charging month by
month ends the year on exactly what charging once would give. An exempt month settles its due
without charging it, so that the exemption is not caught up when it ends. A fixed monthly fee
is added for individual accounts whose coopérant has a running, signed CAPE that month, unless
the scheme waives it for RSA recipients and the person said "yes" to the RSA. A KPA's common
pot never pays.

`run_month` books one OD entry per account with a non-zero amount, dated the month's last day:
D 6288 / C 512 on the treasury account, D 512 / C 7588 on the structure's own lines (the
structure's cash does not move: it only passes from one analytic part to another), and keeps a
`ContributionCharge` for every account, even at zero, with its computation (`detail`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, Count, DecimalField, F, Q, QuerySet, Sum, Value, When
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _

from kpa.core import audit
from kpa.core.auth import AnyUser
from kpa.core.money import format_money, quantize
from kpa.directory.models import Structure
from kpa.journey.models import Contract
from kpa.ledger import services as ledger_services
from kpa.ledger.models import EntryLine, FiscalYear, Journal, TreasuryAccount
from kpa.ledger.services import LineInput
from kpa.ledger.treasury_accounts import ensure_account
from kpa.treasury import permissions, selectors
from kpa.treasury.balances import (
    CONTRIBUTION_CHARGE,
    CONTRIBUTION_INCOME,
    DIRECT_COST_PREFIXES,
    TURNOVER,
)
from kpa.treasury.models import (
    ContributionBracket,
    ContributionCharge,
    ContributionOverride,
    ContributionScheme,
)

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
BANK = "512"
SOURCE = "treasury.contribution"


# -- the pure math ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Bracket:
    """From `lower_bound` of cumulative base, `rate` per cent applies."""

    lower_bound: Decimal
    rate: Decimal


@dataclass(frozen=True)
class BracketLine:
    """The part of the base inside one bracket and what it gives (rounded so that the lines
    add up to the total)."""

    lower: Decimal
    upper: Decimal | None
    rate: Decimal
    part: Decimal
    amount: Decimal


def contribution_due(cumulative_base: Decimal, brackets: Iterable[Bracket]
                     ) -> tuple[Decimal, list[BracketLine]]:
    """What is due on `cumulative_base`, with one line per bracket the base reaches."""
    ordered = sorted(brackets, key=lambda b: b.lower_bound)
    lines: list[BracketLine] = []
    exact = Decimal(0)
    rounded = ZERO
    for index, bracket in enumerate(ordered):
        if cumulative_base <= bracket.lower_bound:
            break
        upper = ordered[index + 1].lower_bound if index + 1 < len(ordered) else None
        top = cumulative_base if upper is None else min(cumulative_base, upper)
        part = top - bracket.lower_bound
        exact += part * bracket.rate / HUNDRED
        running = quantize(exact)
        lines.append(BracketLine(bracket.lower_bound, upper, bracket.rate, quantize(part),
                                 running - rounded))
        rounded = running
    return rounded, lines


@dataclass(frozen=True)
class Rule:
    """A scheme as the computation needs it."""

    name: str
    base: str
    brackets: tuple[Bracket, ...]
    monthly_fee: Decimal = ZERO
    fee_waived_for_rsa: bool = False
    is_override: bool = False

    @classmethod
    def of(cls, scheme: ContributionScheme, brackets: Iterable[ContributionBracket], *,
           is_override: bool = False) -> Rule:
        return cls(name=scheme.name, base=scheme.base,
                   brackets=tuple(Bracket(b.lower_bound, b.rate) for b in brackets),
                   monthly_fee=scheme.monthly_fee,
                   fee_waived_for_rsa=scheme.fee_waived_for_rsa, is_override=is_override)


@dataclass(frozen=True)
class BaseFigures:
    """An account's turnover (70, excl. VAT) and direct costs, year to date and this month."""

    turnover: Decimal = ZERO
    direct_costs: Decimal = ZERO
    month_turnover: Decimal = ZERO
    month_direct_costs: Decimal = ZERO

    def base(self, kind: str) -> tuple[Decimal, Decimal]:
        """(year to date, this month) for a base kind."""
        if kind == ContributionScheme.Base.TURNOVER:
            return self.turnover, self.month_turnover
        return (self.turnover - self.direct_costs,
                self.month_turnover - self.month_direct_costs)


# The reasons why no fee is taken, stored in the detail and told in words by `describe`.
NO_CAPE = "no_cape"
RSA = "rsa"
NOT_INDIVIDUAL = "not_individual"


@dataclass
class Computation:
    """One account's month; `detail` is what the charge stores and `describe` tells."""

    base_of_month: Decimal = ZERO
    base_year_to_date: Decimal = ZERO
    contribution: Decimal = ZERO
    waived: Decimal = ZERO
    fee: Decimal = ZERO
    detail: list[dict[str, Any]] = field(default_factory=list)

    @property
    def amount(self) -> Decimal:
        return self.contribution + self.fee


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def month_computation(*, rule: Rule | None, figures: BaseFigures, settled: Decimal,
                      fee_due: bool, no_fee_reason: str = "", exemption: str = "",
                      common_pot: bool = False) -> Computation:
    """The month of one account: `settled` is what the earlier months of the fiscal year
    charged or waived; `fee_due` says the coopérant had a running CAPE and no waiver applies
    (else `no_fee_reason`); `exemption` is an override's reason."""
    result = Computation()
    detail = result.detail
    if common_pot:
        detail.append({"kind": "common_pot"})
        return result
    if rule is None:
        detail.append({"kind": "no_scheme"})
        return result
    detail.append({"kind": "scheme", "name": rule.name, "override": rule.is_override})
    if exemption:
        detail.append({"kind": "exempt", "reason": exemption})
    year_to_date, month = figures.base(rule.base)
    result.base_year_to_date, result.base_of_month = year_to_date, month
    base_line: dict[str, Any] = {"kind": "base", "base": rule.base,
                                 "turnover": _money(figures.turnover),
                                 "year_to_date": _money(year_to_date), "month": _money(month)}
    if rule.base == ContributionScheme.Base.GROSS_MARGIN:
        base_line["direct_costs"] = _money(figures.direct_costs)
    detail.append(base_line)
    due, lines = contribution_due(year_to_date, rule.brackets)
    detail.extend({"kind": "bracket", "from": _money(line.lower),
                   "to": None if line.upper is None else _money(line.upper),
                   "rate": str(line.rate), "part": _money(line.part),
                   "amount": _money(line.amount)} for line in lines)
    detail.append({"kind": "due", "amount": _money(due)})
    detail.append({"kind": "settled", "amount": _money(settled)})
    if exemption:
        result.waived = due - settled
        detail.append({"kind": "waived", "amount": _money(result.waived)})
    else:
        result.contribution = due - settled
        detail.append({"kind": "contribution", "amount": _money(result.contribution)})
    if rule.monthly_fee > 0 and not exemption:  # an exempt account pays no fee either
        if fee_due:
            result.fee = rule.monthly_fee
            detail.append({"kind": "fee", "amount": _money(result.fee)})
        else:
            detail.append({"kind": "no_fee", "reason": no_fee_reason,
                           "amount": _money(rule.monthly_fee)})
    detail.append({"kind": "total", "amount": _money(result.amount)})
    return result


def settled_by(charge_contribution: Decimal, detail: Sequence[dict[str, Any]]) -> Decimal:
    """What one stored charge settled of the cumulative due: charged, or waived."""
    waived = sum((Decimal(line["amount"]) for line in detail if line.get("kind") == "waived"),
                 ZERO)
    return charge_contribution + waived


# -- words -----------------------------------------------------------------------------------

def _euros(value: Decimal | str) -> str:
    return f"{format_money(Decimal(value))} €"


def format_bound(value: Decimal | str) -> str:
    """30 000 rather than 30 000,00 when the bound is whole."""
    text = format_money(Decimal(value))
    return text[:-3] if text.endswith(",00") else text


def format_rate(value: Decimal | str) -> str:
    """11,5 for 11.500."""
    text = f"{Decimal(value):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def month_name(month: dt.date) -> str:
    return f"{MONTHS[month.month]} {month.year}"


def describe(detail: Sequence[dict[str, Any]]) -> list[str]:
    """The computation in plain French, one sentence a line."""
    words: list[str] = []
    for line in detail:
        kind = line.get("kind")
        if kind == "common_pot":
            words.append(_("Caisse commune du KPA : elle ne paie pas de contribution."))
        elif kind == "no_scheme":
            words.append(_("Aucun barème de contribution en vigueur ce mois-ci : rien à "
                           "payer."))
        elif kind == "scheme":
            template = (_("Barème particulier de cette activité : « %(name)s ».")
                        if line["override"] else _("Barème : « %(name)s »."))
            words.append(template % {"name": line["name"]})
        elif kind == "exempt":
            words.append(_("Exonération : %(reason)s. Rien n'est prélevé ce mois-ci.")
                         % {"reason": line["reason"]})
        elif kind == "base":
            words.extend(_describe_base(line))
        elif kind == "bracket":
            values = {"lower": format_bound(line["from"]), "rate": format_rate(line["rate"]),
                      "part": _euros(line["part"]), "amount": _euros(line["amount"])}
            if line["to"] is None:
                template = _("Au-delà de %(lower)s € : %(rate)s %% de %(part)s = %(amount)s")
            else:
                values["upper"] = format_bound(line["to"])
                template = _("De %(lower)s à %(upper)s € : %(rate)s %% de %(part)s = "
                             "%(amount)s")
            words.append(template % values)
        elif kind == "due":
            words.append(_("Contribution due depuis le début de l'exercice : %(amount)s")
                         % {"amount": _euros(line["amount"])})
        elif kind == "settled":
            words.append(_("Déjà comptée les mois précédents : %(amount)s")
                         % {"amount": _euros(line["amount"])})
        elif kind == "contribution":
            value = Decimal(line["amount"])
            if value < 0:
                words.append(_("Trop compté les mois précédents : %(amount)s rendus ce "
                               "mois-ci.") % {"amount": _euros(-value)})
            else:
                words.append(_("Contribution de ce mois : %(amount)s")
                             % {"amount": _euros(value)})
        elif kind == "waived":
            words.append(_("Non prélevé grâce à l'exonération : %(amount)s")
                         % {"amount": _euros(line["amount"])})
        elif kind == "fee":
            words.append(_("Forfait mensuel : %(amount)s") % {"amount": _euros(line["amount"])})
        elif kind == "no_fee":
            words.append(_describe_no_fee(line))
        elif kind == "total":
            value = Decimal(line["amount"])
            if value < 0:
                words.append(_("Total rendu à la trésorerie : %(amount)s")
                             % {"amount": _euros(-value)})
            else:
                words.append(_("Total pris sur la trésorerie : %(amount)s")
                             % {"amount": _euros(value)})
    return words


def _describe_base(line: dict[str, Any]) -> list[str]:
    values = {"turnover": _euros(line["turnover"]), "ytd": _euros(line["year_to_date"]),
              "month": _euros(line["month"])}
    if line["base"] == ContributionScheme.Base.TURNOVER:
        first = _("Assiette : chiffre d'affaires HT depuis le début de l'exercice, "
                  "%(turnover)s.") % values
    else:
        values["costs"] = _euros(line["direct_costs"])
        first = _("Assiette : marge brute depuis le début de l'exercice = chiffre d'affaires "
                  "HT %(turnover)s moins coûts directs %(costs)s = %(ytd)s.") % values
    return [first, _("Dont ce mois-ci : %(month)s.") % values]


def _describe_no_fee(line: dict[str, Any]) -> str:
    values = {"amount": _euros(line["amount"])}
    if line["reason"] == RSA:
        return _("Pas de forfait mensuel (%(amount)s) : allocataire du RSA.") % values
    if line["reason"] == NO_CAPE:
        return _("Pas de forfait mensuel (%(amount)s) : pas de CAPE en cours ce mois-ci."
                 ) % values
    return _("Pas de forfait mensuel (%(amount)s) : il ne concerne que les trésoreries "
             "individuelles.") % values


# -- months ----------------------------------------------------------------------------------

def first_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def last_day(month: dt.date) -> dt.date:
    return next_month(month) - dt.timedelta(days=1)


def month_code(month: dt.date) -> str:
    return f"{month:%m/%Y}"


MONTH_PATTERNS = (re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})"),
                  re.compile(r"(?P<month>\d{1,2})/(?P<year>\d{4})"))


def parse_month(text: str) -> dt.date:
    """"2026-11" (or "11/2026") as the month's first day; a French refusal otherwise."""
    for pattern in MONTH_PATTERNS:
        found = pattern.fullmatch(text.strip())
        if found and 1 <= int(found["month"]) <= 12 and int(found["year"]) >= 1:
            return dt.date(int(found["year"]), int(found["month"]), 1)
    raise ValidationError({"month": _("« %(text)s » n'est pas un mois : écrivez-le AAAA-MM, "
                                      "par exemple 2026-11.") % {"text": text[:20]}})


def finished_months(today: dt.date, count: int = 12) -> list[dt.date]:
    """The last `count` months that are over, most recent first."""
    month = first_of(first_of(today) - dt.timedelta(days=1))
    months = []
    for _i in range(count):
        months.append(month)
        month = first_of(month - dt.timedelta(days=1))
    return months


# -- reading what a month needs --------------------------------------------------------------

def _starts(*prefixes: str) -> Q:
    condition = Q()
    for prefix in prefixes:
        condition |= Q(account__number__startswith=prefix)
    return condition


def _sum(condition: Q, expression: Any) -> Sum:
    return Sum(Case(When(condition, then=expression), default=Value(ZERO),
                    output_field=DecimalField(max_digits=16, decimal_places=2)))


def month_figures(year: FiscalYear, month: dt.date) -> dict[int, BaseFigures]:
    """Turnover and direct costs of every treasury account of the year's structure, year to
    date and within the month, from the validated lines dated up to the month's end: one
    aggregate query."""
    turnover, direct = _starts(TURNOVER), _starts(*DIRECT_COST_PREFIXES)
    this_month = Q(entry__date__gte=month)
    rows = (EntryLine.objects
            .filter(validated=True, fiscal_year=year, treasury_account__isnull=False,
                    entry__date__lte=last_day(month))
            .filter(turnover | direct)
            .values("treasury_account_id")
            .annotate(turnover=_sum(turnover, F("credit") - F("debit")),
                      direct=_sum(direct, F("debit") - F("credit")),
                      month_turnover=_sum(turnover & this_month, F("credit") - F("debit")),
                      month_direct=_sum(direct & this_month, F("debit") - F("credit")))
            .order_by())
    return {row["treasury_account_id"]: BaseFigures(row["turnover"], row["direct"],
                                                row["month_turnover"], row["month_direct"])
            for row in rows}


def _in_force(on: dt.date) -> Q:
    return Q(starts_on__lte=on) & (Q(ends_on__isnull=True) | Q(ends_on__gt=on))


def scheme_in_force(structure: Structure, month: dt.date) -> ContributionScheme | None:
    """The structure's general scheme in force (the schemes no override names)."""
    return (ContributionScheme.objects
            .filter(_in_force(month), structure=structure, overrides__isnull=True)
            .order_by("-starts_on").first())


def overrides_in_force(structure: Structure, month: dt.date
                       ) -> dict[int, ContributionOverride]:
    found = (ContributionOverride.objects
             .filter(_in_force(month), treasury_account__structure=structure)
             .select_related("scheme")
             .order_by("starts_on"))
    return {override.treasury_account_id: override for override in found}


def cape_holders(structure: Structure, month: dt.date) -> dict[int, bool]:
    """{person id: receives the RSA} for the people with a signed CAPE of the structure
    running at some point of the month. Only an explicit "yes" counts as receiving it."""
    holders: dict[int, bool] = {}
    contracts = (Contract.objects
                 .filter(status=Contract.Status.SIGNED, journey__structure=structure,
                         starts_on__lte=last_day(month), ends_on__gt=month)
                 .values_list("journey__person_id", "journey__receives_rsa"))
    for person_id, receives_rsa in contracts:
        holders[person_id] = holders.get(person_id, False) or receives_rsa is True
    return holders


# -- planning a month ------------------------------------------------------------------------

@dataclass
class PlannedCharge:
    account: TreasuryAccount
    scheme: ContributionScheme | None
    computation: Computation

    @property
    def amount(self) -> Decimal:
        return self.computation.amount

    @property
    def lines(self) -> list[str]:
        return describe(self.computation.detail)


@dataclass
class MonthPlan:
    structure: Structure
    month: dt.date
    year: FiscalYear
    charges: list[PlannedCharge]
    already_done: int  # accounts whose month was already counted

    @property
    def total(self) -> Decimal:
        return sum((c.amount for c in self.charges), ZERO)

    @property
    def to_book(self) -> list[PlannedCharge]:
        return [c for c in self.charges if c.amount != 0]


def _check_month(structure: Structure, month: dt.date, today: dt.date) -> FiscalYear:
    end = last_day(month)
    if end >= today:
        raise ValidationError({"month": _(
            "Le mois %(month)s n'est pas fini : sa contribution se calcule à partir du "
            "%(day)s.") % {"month": month_code(month),
                           "day": next_month(month).strftime("%d/%m/%Y")}})
    year = ledger_services.fiscal_year_for(structure, end)
    if year.starts_on > month:
        raise ValidationError({"month": _(
            "Le mois %(month)s est à cheval sur deux exercices : la contribution se calcule "
            "par mois entier d'un exercice.") % {"month": month_code(month)}})
    later = (ContributionCharge.objects
             .filter(structure=structure, month__gt=month, month__lt=year.ends_on)
             .order_by("-month").values_list("month", flat=True).first())
    if later is not None:
        raise ValidationError({"month": _(
            "La contribution de %(later)s est déjà comptée : celle de %(month)s ne se calcule "
            "plus (les mois suivants comptent tout ce qui était dû depuis le début de "
            "l'exercice).") % {"later": month_code(later), "month": month_code(month)}})
    return year


def _fee(account: TreasuryAccount, rule: Rule | None, holders: dict[int, bool]
         ) -> tuple[bool, str]:
    """Whether the monthly fee applies, else why not."""
    if account.kind != TreasuryAccount.Kind.INDIVIDUAL:
        return False, NOT_INDIVIDUAL
    receives_rsa = holders.get(account.person_id or 0)
    if receives_rsa is None:
        return False, NO_CAPE
    if receives_rsa and rule is not None and rule.fee_waived_for_rsa:
        return False, RSA
    return True, ""


def plan_month(structure: Structure, month: dt.date, today: dt.date) -> MonthPlan:
    """What running the month would book, computed from the books, without writing; a
    constant number of queries whatever the number of accounts."""
    month = first_of(month)
    year = _check_month(structure, month, today)
    figures = month_figures(year, month)
    done = set(ContributionCharge.objects.filter(structure=structure, month=month)
               .values_list("treasury_account_id", flat=True))
    settled: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for account_id, charged, detail in (ContributionCharge.objects
                                        .filter(structure=structure,
                                                month__gte=year.starts_on, month__lt=month)
                                        .values_list("treasury_account_id", "contribution",
                                                     "detail")):
        settled[account_id] += settled_by(charged, detail)
    scheme = scheme_in_force(structure, month)
    overrides = overrides_in_force(structure, month)
    brackets: dict[int, list[ContributionBracket]] = defaultdict(list)
    for bracket in ContributionBracket.objects.filter(scheme__structure=structure).order_by(
            "scheme_id", "lower_bound"):
        brackets[bracket.scheme_id].append(bracket)
    holders = cape_holders(structure, month)
    accounts = (TreasuryAccount.objects.filter(structure=structure)
                .filter(Q(is_active=True) | Q(pk__in=list(figures)))
                .exclude(pk__in=list(done)).order_by("code", "pk"))
    charges = []
    for account in accounts:
        override = overrides.get(account.pk)
        particular = override.scheme if override is not None else None
        applied = particular or scheme
        rule = None if applied is None else Rule.of(applied, brackets[applied.pk],
                                                    is_override=particular is not None)
        fee_due, no_fee_reason = _fee(account, rule, holders)
        common = account.kind == TreasuryAccount.Kind.COMMON
        computation = month_computation(
            rule=rule, figures=figures.get(account.pk, BaseFigures()),
            settled=settled[account.pk], fee_due=fee_due, no_fee_reason=no_fee_reason,
            exemption=override.reason if override is not None and override.exempt else "",
            common_pot=common)
        charges.append(PlannedCharge(account, None if common else applied, computation))
    return MonthPlan(structure, month, year, charges, len(done))


# -- running a month -------------------------------------------------------------------------

def _gate(actor: AnyUser | None, structure: Structure, today: dt.date) -> None:
    """`actor=None` is the platform at the console (`kpa treasury_contribution`)."""
    if actor is not None and not permissions.can_run_contribution(actor, structure,
                                                                  today=today):
        raise PermissionDenied


def preview_month(*, actor: AnyUser | None, structure: Structure, month: dt.date,
                  today: dt.date) -> MonthPlan:
    """The dry run: what `run_month` would book, nothing written."""
    _gate(actor, structure, today)
    return plan_month(structure, month, today)


@dataclass
class RunResult:
    plan: MonthPlan
    charges: list[ContributionCharge]

    @property
    def created(self) -> int:
        return len(self.charges)

    @property
    def skipped(self) -> int:
        return self.plan.already_done

    @property
    def booked(self) -> int:
        return sum(1 for charge in self.charges if charge.entry_id is not None)


def _entry_lines(account: TreasuryAccount, amount: Decimal, label: str
                 ) -> list[LineInput]:
    """D 6288 / C 512 on the account, D 512 / C 7588 on the structure's own lines; a refund
    is the mirror."""
    value = abs(amount)
    if amount > 0:
        return [LineInput(CONTRIBUTION_CHARGE, debit=value, label=label, treasury_account=account),
                LineInput(BANK, credit=value, label=label, treasury_account=account),
                LineInput(BANK, debit=value, label=label),
                LineInput(CONTRIBUTION_INCOME, credit=value, label=label)]
    return [LineInput(BANK, debit=value, label=label, treasury_account=account),
            LineInput(CONTRIBUTION_CHARGE, credit=value, label=label, treasury_account=account),
            LineInput(CONTRIBUTION_INCOME, debit=value, label=label),
            LineInput(BANK, credit=value, label=label)]


def entry_label(month: dt.date) -> str:
    """The books speak French whatever the page's language."""
    return f"Contribution coopérative {month_code(month)}"


@transaction.atomic
def run_month(*, actor: AnyUser | None, structure: Structure, month: dt.date,
              today: dt.date) -> RunResult:
    """Count the month's contribution of every treasury account of the structure not counted
    yet (a second run only adds the accounts the first one did not know): one validated OD
    entry per non-zero amount, one `ContributionCharge` per account."""
    _gate(actor, structure, today)
    Structure.objects.select_for_update().filter(pk=structure.pk).first()  # one run at a time
    plan = plan_month(structure, month, today)
    month = plan.month
    poster: AnyUser = actor if actor is not None else AnonymousUser()
    created_by = actor if actor is not None and actor.is_authenticated else None
    journal = None
    if plan.to_book:
        ensure_account(structure, CONTRIBUTION_CHARGE, "Contribution cooperative",
                       actor=actor)
        ensure_account(structure, CONTRIBUTION_INCOME,
                       "Contribution cooperative des entrepreneurs", actor=actor)
        journal = Journal.objects.get(structure=structure, code="OD")
    label = entry_label(month)
    charges = []
    for planned in plan.charges:
        computation = planned.computation
        entry = None
        if computation.amount != 0:
            assert journal is not None
            entry = ledger_services.post_entry(
                actor=poster, structure=structure, journal=journal, date=last_day(month),
                label=label, lines=_entry_lines(planned.account, computation.amount, label),
                piece_ref=f"CONTRIB-{month:%Y-%m}-{planned.account.code}", source=SOURCE,
                validate=True, today=today)
        charge = ContributionCharge.objects.create(
            structure=structure, treasury_account=planned.account, month=month,
            scheme=planned.scheme, base_of_month=computation.base_of_month,
            base_year_to_date=computation.base_year_to_date,
            contribution=computation.contribution, fee=computation.fee,
            amount=computation.amount, detail=computation.detail, entry=entry,
            created_by=created_by)
        audit.record(actor=actor, action="treasury.contribution.charged", target=charge,
                     data={"month": month_code(month), "amount": _money(charge.amount),
                           "entry": entry.reference if entry is not None else None})
        charges.append(charge)
    audit.record(actor=actor, action="treasury.contribution_month.run", target=structure,
                 data={"month": month_code(month), "charges": len(charges),
                       "skipped": plan.already_done, "total": _money(plan.total)})
    return RunResult(plan, charges)


# -- reads -----------------------------------------------------------------------------------

def charges_of_account(account: TreasuryAccount) -> QuerySet[ContributionCharge]:
    return (ContributionCharge.objects.filter(treasury_account=account)
            .select_related("scheme", "entry__journal").order_by("-month", "-pk"))


def charges_of_month(structure: Structure, month: dt.date) -> QuerySet[ContributionCharge]:
    return (ContributionCharge.objects.filter(structure=structure, month=first_of(month))
            .select_related("treasury_account", "scheme", "entry__journal")
            .order_by("treasury_account__code", "pk"))


def charges_for(user: AnyUser, today: dt.date) -> QuerySet[ContributionCharge]:
    """The charges of the treasury accounts the user sees (the coopérant their own)."""
    accounts = selectors.accounts_for(user, today)
    return ContributionCharge.objects.filter(treasury_account__in=accounts.values("pk"))


def months_run(structure: Structure) -> QuerySet[Any]:
    """Each month counted for the structure, with its number of accounts and its total."""
    return (ContributionCharge.objects.filter(structure=structure)
            .values("month").annotate(accounts=Count("pk"), total=Sum("amount"))
            .order_by("-month"))
