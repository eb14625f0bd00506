"""The annual statements: hand-written years, then invariants over random balanced books."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal

import pytest
from django.utils.functional import Promise
from hypothesis import given, settings
from hypothesis import strategies as st

from kpa.ledger import statements
from kpa.ledger.charts import load_chart
from kpa.ledger.statements import (
    AnnualStatements,
    Statement,
    StatementLine,
    build_statements,
    line,
    section,
)

D = Decimal
TEMPLATES = ["pcg", "asso"]
RESULT_LABEL = {"pcg": "Résultat de l'exercice (bénéfice ou perte)",
                "asso": "Excédent ou déficit de l'exercice"}


def find(statement: Statement, label: str, side: str | None = None) -> StatementLine:
    found = [ln for s in statement.sides + statement.footer if side in (None, str(s.title))
             for sec in s.sections for ln in sec.lines if str(ln.label) == label]
    assert len(found) == 1, f"{label!r}: {len(found)} lines"
    return found[0]


def amounts(statement: Statement) -> dict[str, Decimal]:
    """Non-zero lines by label, side by side, for readable assertions."""
    return {f"{s.title}: {ln.label}": ln.amount for s in statement.sides + statement.footer
            for sec in s.sections for ln in sec.lines if ln.amount}


def totals(statement: Statement) -> list[Decimal]:
    return [side.total for side in statement.sides]


# -- hand-written years -----------------------------------------------------------------------


def test_a_tiny_association_year_has_a_surplus_equal_to_its_bank_balance() -> None:
    out = build_statements(template="asso", balances={
        "741": D("-10000"), "606": D("4000"), "512": D("6000")})
    assert out.result == D("6000.00")
    assert totals(out.balance_sheet) == [D("6000.00"), D("6000.00")]
    assert amounts(out.balance_sheet) == {
        "Actif: Disponibilités": D("6000.00"),
        "Passif: Excédent ou déficit de l'exercice": D("6000.00"),
    }
    assert amounts(out.income_statement) == {
        "Charges: Autres achats et charges externes": D("4000.00"),
        "Produits: Concours publics et subventions d'exploitation": D("10000.00"),
    }
    assert out.income_statement.footer == ()
    assert out.previous_result is None


def test_concours_publics_and_subsidies_share_one_line_in_the_association_model() -> None:
    out = build_statements(template="asso", balances={
        "730": D("-2500"), "7411": D("-7500"), "512": D("10000")})
    subsidies = find(out.income_statement, "Concours publics et subventions d'exploitation")
    assert subsidies.amount == D("10000.00")
    assert subsidies.accounts == ("730", "7411")


def test_a_cae_year_with_vat_customers_and_payroll() -> None:
    out = build_statements(template="pcg", balances={
        "1013": D("-5000"),
        "512": D("4850"),
        "411001": D("1200"),  # one invoice still unpaid
        "411002": D("-50"),  # a customer who paid twice: a debt, not a negative receivable
        "44571": D("-400"),
        "44566": D("100"),
        "706": D("-2000"),
        "606": D("500"),
        "641": D("800"),
        "645": D("300"),
        "431": D("-300"),
    })
    assert out.result == D("400.00")
    assert amounts(out.balance_sheet) == {
        "Actif: Clients et comptes rattachés": D("1200.00"),
        "Actif: Autres créances": D("100.00"),
        "Actif: Disponibilités": D("4850.00"),
        "Passif: Capital": D("5000.00"),
        "Passif: Résultat de l'exercice (bénéfice ou perte)": D("400.00"),
        "Passif: Dettes fiscales et sociales": D("700.00"),
        "Passif: Autres dettes": D("50.00"),
    }
    assert totals(out.balance_sheet) == [D("6150.00"), D("6150.00")]
    assert amounts(out.income_statement) == {
        "Charges: Autres achats et charges externes": D("500.00"),
        "Charges: Salaires et traitements": D("800.00"),
        "Charges: Charges sociales": D("300.00"),
        "Produits: Production vendue de services": D("2000.00"),
    }
    assert find(out.balance_sheet, "Clients et comptes rattachés").accounts == ("411001",)
    assert find(out.balance_sheet, "Autres dettes").accounts == ("411002",)
    assert find(out.balance_sheet, "Dettes fiscales et sociales").accounts == ("431", "44571")


def test_a_bank_overdraft_is_a_debt_to_the_bank_not_negative_cash() -> None:
    out = build_statements(template="pcg", balances={"512": D("-700"), "606": D("700")})
    assert out.result == D("-700.00")
    bank_debt = find(out.balance_sheet, "Emprunts et dettes auprès des établissements de crédit")
    assert (bank_debt.amount, bank_debt.accounts) == (D("700.00"), ("512",))
    assert find(out.balance_sheet, "Disponibilités").amount == 0
    assert totals(out.balance_sheet) == [D("0.00"), D("0.00")]


def test_volunteer_contributions_sit_at_the_foot_and_stay_out_of_the_result() -> None:
    out = build_statements(template="asso", balances={
        "741": D("-1000"), "512": D("1000"), "864": D("5000"), "875": D("-5000")})
    assert out.result == D("1000.00")
    assert [str(s.title) for s in out.income_statement.footer] == [
        "Contributions volontaires en nature",
        "Emplois des contributions volontaires en nature"]
    assert [s.total for s in out.income_statement.footer] == [D("5000.00"), D("5000.00")]
    assert find(out.income_statement, "Bénévolat").amount == D("5000.00")
    assert find(out.income_statement, "Personnel bénévole").amount == D("5000.00")
    assert [s.total for s in out.income_statement.sides] == [D("0.00"), D("1000.00")]
    assert totals(out.balance_sheet) == [D("1000.00"), D("1000.00")]


def test_depreciation_is_deducted_on_its_asset_line() -> None:
    out = build_statements(template="pcg", balances={
        "2183": D("3000"), "28183": D("-1000"), "6811": D("1000"), "512": D("-3000")})
    tangible = find(out.balance_sheet, "Immobilisations corporelles")
    assert (tangible.amount, tangible.accounts) == (D("2000.00"), ("2183", "28183"))
    assert totals(out.balance_sheet) == [D("2000.00"), D("2000.00")]


def test_a_result_pending_allocation_keeps_its_own_line_beside_this_years_result() -> None:
    out = build_statements(template="asso", balances={
        "120": D("-300"), "102": D("-1000"), "512": D("1500"), "756": D("-200")})
    assert find(out.balance_sheet, "Résultats antérieurs en instance d'affectation").amount == (
        D("300.00"))
    assert find(out.balance_sheet, "Excédent ou déficit de l'exercice").amount == D("200.00")
    assert find(out.income_statement, "Cotisations").amount == D("200.00")
    assert totals(out.balance_sheet) == [D("1500.00"), D("1500.00")]


@pytest.mark.parametrize(("template", "number", "balance", "label"), [
    ("pcg", "791", D("-10"), "Autres comptes de produits (classe 7)"),  # pre-2025 transfer
    ("pcg", "6", D("10"), "Autres comptes de charges (classe 6)"),
    ("pcg", "580", D("10"), "Autres comptes financiers (solde débiteur)"),
    ("pcg", "580", D("-10"), "Autres comptes financiers (solde créditeur)"),
    ("asso", "101", D("-10"), "Autres comptes de capitaux (classe 1)"),
    ("asso", "2", D("10"), "Autres immobilisations (classe 2)"),
    ("asso", "4999", D("10"), "Autres créances"),
    ("asso", "4999", D("-10"), "Autres dettes"),
    ("asso", "89", D("10"), "Autres comptes spéciaux (classe 8)"),
    ("pcg", "875", D("-10"), "Autres comptes spéciaux (classe 8)"),
])
def test_an_unmapped_account_goes_to_the_other_line_of_its_class(
        template: str, number: str, balance: Decimal, label: str) -> None:
    out = build_statements(template=template, balances={number: balance})
    found = find(out.balance_sheet if number[0] in "12345" else out.income_statement, label)
    assert found.accounts == (number,)
    assert abs(found.amount) == D("10.00")


def test_rare_lines_and_catch_alls_are_hidden_unless_an_account_fed_them() -> None:
    out = build_statements(template="pcg", balances={"512": D("1"), "101": D("-1")})
    labels = {str(ln.label) for s in out.balance_sheet.sides for sec in s.sections
              for ln in sec.lines}
    assert {"Capital", "Autres dettes"} <= labels
    assert "Écart d'équivalence" not in labels
    assert "Autres comptes de capitaux (classe 1)" not in labels
    assert "Capital souscrit non appelé" not in {
        str(sec.title) for s in out.balance_sheet.sides for sec in s.sections}


def test_the_previous_year_fills_the_second_column() -> None:
    previous = {"741": D("-1000"), "512": D("1000")}
    current = {"120": D("-1000"), "512": D("1800"), "756": D("-800")}
    out = build_statements(template="asso", balances=current, previous=previous)
    assert (out.result, out.previous_result) == (D("800.00"), D("1000.00"))
    subsidies = find(out.income_statement, "Concours publics et subventions d'exploitation")
    assert (subsidies.amount, subsidies.previous) == (D("0.00"), D("1000.00"))
    pending = find(out.balance_sheet, "Résultats antérieurs en instance d'affectation")
    assert (pending.amount, pending.previous) == (D("1000.00"), D("0.00"))
    assert [s.previous_total for s in out.balance_sheet.sides] == [D("1000.00")] * 2
    assert [s.total for s in out.balance_sheet.sides] == [D("1800.00")] * 2


def test_without_a_previous_year_every_previous_amount_is_absent() -> None:
    out = build_statements(template="pcg", balances={"512": D("5"), "706": D("-5")})
    for _side, sec, ln in walk(out):
        assert (ln.previous, sec.previous_total) == (None, None)


def test_labels_are_lazy_translations() -> None:
    out = build_statements(template="asso", balances={"864": D("1"), "875": D("-1")})
    for statement in (out.balance_sheet, out.income_statement):
        assert isinstance(statement.title, Promise)
    for side, sec, ln in walk(out):
        assert all(isinstance(x, Promise) for x in (side.title, sec.title, ln.label))


def test_bad_input_is_refused_rather_than_dropped() -> None:
    with pytest.raises(ValueError, match="Unknown chart template"):
        build_statements(template="ifrs", balances={})
    with pytest.raises(ValueError, match="classes 1 to 8"):
        build_statements(template="pcg", balances={"9100": D("1")})
    with pytest.raises(TypeError):
        build_statements(template="pcg", balances={"512": 1.5})  # type: ignore[dict-item]


def test_a_layout_with_a_prefix_on_two_lines_or_a_class_without_catch_all_is_refused() -> None:
    def sides(*lines: statements.LineSpec) -> tuple[statements.SideSpec, ...]:
        return (statements.SideSpec("Actif", statements.DEBIT_POSITIVE,
                                    (section("Tout", *lines),)),)

    with pytest.raises(ValueError, match="two lines"):
        statements._Index.of(sides(line("A", "41"), line("B", debit="41"), line("C", "4")),
                             (4,))
    with pytest.raises(ValueError, match="catch-all"):
        statements._Index.of(sides(line("A", "41"), line("B", debit="4")), (4,))


# -- invariants over random balanced books ----------------------------------------------------

CHART_NUMBERS = {t: [a.number for a in load_chart(t)] for t in TEMPLATES}
DIGITS = "0123456789"


def account_numbers(template: str) -> st.SearchStrategy[str]:
    from_chart = st.sampled_from(CHART_NUMBERS[template])
    sub_account = st.tuples(from_chart, st.text(DIGITS, min_size=1, max_size=5)).map("".join)
    anything = st.tuples(st.sampled_from("12345678"), st.text(DIGITS, max_size=7)).map("".join)
    return st.one_of(from_chart, sub_account, anything)


cents = st.integers(min_value=-10**10, max_value=10**10).map(lambda c: Decimal(c) / 100)


@st.composite
def balanced_books(draw: st.DrawFn, template: str) -> dict[str, Decimal]:
    """Balances as double entry leaves them: classes 1-7 sum to zero, and so does class 8."""
    books = draw(st.dictionaries(account_numbers(template), cents, max_size=30))
    for classes in ("1234567", "8"):
        numbers = [n for n in books if n[0] in classes]
        if numbers:
            books[numbers[0]] -= sum(books[n] for n in numbers)
    return books


def walk(out: AnnualStatements) -> Iterator[tuple[statements.Side, statements.Section,
                                                StatementLine]]:
    for statement in (out.balance_sheet, out.income_statement):
        for side in statement.sides + statement.footer:
            for sec in side.sections:
                for ln in sec.lines:
                    yield side, sec, ln


def side_signs(template: str) -> dict[str, int]:
    layout = statements.LAYOUTS[template]
    return {str(s.title): s.sign
            for s in layout.balance_sheet + layout.income_statement + layout.footer}


@pytest.mark.parametrize("template", TEMPLATES)
@given(data=st.data())
@settings(max_examples=60, deadline=None)
def test_actif_equals_passif_whenever_the_books_balance(template: str,
                                                       data: st.DataObject) -> None:
    out = build_statements(template=template, balances=data.draw(balanced_books(template)))
    actif, passif = out.balance_sheet.sides
    assert actif.total == passif.total


@pytest.mark.parametrize("template", TEMPLATES)
@given(data=st.data())
@settings(max_examples=60, deadline=None)
def test_the_result_is_produits_minus_charges(template: str, data: st.DataObject) -> None:
    books = data.draw(balanced_books(template))
    out = build_statements(template=template, balances=books)
    charges, produits = out.income_statement.sides
    assert out.result == produits.total - charges.total
    assert out.result == -sum((b for n, b in books.items() if n[0] in "67"), D(0))
    assert find(out.balance_sheet, RESULT_LABEL[template]).amount == out.result


@pytest.mark.parametrize("template", TEMPLATES)
@given(data=st.data())
@settings(max_examples=60, deadline=None)
def test_every_account_lands_on_exactly_one_line(template: str, data: st.DataObject) -> None:
    books = data.draw(st.dictionaries(account_numbers(template), cents, max_size=30))
    out = build_statements(template=template, balances=books)
    signs = side_signs(template)
    seen: list[str] = []
    for side, sec, ln in walk(out):
        seen.extend(ln.accounts)
        if str(ln.label) == RESULT_LABEL[template]:
            assert ln.accounts == ()
            continue
        fed = sum((books[n] for n in ln.accounts), D(0))
        assert ln.amount == signs[str(side.title)] * fed
        assert sec.total == sum((x.amount for x in sec.lines), D(0))
    assert sorted(seen) == sorted(n for n, b in books.items() if b != 0)


@pytest.mark.parametrize("template", TEMPLATES)
@given(data=st.data())
@settings(max_examples=40, deadline=None)
def test_the_previous_column_mirrors_the_current_one_for_the_same_balances(
        template: str, data: st.DataObject) -> None:
    books: Mapping[str, Decimal] = data.draw(balanced_books(template))
    out = build_statements(template=template, balances=books, previous=books)
    assert out.previous_result == out.result
    for side, sec, ln in walk(out):
        assert ln.previous == ln.amount
        assert sec.previous_total == sec.total
        assert side.previous_total == side.total


# Aggregates nobody should post to, liaison accounts that cancel out, and rarities.
EXPECTED_ON_CATCH_ALLS = {
    "pcg": {"1", "10", "102", "18", "181", "186", "187", "188", "2", "23", "28", "29", "3", "36",
            "38", "39", "6", "68", "7", "78"},
    "asso": {"1", "10", "18", "181", "186", "187", "2", "23", "28", "29", "6", "68", "7", "78",
             "8"},
}


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_chart_account_lands_on_a_named_line_of_the_model(template: str) -> None:
    on_catch_alls = set()
    for account in load_chart(template):
        for balance in (D(1), D(-1)):
            out = build_statements(template=template, balances={account.number: balance})
            for _side, _sec, ln in walk(out):
                if account.number in ln.accounts and "(classe " in str(ln.label):
                    on_catch_alls.add(account.number)
    assert on_catch_alls == EXPECTED_ON_CATCH_ALLS[template]


# (account, balance sign, line) as an accountant would check the mapping, debit positive.
KEY_ACCOUNTS = {
    "pcg": [
        ("1013", -1, "Capital"), ("1061", -1, "Réserve légale"),
        ("1063", -1, "Réserves statutaires ou contractuelles"), ("1068", -1, "Autres réserves"),
        ("110", -1, "Report à nouveau"), ("119", 1, "Report à nouveau"),
        ("131", -1, "Subventions d'investissement"),
        ("164", -1, "Emprunts et dettes auprès des établissements de crédit"),
        ("519", -1, "Emprunts et dettes auprès des établissements de crédit"),
        ("455", -1, "Emprunts et dettes financières divers"), ("455", 1, "Autres créances"),
        ("4567", -1, "Autres dettes"), ("4562", 1, "Capital souscrit - appelé, non versé"),
        ("205", 1, "Immobilisations incorporelles"), ("275", 1, "Immobilisations financières"),
        ("4091", 1, "Avances et acomptes versés sur commandes"),
        ("4191", -1, "Avances et acomptes reçus sur commandes en cours"),
        ("408", -1, "Dettes fournisseurs et comptes rattachés"),
        ("404", -1, "Dettes sur immobilisations et comptes rattachés"),
        ("421", -1, "Dettes fiscales et sociales"), ("44551", -1, "Dettes fiscales et sociales"),
        ("44567", 1, "Autres créances"), ("418", 1, "Clients et comptes rattachés"),
        ("491", -1, "Clients et comptes rattachés"), ("486", 1, "Charges constatées d'avance"),
        ("487", -1, "Produits constatés d'avance"), ("5112", 1, "Disponibilités"),
        ("530", 1, "Disponibilités"), ("503", 1, "Valeurs mobilières de placement"),
        ("37", 1, "Marchandises"),
        ("6037", 1, "Variation de stock (marchandises)"),
        ("6064", 1, "Autres achats et charges externes"),
        ("657", 1, "Autres charges"),
        ("6811", 1, "Dotations aux amortissements et aux dépréciations"),
        ("6815", 1, "Dotations aux provisions"), ("6616", 1, "Charges financières"),
        ("691", 1, "Participation des salariés aux résultats"),
        ("695", 1, "Impôts sur les bénéfices"), ("706", -1, "Production vendue de services"),
        ("701", -1, "Production vendue de biens"), ("707", -1, "Ventes de marchandises"),
        ("741", -1, "Subventions d'exploitation"), ("754", -1, "Autres produits"),
        ("7587", -1, "Autres produits"), ("768", -1, "Produits financiers"),
        ("778", -1, "Produits exceptionnels"),
        ("7815", -1, "Reprises sur amortissements, dépréciations et provisions"),
    ],
    "asso": [
        ("102", -1, "Fonds propres sans droit de reprise"),
        ("103", -1, "Fonds propres avec droit de reprise"), ("1068", -1, "Réserves"),
        ("191", -1, "Fonds reportés liés aux legs ou donations"), ("196", -1, "Fonds dédiés"),
        ("4681", -1, "Autres dettes"), ("416", 1, "Créances usagers et comptes rattachés"),
        ("24", 1, "Biens reçus par legs ou donations destinés à être cédés"),
        ("31", 1, "Stocks et en-cours"), ("657", 1, "Aides financières"),
        ("6894", 1, "Reports en fonds reportés et dédiés"), ("652", 1, "Autres charges"),
        ("75412", -1, "Dons manuels"), ("7542", -1, "Mécénats"),
        ("7543", -1, "Legs, donations et assurances-vie"), ("7562", -1, "Cotisations"),
        ("7063", -1, "Parrainages"), ("7073", -1, "Ventes de dons en nature"),
        ("706", -1, "Ventes de prestations de service"), ("707", -1, "Ventes de biens"),
        ("755", -1, "Contributions financières"),
        ("7896", -1, "Utilisations des fonds reportés et dédiés"),
        ("870", -1, "Dons en nature"), ("861", 1, "Mises à disposition gratuites de biens"),
    ],
}


@pytest.mark.parametrize(("template", "number", "sign", "label"), [
    (template, *case) for template, cases in KEY_ACCOUNTS.items() for case in cases])
def test_key_accounts_land_on_their_model_line(template: str, number: str, sign: int,
                                               label: str) -> None:
    out = build_statements(template=template, balances={number: D(sign)})
    [fed] = [ln for _side, _sec, ln in walk(out) if number in ln.accounts]
    assert str(fed.label) == label
