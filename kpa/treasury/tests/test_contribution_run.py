"""Running a month's contribution: the base read from the books, the scheme in force, the
overrides, the fee and its RSA waiver, the entries booked per the books contract, idempotent
re-runs, refunds after a credit note, and the structure's cash left unchanged."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from conftest import TODAY
from kpa.core.models import AuditEvent
from kpa.directory import services as directory_services
from kpa.directory.models import Activity
from kpa.journey.models import Journey
from kpa.ledger.models import Entry, EntryLine
from kpa.ledger.treasury_accounts import common_account_for, treasury_account_for
from kpa.sales import documents
from kpa.sales.tests.conftest import Shop
from kpa.sales.tests.helpers import draft_invoice
from kpa.treasury import balances, schemes
from kpa.treasury.contribution import (
    Bracket,
    contribution_due,
    describe,
    plan_month,
    preview_month,
    run_month,
)
from kpa.treasury.models import ContributionCharge
from kpa.treasury.tests.test_contribution_helpers import OPTEOS, account_of, book, opteos

NOVEMBER = dt.date(2026, 11, 1)
AFTER_NOVEMBER = dt.date(2026, 12, 2)


def run(shop: Shop, month: dt.date = NOVEMBER, today: dt.date = AFTER_NOVEMBER):
    return run_month(actor=shop.manager, structure=shop.cast.cae, month=month, today=today)


def charge_of(account, month: dt.date = NOVEMBER) -> ContributionCharge:
    return ContributionCharge.objects.get(treasury_account=account, month=month)


def test_the_first_run_adds_the_contribution_accounts_to_the_chart_once_and_audited(
        shop: Shop) -> None:
    opteos(shop)
    book(shop, account_of(shop), dt.date(2026, 11, 10), sales="1000")
    run(shop)
    added = AuditEvent.objects.filter(action="ledger.account.created",
                                      target_repr__startswith="6288")
    assert added.count() == 1
    assert added.get().actor == shop.manager
    assert AuditEvent.objects.filter(action="ledger.account.created",
                                     target_repr__startswith="7588").count() == 1


def test_a_month_books_one_entry_moving_the_contribution_to_the_structure(shop: Shop) -> None:
    opteos(shop)
    account = account_of(shop)
    book(shop, account, dt.date(2026, 11, 10), sales="12000")
    result = run(shop)
    charge = charge_of(account)
    assert charge.amount == charge.contribution == Decimal("1380.00")
    assert (charge.base_of_month, charge.base_year_to_date) == (Decimal("12000.00"),
                                                                Decimal("12000.00"))
    entry = charge.entry
    assert entry is not None
    assert entry.is_validated
    assert (entry.journal.code, entry.date, entry.label, entry.source) == (
        "OD", dt.date(2026, 11, 30), "Contribution coopérative 11/2026", "treasury.contribution")
    lines = {(ln.account.number, ln.debit, ln.credit, ln.treasury_account_id)
             for ln in entry.lines.select_related("account")}
    amount, zero = Decimal("1380.00"), Decimal("0.00")
    assert lines == {("6288", amount, zero, account.pk), ("512", zero, amount, account.pk),
                     ("512", amount, zero, None), ("7588", zero, amount, None)}
    assert result.booked == 1
    assert "De 0 à 30\u202f000 € : 11,5 % de 12\u202f000,00 € = 1\u202f380,00 €" in describe(
        charge.detail)
    assert AuditEvent.objects.filter(action="treasury.contribution.charged",
                                     target_id=str(charge.pk)).exists()
    assert AuditEvent.objects.filter(action="treasury.contribution_month.run").count() == 1


def test_the_contribution_leaves_the_structures_cash_unchanged(shop: Shop) -> None:
    opteos(shop)
    account = account_of(shop)
    book(shop, account, dt.date(2026, 11, 10), sales="2000")
    cae = shop.cast.cae
    before = balances.structure_figures(cae, today=AFTER_NOVEMBER)
    run(shop)
    after = balances.structure_figures(cae, today=AFTER_NOVEMBER)
    assert after.cash == before.cash
    own = balances.structure_figures(cae, today=AFTER_NOVEMBER, own_lines_only=True)
    figures = balances.figures_of(account.pk, cae, today=AFTER_NOVEMBER)
    assert figures.contribution == Decimal("230.00")
    assert own.other_income == Decimal("230.00")
    all_accounts = balances.figures_for(cae, None, today=AFTER_NOVEMBER)
    assert sum(f.cash for f in all_accounts.values()) + own.cash == after.cash


def test_every_account_gets_its_computation_even_at_zero(shop: Shop) -> None:
    opteos(shop)
    individual, collective = account_of(shop), account_of(shop, collective=True)
    pot = common_account_for(shop.cast.home, actor=shop.manager)
    book(shop, individual, dt.date(2026, 11, 10), sales="100")
    result = run(shop)
    assert result.created == 3
    assert charge_of(collective).entry is None
    assert charge_of(collective).amount == 0
    assert describe(charge_of(pot).detail) == [
        "Caisse commune du KPA : elle ne paie pas de contribution."]
    assert Entry.objects.filter(source="treasury.contribution").count() == 1


def test_the_base_is_the_gross_margin_of_the_fiscal_year_to_the_months_end(shop: Shop) -> None:
    opteos(shop)
    account = account_of(shop)
    book(shop, account, dt.date(2026, 9, 5), sales="40000", costs="4000", other_costs="900")
    book(shop, account, dt.date(2026, 11, 12), sales="10000", costs="1000")
    book(shop, account, dt.date(2026, 12, 1), sales="99999")  # after the month: not counted
    run(shop)
    charge = charge_of(account)
    assert charge.base_year_to_date == Decimal("45000.00")  # 50 000 - 5 000; travel is no cost
    assert charge.base_of_month == Decimal("9000.00")
    assert charge.contribution == Decimal("5025.00")


def test_a_turnover_scheme_ignores_direct_costs(shop: Shop) -> None:
    opteos(shop, base="turnover")
    account = account_of(shop)
    book(shop, account, dt.date(2026, 11, 5), sales="1000", costs="400")
    run(shop)
    assert charge_of(account).contribution == Decimal("115.00")


def test_month_after_month_the_charges_add_up_to_the_years_due(shop: Shop) -> None:
    opteos(shop)
    account = account_of(shop)
    sales = {9: "20000", 10: "25000", 11: "33333.33"}
    for month, amount in sales.items():
        book(shop, account, dt.date(2026, month, 15), sales=amount)
        run(shop, dt.date(2026, month, 1), dt.date(2026, month + 1, 3))
    total = sum(c.amount for c in ContributionCharge.objects.filter(treasury_account=account))
    assert total == contribution_due(Decimal("78333.33"), opteos_brackets())[0]
    # October: due on 45 000 (3 450 + 1 575) minus September's 20 000 x 11.5 %
    assert charge_of(account, dt.date(2026, 10, 1)).contribution == Decimal("2725.00")


def opteos_brackets() -> list[Bracket]:
    return [Bracket(Decimal(b.lower_bound), Decimal(b.rate)) for b in OPTEOS]


def test_a_credit_note_is_given_back_the_next_month(shop: Shop) -> None:
    opteos(shop)
    account = account_of(shop)
    october = dt.date(2026, 10, 12)
    invoice = draft_invoice(shop)
    documents.submit_invoice(actor=shop.seller, invoice=invoice, today=october)
    invoice = documents.issue_invoice(actor=shop.manager, invoice=invoice, today=october)
    run(shop, dt.date(2026, 10, 1), dt.date(2026, 11, 2))
    assert charge_of(account, dt.date(2026, 10, 1)).amount == Decimal("2.88")  # 25 x 11.5 %
    note = documents.create_credit_note(actor=shop.manager, invoice=invoice, today=TODAY)
    documents.issue_invoice(actor=shop.manager, invoice=note, today=TODAY)
    run(shop)
    refund = charge_of(account)
    assert refund.amount == Decimal("-2.88")
    assert refund.base_of_month == Decimal("-25.00")
    assert "Trop compté les mois précédents : 2,88 € rendus ce mois-ci." in describe(
        refund.detail)
    assert refund.entry is not None
    lines = {(ln.account.number, ln.debit, ln.credit, ln.treasury_account_id)
             for ln in refund.entry.lines.select_related("account")}
    amount, zero = Decimal("2.88"), Decimal("0.00")
    assert lines == {("512", amount, zero, account.pk), ("6288", zero, amount, account.pk),
                     ("7588", amount, zero, None), ("512", zero, amount, None)}
    figures = balances.figures_of(account.pk, shop.cast.cae, today=AFTER_NOVEMBER)
    assert figures.contribution == 0


def test_a_month_not_over_is_refused_with_the_day_it_can_be_counted(shop: Shop) -> None:
    opteos(shop)
    with pytest.raises(ValidationError, match=r"11/2026 n'est pas fini .* à partir du "
                                              r"01/12/2026"):
        run(shop, NOVEMBER, dt.date(2026, 11, 30))
    assert not ContributionCharge.objects.exists()


def test_running_a_month_again_only_counts_the_accounts_not_counted_yet(shop: Shop) -> None:
    opteos(shop)
    account = account_of(shop)
    book(shop, account, dt.date(2026, 11, 10), sales="1000")
    first = run(shop)
    entries = Entry.objects.count()
    again = run(shop)
    assert (again.created, again.skipped) == (0, first.created)
    assert Entry.objects.count() == entries
    newcomer = directory_services.create_activity(
        actor=shop.manager, kpa=shop.cast.home, name="Traiteur", kind=Activity.Kind.COLLECTIVE,
        started_on=dt.date(2026, 11, 1), today=TODAY, members=[shop.cast.cooperant])
    late = treasury_account_for(newcomer, actor=shop.manager)
    book(shop, late, dt.date(2026, 11, 20), sales="200")
    third = run(shop)
    assert [c.treasury_account_id for c in third.charges] == [late.pk]
    assert third.skipped == first.created
    assert charge_of(late).amount == Decimal("23.00")


def test_an_earlier_month_cannot_be_counted_after_a_later_one(shop: Shop) -> None:
    opteos(shop)
    account_of(shop)
    run(shop)
    with pytest.raises(ValidationError, match="La contribution de 11/2026 est déjà comptée"):
        run(shop, dt.date(2026, 10, 1))


def test_only_the_structures_gestionnaire_or_comptable_runs_a_month(shop: Shop) -> None:
    opteos(shop)
    account_of(shop)
    cae = shop.cast.cae
    for persona in ("cooperant", "referent", "outsider"):
        with pytest.raises(PermissionDenied):
            run_month(actor=shop.cast.user(persona), structure=cae, month=NOVEMBER,
                      today=AFTER_NOVEMBER)
        with pytest.raises(PermissionDenied):
            preview_month(actor=shop.cast.user(persona), structure=cae, month=NOVEMBER,
                          today=AFTER_NOVEMBER)
    result = run_month(actor=shop.cast.user("comptable"), structure=cae, month=NOVEMBER,
                       today=AFTER_NOVEMBER)
    assert result.created == 1


def test_the_scheme_in_force_on_the_months_first_day_applies(shop: Shop) -> None:
    opteos(shop, ends_on=dt.date(2026, 12, 1))
    schemes.create_scheme(actor=shop.manager, structure=shop.cast.cae, name="Barème 2027",
                          starts_on=dt.date(2026, 12, 1),
                          brackets=[schemes.BracketInput("0", "5")], today=TODAY)
    account = account_of(shop)
    book(shop, account, dt.date(2026, 11, 10), sales="1000")
    run(shop)
    charge = charge_of(account)
    assert charge.scheme is not None
    assert charge.scheme.name == "Optéos"
    assert charge.amount == Decimal("115.00")


def test_without_a_scheme_nothing_is_taken(shop: Shop) -> None:
    account = account_of(shop)
    book(shop, account, dt.date(2026, 11, 10), sales="1000")
    run(shop)
    charge = charge_of(account)
    assert charge.amount == 0
    assert charge.scheme is None
    assert describe(charge.detail) == [
        "Aucun barème de contribution en vigueur ce mois-ci : rien à payer."]


def test_an_exempt_activity_pays_nothing_and_is_not_caught_up_afterwards(shop: Shop) -> None:
    opteos(shop, monthly_fee="20")
    account = account_of(shop)
    schemes.create_override(actor=shop.manager, activity=shop.activity, exempt=True,
                            reason="Lancement de l'activité", starts_on=dt.date(2026, 10, 1),
                            ends_on=dt.date(2026, 11, 1), today=TODAY)
    book(shop, account, dt.date(2026, 10, 10), sales="1000")
    run(shop, dt.date(2026, 10, 1), dt.date(2026, 11, 2))
    october = charge_of(account, dt.date(2026, 10, 1))
    assert (october.amount, october.fee, october.entry) == (Decimal("0.00"), Decimal("0.00"),
                                                            None)
    assert "Exonération : Lancement de l'activité. Rien n'est prélevé ce mois-ci." in describe(
        october.detail)
    book(shop, account, dt.date(2026, 11, 10), sales="1000")
    run(shop)
    november = charge_of(account)
    assert november.contribution == Decimal("115.00")  # November's own part, not October's
    assert november.fee == Decimal("20.00")


def test_an_override_puts_an_activity_under_another_scheme(shop: Shop) -> None:
    opteos(shop)
    override = schemes.create_override(
        actor=shop.manager, activity=shop.friperie, reason="Activité d'insertion",
        new_scale=schemes.Scale(name="Friperie solidaire",
                                brackets=[schemes.BracketInput("0", "4")]),
        starts_on=dt.date(2026, 11, 1), today=TODAY)
    light = override.scheme
    collective, individual = account_of(shop, collective=True), account_of(shop)
    book(shop, collective, dt.date(2026, 11, 10), sales="1000")
    book(shop, individual, dt.date(2026, 11, 10), sales="1000")
    run(shop)
    assert charge_of(collective).amount == Decimal("40.00")
    assert charge_of(collective).scheme == light
    assert describe(charge_of(collective).detail)[0] == (
        "Barème particulier de cette activité : « Friperie solidaire ».")
    assert charge_of(individual).amount == Decimal("115.00")


def test_the_fee_is_taken_from_coopérants_with_a_running_cape_only(shop: Shop) -> None:
    opteos(shop, monthly_fee="20")
    individual, collective = account_of(shop), account_of(shop, collective=True)
    plan = plan_month(shop.cast.cae, dt.date(2026, 2, 1), AFTER_NOVEMBER)
    february = next(c for c in plan.charges if c.account == individual)  # CAPE from 2 March
    assert february.amount == 0
    assert "pas de CAPE en cours ce mois-ci" in " ".join(february.lines)
    run(shop)
    assert charge_of(individual).fee == Decimal("20.00")
    assert charge_of(individual).entry is not None
    assert charge_of(collective).fee == 0
    assert "il ne concerne que les trésoreries individuelles" in " ".join(
        describe(charge_of(collective).detail))


@pytest.mark.parametrize(("receives_rsa", "waived", "fee"), [
    (True, True, Decimal("0.00")),
    (None, True, Decimal("20.00")),  # unknown is not a yes
    (False, True, Decimal("20.00")),
    (True, False, Decimal("20.00")),  # the scheme does not waive it
])
def test_the_fee_is_waived_for_rsa_recipients_only_on_a_clear_yes(
        shop: Shop, receives_rsa: bool | None, waived: bool, fee: Decimal) -> None:
    opteos(shop, monthly_fee="20", fee_waived_for_rsa=waived)
    Journey.objects.filter(person=shop.cast.cooperant).update(receives_rsa=receives_rsa)
    account = account_of(shop)
    run(shop)
    assert charge_of(account).fee == fee


def test_planning_a_month_reads_a_constant_number_of_queries(
        shop: Shop, django_assert_num_queries) -> None:
    opteos(shop, monthly_fee="20")
    book(shop, account_of(shop), dt.date(2026, 11, 10), sales="100")
    with django_assert_num_queries(10):
        assert len(plan_month(shop.cast.cae, NOVEMBER, AFTER_NOVEMBER).charges) == 1
    for number in range(4):
        activity = directory_services.create_activity(
            actor=shop.manager, kpa=shop.cast.home, name=f"Collectif {number}",
            kind=Activity.Kind.COLLECTIVE, started_on=dt.date(2026, 3, 2), today=TODAY,
            members=[shop.cast.cooperant])
        account = treasury_account_for(activity, actor=shop.manager)
        book(shop, account, dt.date(2026, 11, 10), sales="100", costs="10")
    with django_assert_num_queries(10):
        assert len(plan_month(shop.cast.cae, NOVEMBER, AFTER_NOVEMBER).charges) == 5


def test_the_command_previews_then_runs_a_month_as_the_platform(shop: Shop) -> None:
    opteos(shop)
    account = account_of(shop)
    book(shop, account, dt.date(2026, 11, 10), sales="1000")
    siren = shop.cast.cae.siren
    out = StringIO()
    call_command("treasury_contribution", "--siren", siren, "--month", "2026-11",
                 "--today", "2026-12-02", "--dry-run", stdout=out)
    assert f"{account.code} : 115,00 €" in out.getvalue()
    assert "Simulation : 1 compte, 1 écriture, total 115,00 €. Rien n'a été écrit." in (
        out.getvalue())
    assert not ContributionCharge.objects.exists()
    out = StringIO()
    call_command("treasury_contribution", "--siren", siren, "--month", "2026-11",
                 "--today", "2026-12-02", stdout=out)
    assert "Comptés : 1 compte, 1 écriture, total 115,00 €." in out.getvalue()
    charge = charge_of(account)
    assert charge.created_by is None
    assert charge.entry is not None
    out = StringIO()
    call_command("treasury_contribution", "--siren", siren, "--month", "2026-11",
                 "--today", "2026-12-02", stdout=out)
    assert "1 compte déjà compté ce mois-là, laissé tel quel." in out.getvalue()
    with pytest.raises(CommandError, match="n'est pas fini"):
        call_command("treasury_contribution", "--siren", siren, "--month", "2026-12",
                     "--today", "2026-12-02")
    assert EntryLine.objects.filter(entry=charge.entry).count() == 4
