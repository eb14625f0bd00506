"""The demo treasury: contribution schemes and their monthly runs, an exempt collective, pay
requests in every state the persona's story reaches (the books pay her no salary: last month's
request went through the payroll round trip), last month's payroll import booking it and paying
on paper two coopérants the books do not pay that month, the persona the one coopérant close to
zero, a contributory budget (one envelope closed, one open) and last month's bank statement half
reconciled; every figure read from the ledger, the accounts adding up to the general ledger;
idempotent.

The whole demo (`kpa seed_demo`) is built once for the module, with today's date as `make run`
would, inside a transaction rolled back at the end; each test runs in its own savepoint within
it. The test that needs another state runs first, before that module transaction exists.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass, fields
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum

from kpa.core.dates import local_today
from kpa.core.models import AuditEvent
from kpa.directory.demo import seed_demo_network
from kpa.directory.models import Activity, Role, RoleKind, Structure
from kpa.journey.models import Contract
from kpa.ledger.models import Entry, EntryLine, Journal, TreasuryAccount
from kpa.treasury import balances
from kpa.treasury.contribution import last_day, next_month
from kpa.treasury.demo import seed_app_demo
from kpa.treasury.models import (
    BankStatement,
    BankTransaction,
    ContributionCharge,
    ContributionOverride,
    ContributionScheme,
    Envelope,
    EnvelopeReward,
    EnvelopeTask,
    PayCutoff,
    PayRequest,
    PayrollImport,
    PayrollLine,
)
from kpa.treasury.pay import month_of
from kpa.treasury.reconciliation import bank_lines, line_amount
from kpa.treasury.schemes import schemes_of

pytestmark = pytest.mark.django_db

ZERO = Decimal("0.00")


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count()
            for model in (ContributionScheme, ContributionOverride, ContributionCharge,
                          PayCutoff, PayRequest, PayrollImport, PayrollLine, Envelope,
                          EnvelopeTask, EnvelopeReward, BankStatement, BankTransaction, Entry,
                          AuditEvent)}


# -- before the rest of the demo exists (runs before the module's demo) ----------------------


def test_without_the_demo_books_the_treasury_demo_does_nothing():
    seed_demo_network()

    line = seed_app_demo(today=dt.date(2026, 11, 28))

    assert "rien à faire" in line
    assert not ContributionScheme.objects.exists()
    assert not PayRequest.objects.exists()


# -- the demo as `kpa seed_demo` builds it today ------------------------------------------------


@dataclass(frozen=True)
class Demo:
    today: dt.date
    output: str


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker) -> Iterator[Demo]:  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        today = local_today()
        call_command("seed_demo", "--quiet-logins", stdout=out)
        yield Demo(today=today, output=out.getvalue())
        transaction.set_rollback(True)


def _cae() -> Structure:
    return Structure.objects.get(name="CAE Cap Nord Activités")


def _association() -> Structure:
    return Structure.objects.get(name="Association KPA Mireuil")


def _last_month(today: dt.date) -> dt.date:
    return month_of(month_of(today) - dt.timedelta(days=1))


def _ledger_sum(account: TreasuryAccount, prefix: str, today: dt.date) -> Decimal:
    """Debit minus credit of the account's validated lines on general accounts starting with
    `prefix`, over the open years: read straight from the lines, not through `balances`."""
    years = [y.pk for y in balances.open_years(account.structure_id, today)]
    total = (EntryLine.objects.filter(treasury_account=account, validated=True,
                                      fiscal_year_id__in=years,
                                      account__number__startswith=prefix)
             .aggregate(total=Sum("debit") - Sum("credit"))["total"])
    return Decimal(total or 0).quantize(Decimal("0.01"))


def test_the_seed_demo_command_reports_the_treasury_after_the_purchases(demo):
    assert "Trésorerie créée : 2 barèmes, 1 dérogation" in demo.output
    assert demo.output.index("[purchases,") < demo.output.index("[treasury,")


def test_the_cae_takes_the_opteos_scale_with_a_fee_waived_for_rsa_recipients(demo):
    scheme = schemes_of(_cae()).get()

    assert scheme.base == ContributionScheme.Base.GROSS_MARGIN
    assert [(b.lower_bound, b.rate) for b in scheme.brackets.all()] == [
        (Decimal("0.00"), Decimal("11.500")), (Decimal("30000.00"), Decimal("10.500")),
        (Decimal("60000.00"), Decimal("9.500")), (Decimal("90000.00"), Decimal("8.500")),
        (Decimal("120000.00"), Decimal("7.500"))]
    assert scheme.monthly_fee == Decimal("30.00")
    assert scheme.fee_waived_for_rsa


def test_the_association_takes_ten_per_cent_of_its_turnover(demo):
    scheme = schemes_of(_association()).get()

    assert scheme.base == ContributionScheme.Base.TURNOVER
    assert [(b.lower_bound, b.rate) for b in scheme.brackets.all()] == [(ZERO, Decimal("10"))]
    assert scheme.monthly_fee == 0


def test_the_exempt_collective_activity_is_charged_nothing_since_its_exemption(demo):
    override = ContributionOverride.objects.select_related("treasury_account__activity").get()
    account = override.treasury_account

    assert override.exempt
    assert account.kind == TreasuryAccount.Kind.COLLECTIVE
    assert account.activity is not None
    assert account.activity.kind == Activity.Kind.COLLECTIVE
    charges = ContributionCharge.objects.filter(treasury_account=account,
                                                month__gte=override.starts_on)
    assert charges.exists()
    assert {c.amount for c in charges} == {ZERO}
    assert all(any(line["kind"] == "exempt" for line in c.detail) for c in charges)
    assert balances.figures_of(account.pk, account.structure, today=demo.today).turnover > 0


def test_each_finished_month_with_sales_was_charged_and_booked_as_the_ledger_says(demo):
    for structure in (_cae(), _association()):
        year = balances.year_of(structure.pk, demo.today)
        assert year is not None
        sold = {month_of(day) for day in EntryLine.objects.filter(
            entry__structure=structure, validated=True, fiscal_year=year,
            account__number__startswith="70").values_list("entry__date", flat=True)}
        finished = {m for m in sold if last_day(m) < demo.today}
        charged = set(ContributionCharge.objects.filter(structure=structure)
                      .values_list("month", flat=True))
        assert charged == finished, structure
        for charge in ContributionCharge.objects.filter(structure=structure).exclude(amount=0):
            assert charge.entry is not None
            assert charge.entry.status == Entry.Status.VALIDATED
            assert charge.entry.date == last_day(charge.month)
        figures = balances.figures_for(structure, None, today=demo.today)
        for account in TreasuryAccount.objects.filter(structure=structure):
            booked = (ContributionCharge.objects.filter(treasury_account=account)
                      .aggregate(total=Sum("amount"))["total"] or ZERO)
            assert figures.get(account.pk, balances.Figures()).contribution == booked, account
            assert _ledger_sum(account, "6288", demo.today) == booked, account


def test_the_monthly_fee_is_taken_only_under_a_running_cape_and_not_from_rsa_recipients(demo):
    charges = ContributionCharge.objects.filter(
        structure=_cae(), treasury_account__kind=TreasuryAccount.Kind.INDIVIDUAL,
    ).select_related("treasury_account")
    assert any(c.fee > 0 for c in charges)
    assert any(line.get("reason") == "rsa" for c in charges for line in c.detail)
    for charge in charges:
        contracts = Contract.objects.filter(
            status=Contract.Status.SIGNED, journey__person=charge.treasury_account.person_id,
            starts_on__lte=last_day(charge.month), ends_on__gt=charge.month)
        if charge.fee > 0:
            assert contracts.exists(), charge
            assert not contracts.filter(journey__receives_rsa=True).exists(), charge
        else:
            assert not contracts.filter(~Q(journey__receives_rsa=True)).exists() or any(
                line["kind"] == "exempt" for line in charge.detail), charge


def _salaries(month: dt.date) -> QuerySet[EntryLine]:
    """The validated salary lines (641) of `month`."""
    return EntryLine.objects.filter(validated=True, account__number__startswith="641",
                                    entry__date__gte=month, entry__date__lte=last_day(month))


def test_the_persona_is_not_salaried_by_the_books_and_asks_her_pay_in_every_state(demo):
    month = month_of(demo.today)
    last_month = _last_month(demo.today)
    requests = PayRequest.objects.select_related("person__user").order_by("pk")
    persona = requests[0].person

    assert persona.user is not None
    assert persona.user.username == "cooperant"
    assert {r.person_id for r in requests} == {persona.pk}
    assert {r.created_by.username for r in requests if r.created_by} == {"cooperant"}
    # Under a CAPE: the ledger demo's payroll (entries without a source) never pays her.
    assert not EntryLine.objects.filter(treasury_account__person=persona, entry__source="",
                                        account__number__startswith="641").exists()
    assert [(r.month, r.status) for r in requests] == [
        (last_month, PayRequest.Status.BOOKED), (month, PayRequest.Status.REFUSED),
        (month, PayRequest.Status.TRANSMITTED), (next_month(month), PayRequest.Status.REQUESTED)]
    booked, refused = requests[0], requests[1]
    assert booked.reviewed_by is not None
    assert booked.reviewed_by.username == "referent"
    assert refused.refusal_reason
    assert refused.reviewed_by is not None
    assert refused.reviewed_by.username == "referent"


def test_this_month_s_cut_off_is_published_for_the_25th(demo):
    cutoff = PayCutoff.objects.get(structure=_cae(), month=month_of(demo.today))

    assert cutoff.cutoff_on == month_of(demo.today).replace(day=25)


def test_last_month_s_payroll_books_her_exported_request_and_two_paid_on_paper(demo):
    month = _last_month(demo.today)
    payroll = PayrollImport.objects.get(structure=_cae(), month=month)
    lines = list(payroll.lines.select_related("entry", "pay_request", "treasury_account__person"))
    booked = PayRequest.objects.get(month=month)

    assert [ln.pay_request for ln in lines if ln.pay_request] == [booked]
    assert booked.status == PayRequest.Status.BOOKED
    assert booked.exported_at is not None
    # Exported early this month, after the month ended, then the summary came back.
    assert month_of(booked.exported_at.date()) == month_of(demo.today)
    assert booked.exported_at <= payroll.imported_at
    export = AuditEvent.objects.get(action="treasury.payroll.exported")
    assert export.data == {"month": month.isoformat(), "requests": [booked.pk],
                           "newly": [booked.pk]}
    asked = next(ln for ln in lines if ln.pay_request)
    assert (asked.net, asked.treasury_account_id) == (booked.net_amount,
                                                       booked.treasury_account_id)
    on_paper = [ln for ln in lines if ln.pay_request is None]
    assert len(on_paper) == 2
    for line in lines:
        assert line.entry.status == Entry.Status.VALIDATED
        assert line.entry.date == last_day(month)
        totals = {row["account__number"]: (row["debit"], row["credit"]) for row in
                  EntryLine.objects.filter(entry=line.entry).values("account__number")
                  .annotate(debit=Sum("debit"), credit=Sum("credit"))}
        assert totals["641"] == (line.gross, 0)
        assert totals["645"] == (line.employer_cost - line.gross, 0)
        assert totals["421"] == (0, line.net)
        assert set(EntryLine.objects.filter(entry=line.entry)
                   .values_list("treasury_account_id", flat=True)) == {line.treasury_account_id}
    for line in on_paper:
        person = line.treasury_account.person
        assert person is not None
        assert person.user is None  # asked on paper
        assert not _salaries(month).filter(treasury_account=line.treasury_account,
                                           entry__source="").exists()
        figures = balances.figures_of(line.treasury_account_id, _cae(), today=demo.today)
        assert figures.available > 50


def test_nobody_is_paid_two_salaries_for_last_month(demo):
    paid = (_salaries(_last_month(demo.today)).values("treasury_account_id")
            .annotate(entries=Count("entry", distinct=True)))

    assert paid
    assert {row["entries"] for row in paid} == {1}


def test_the_persona_is_close_to_zero_after_asking_almost_all_she_has(demo):
    asked = PayRequest.objects.select_related("treasury_account__structure").get(
        status=PayRequest.Status.REQUESTED)
    account = asked.treasury_account
    figures = balances.figures_of(account.pk, account.structure, today=demo.today)

    assert asked.person.user is not None
    assert asked.person.user.username == "cooperant"
    assert 0 <= figures.available <= 50
    # Every figure comes from the ledger's lines and the requests in progress.
    assert figures.cash == _ledger_sum(account, "5", demo.today)
    owed = -sum((_ledger_sum(account, prefix, demo.today) for prefix in ("40", "42", "43", "44")),
                ZERO)
    assert figures.owed == owed
    in_progress = PayRequest.objects.filter(treasury_account=account,
                                            status__in=PayRequest.OPEN_STATUSES)
    assert figures.committed == sum((r.estimated_cost for r in in_progress), ZERO)
    assert figures.available == figures.cash - owed - figures.committed
    assert figures.remuneration > 0
    assert figures.contribution > 0
    assert figures.transfers > 0  # her rewards from the contributory budget


def test_the_persona_is_the_one_cae_coopérant_close_to_zero_and_most_are_positive(demo):
    cooperants = Role.objects.filter(kind=RoleKind.COOPERANT).values("person_id")
    accounts = {a.pk: a for a in TreasuryAccount.objects.filter(
        structure=_cae(), kind=TreasuryAccount.Kind.INDIVIDUAL, person_id__in=cooperants,
    ).select_related("person__user")}
    available = {pk: f.available for pk, f in
                 balances.figures_for(_cae(), list(accounts), today=demo.today).items()}

    close = [accounts[pk] for pk, amount in available.items() if 0 <= amount <= 50]
    assert [a.person.user.username if a.person and a.person.user else a.code
            for a in close] == ["cooperant"]
    assert sum(1 for amount in available.values() if amount > 50) > len(available) / 2


def test_the_autumn_envelope_is_closed_and_its_rewards_reached_each_contributor(demo):
    closed = Envelope.objects.select_related("closing_entry").get(
        status=Envelope.Status.CLOSED)
    rewards = list(closed.rewards.select_related("person"))

    assert closed.tasks.count() >= 2
    assert len(rewards) >= 3
    assert len({r.person_id for r in rewards}) >= 2
    entry = closed.closing_entry
    assert entry is not None
    assert entry.status == Entry.Status.VALIDATED
    moved = EntryLine.objects.filter(entry=entry, account__number="580")
    for person_id in {r.person_id for r in rewards}:
        total = sum((r.amount for r in rewards if r.person_id == person_id), ZERO)
        line = moved.get(debit__gt=0, treasury_account__person_id=person_id,
                         treasury_account__kind=TreasuryAccount.Kind.INDIVIDUAL)
        assert line.debit == total
    rest = closed.amount - sum((r.amount for r in rewards), ZERO)
    assert moved.get(debit__gt=0, treasury_account=closed.pot_account).debit == rest
    given = moved.filter(credit__gt=0)
    assert {ln.treasury_account_id for ln in given} == {closed.source_account_id}
    assert sum((ln.credit for ln in given), ZERO) == closed.amount


def test_the_christmas_envelope_is_open_and_held_on_its_source(demo):
    opened = Envelope.objects.get(status=Envelope.Status.OPEN)
    source = opened.source_account
    figures = balances.figures_of(source.pk, source.structure, today=demo.today)

    assert opened.mode == Envelope.Mode.GRID
    assert opened.rewards.count() >= 2
    assert figures.committed_detail["envelopes"] == opened.amount
    assert figures.available >= 0


def test_last_month_s_bank_statement_comes_from_the_books_and_is_half_reconciled(demo):
    statement = BankStatement.objects.select_related("journal").get()
    journal = statement.journal
    transactions = list(statement.transactions.prefetch_related("matched_lines"))
    month = _last_month(demo.today)

    assert statement.file_format == "ofx"
    assert (journal.structure, journal.code) == (_cae(), "BQ1")
    assert {month_of(t.booked_on) for t in transactions} == {month}
    matched = [t for t in transactions if t.status == BankTransaction.Status.MATCHED]
    waiting = [t for t in transactions if t.status == BankTransaction.Status.UNMATCHED]
    assert matched
    assert waiting
    for item in matched:
        assert sum((line_amount(ln) for ln in item.matched_lines.all()), ZERO) == item.amount
    books = list(bank_lines(journal).filter(entry__date__gte=month,
                                            entry__date__lt=next_month(month)))
    fees = [t for t in waiting if not any(line_amount(ln) == t.amount
                                          and ln.entry.date == t.booked_on for ln in books)]
    assert fees
    assert all(t.amount < 0 for t in fees)
    assert len(transactions) == len(books) + len(fees)
    assert Journal.objects.get(pk=journal.pk).kind == Journal.Kind.BANK


def test_the_treasury_accounts_and_the_structure_s_own_lines_add_up_to_the_general_ledger(demo):
    for structure in Structure.objects.filter(treasury_accounts__isnull=False).distinct():
        accounts = balances.figures_for(structure, None, today=demo.today).values()
        own = balances.structure_figures(structure, today=demo.today, own_lines_only=True)
        whole = balances.structure_figures(structure, today=demo.today)
        for bucket in fields(balances.Figures):
            if bucket.name in ("committed", "committed_detail"):
                continue
            parts = sum((getattr(f, bucket.name) for f in accounts), getattr(own, bucket.name))
            assert parts == getattr(whole, bucket.name), (structure, bucket.name)
        assert whole.transfers == 0  # 580 nets to zero in the general ledger


def test_seeding_twice_adds_nothing(demo):
    before = _counts()
    out = io.StringIO()

    call_command("seed_demo", "--quiet-logins", stdout=out)

    assert _counts() == before
    assert "Trésorerie déjà présente : 2 barèmes" in out.getvalue()

