"""Expense claims, service by service: drafting with receipts and mileage, the deadlines, the
gestionnaire's decision posted to the books on the right treasury account, the reimbursement,
and what the coopérant's live treasury shows at each step."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import TODAY
from kpa.core.models import AuditEvent, Notification
from kpa.directory.models import Structure
from kpa.journey.uploads import MAX_UPLOAD_BYTES
from kpa.ledger.models import EntryLine, TreasuryAccount
from kpa.ledger.treasury_accounts import treasury_account_for
from kpa.purchases import expenses
from kpa.purchases.models import ExpenseCategory, ExpenseClaim, ExpenseDeadline, ExpenseLine
from kpa.treasury.balances import figures_of

D = Decimal
NOVEMBER = dt.date(2026, 11, 1)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
GIF = b"GIF89a" + b"\x00" * 64


def new_claim(shop, *, month=NOVEMBER, activity=None, today=TODAY):
    return expenses.create_claim(actor=shop.seller, activity=activity or shop.activity,
                                 month=month, today=today)


def add(shop, claim, *, today=TODAY, **values):
    line = {"spent_on": claim.month + dt.timedelta(days=9), "category": ExpenseCategory.SUPPLIES,
            "description": "Fil et aiguilles", "amount_incl_vat": "12.00",
            "recoverable_vat": "2.00", "receipt": JPEG, "receipt_name": "ticket.jpg"}
    line.update(values)
    return expenses.add_line(actor=shop.seller, claim=claim, today=today, **line)


def add_km(shop, claim, km, *, horsepower=4, today=TODAY, **values):
    line = {"description": "Livraison chez une cliente", "amount_incl_vat": None,
            "recoverable_vat": "0", "receipt": None}
    line.update(values)
    return add(shop, claim, today=today, category=ExpenseCategory.MILEAGE, distance_km=km,
               fiscal_horsepower=horsepower, **line)


def submitted_claim(shop, *, activity=None):
    """Tissue (raw materials, 60,00 € with 10,00 € of VAT) and 100 km at 4 CV (60,60 €)."""
    claim = new_claim(shop, activity=activity)
    add(shop, claim, category=ExpenseCategory.RAW_MATERIALS, description="Tissu",
        amount_incl_vat="60.00", recoverable_vat="10.00")
    add_km(shop, claim, "100")
    return expenses.submit_claim(actor=shop.seller, claim=claim, today=TODAY)


def validated_claim(shop, *, activity=None):
    claim = submitted_claim(shop, activity=activity)
    return expenses.validate_claim(actor=shop.manager, claim=claim, today=TODAY)


def errors_of(excinfo) -> str:
    return " ".join(excinfo.value.messages)


def franchise(shop):
    Structure.objects.filter(pk=shop.cast.cae.pk).update(
        vat_regime=Structure.VatRegime.FRANCHISE)


# -- drafting -------------------------------------------------------------------------------


def test_a_member_starts_a_claim_for_a_month_of_an_activity(shop):
    claim = new_claim(shop, month=dt.date(2026, 11, 17))
    assert claim.month == NOVEMBER
    assert claim.person == shop.cast.cooperant
    assert claim.structure == shop.cast.cae
    assert claim.status == ExpenseClaim.Status.DRAFT
    assert AuditEvent.objects.filter(action="purchases.expense_claim.created",
                                     target_id=str(claim.pk)).exists()


@pytest.mark.parametrize("persona", ["referent", "gestionnaire", "outsider"])
def test_only_a_current_member_of_the_activity_claims_expenses_for_it(shop, persona):
    with pytest.raises(PermissionDenied):
        expenses.create_claim(actor=shop.cast.user(persona), activity=shop.activity,
                              month=NOVEMBER, today=TODAY)


def test_a_month_that_has_not_begun_is_refused(shop):
    with pytest.raises(ValidationError, match="12/2026 n'a pas commencé"):
        new_claim(shop, month=dt.date(2026, 12, 1))


def test_a_second_draft_for_the_same_month_is_refused_with_the_first_one(shop):
    first = new_claim(shop)
    with pytest.raises(ValidationError, match=f"n° {first.pk}"):
        new_claim(shop)
    assert new_claim(shop, activity=shop.friperie).activity == shop.friperie


def test_a_line_keeps_its_receipt_checked_by_its_first_bytes(shop):
    line = add(shop, new_claim(shop), receipt=PDF, receipt_name="../facture.pdf")
    assert bytes(line.receipt) == PDF
    assert line.receipt_type == "application/pdf"
    assert len(line.receipt_sha256) == 64
    assert line.receipt_name == ".._facture.pdf"
    assert line.amount_excl_vat == D("10.00")


def test_a_line_without_a_receipt_is_refused_unless_it_is_kilometres(shop):
    claim = new_claim(shop)
    with pytest.raises(ValidationError) as excinfo:
        add(shop, claim, receipt=None)
    assert "receipt" in excinfo.value.message_dict
    assert add_km(shop, claim, "10").receipt is None


def test_a_receipt_of_the_wrong_type_is_refused(shop):
    with pytest.raises(ValidationError) as excinfo:
        add(shop, new_claim(shop), receipt=GIF)
    assert "ni un PDF ni une photo" in excinfo.value.message_dict["receipt"][0]
    assert not ExpenseLine.objects.exists()


def test_a_receipt_over_ten_megabytes_is_refused(shop):
    with pytest.raises(ValidationError) as excinfo:
        add(shop, new_claim(shop), receipt=b"%PDF-" + b"0" * MAX_UPLOAD_BYTES)
    assert "10 Mo au plus" in excinfo.value.message_dict["receipt"][0]
    assert not ExpenseLine.objects.exists()


@pytest.mark.parametrize(("amount", "vat", "field"), [
    ("12.00", "12.00", "recoverable_vat"),   # the VAT is a part of the amount
    ("12.00", "13.00", "recoverable_vat"),
    ("0", "0", "amount_incl_vat"),
    ("-5", "0", "amount_incl_vat"),
    ("12.001", "0", "amount_incl_vat"),
    ("douze", "0", "amount_incl_vat"),
    (None, "0", "amount_incl_vat"),
])
def test_a_bad_amount_is_refused_on_its_field(shop, amount, vat, field):
    with pytest.raises(ValidationError) as excinfo:
        add(shop, new_claim(shop), amount_incl_vat=amount, recoverable_vat=vat)
    assert field in excinfo.value.message_dict


def test_under_the_vat_franchise_no_vat_is_recovered(shop):
    franchise(shop)
    claim = new_claim(shop)
    with pytest.raises(ValidationError, match="franchise de TVA"):
        add(shop, claim)
    assert add(shop, claim, recoverable_vat="0").recoverable_vat == 0


def test_a_line_of_another_month_or_to_come_is_refused_with_its_date(shop):
    claim = new_claim(shop)
    with pytest.raises(ValidationError, match="du 31/10/2026 : elle va dans une note de frais "
                                              "de 10/2026"):
        add(shop, claim, spent_on=dt.date(2026, 10, 31))
    with pytest.raises(ValidationError, match="29/11/2026 est à venir"):
        add(shop, claim, spent_on=dt.date(2026, 11, 29))


def test_someone_else_cannot_touch_a_draft(shop):
    claim = new_claim(shop)
    line = add(shop, claim)
    for persona in ("gestionnaire", "referent"):
        user = shop.cast.user(persona)
        with pytest.raises(PermissionDenied):
            expenses.add_line(actor=user, claim=claim, today=TODAY, spent_on=line.spent_on,
                              category="other", description="x", amount_incl_vat="1",
                              receipt=JPEG)
        with pytest.raises(PermissionDenied):
            expenses.delete_line(actor=user, line=line, today=TODAY)
        with pytest.raises(PermissionDenied):
            expenses.delete_claim(actor=user, claim=claim, today=TODAY)


def test_a_line_changes_and_keeps_its_receipt_then_goes(shop):
    claim = new_claim(shop)
    line = add(shop, claim)
    changed = expenses.update_line(actor=shop.seller, line=line, today=TODAY,
                                   spent_on=dt.date(2026, 11, 3), category="other",
                                   description="Timbres", amount_incl_vat="8,40",
                                   recoverable_vat="0")
    changed.refresh_from_db()
    assert (changed.description, changed.amount_incl_vat) == ("Timbres", D("8.40"))
    assert bytes(changed.receipt) == JPEG
    expenses.delete_line(actor=shop.seller, line=changed, today=TODAY)
    assert not claim.lines.exists()
    assert AuditEvent.objects.filter(target_id=str(claim.pk), action__in=[
        "purchases.expense_line.added", "purchases.expense_line.updated",
        "purchases.expense_line.deleted"]).count() == 3


def test_a_draft_is_deleted_with_its_lines(shop):
    claim = new_claim(shop)
    add(shop, claim)
    expenses.delete_claim(actor=shop.seller, claim=claim, today=TODAY)
    assert not ExpenseClaim.objects.exists()
    assert not ExpenseLine.objects.exists()


# -- kilometres -----------------------------------------------------------------------------


def test_kilometres_are_priced_from_the_scale_and_the_years_kilometres(shop):
    october = new_claim(shop, month=dt.date(2026, 10, 1))
    assert add_km(shop, october, "3000").amount_incl_vat == D("1818.00")  # 3 000 * 0,606
    november = new_claim(shop)
    second = add_km(shop, november, "3000")
    # 6 000 km in the year: 6 000 * 0,340 + 1 330 = 3 370,00, of which 1 818,00 already paid.
    assert second.amount_incl_vat == D("1552.00")
    assert second.recoverable_vat == 0
    assert (second.distance_km, second.fiscal_horsepower) == (D("3000.0"), 4)


def test_changing_a_kilometre_line_prices_it_without_itself(shop):
    claim = new_claim(shop)
    line = add_km(shop, claim, "3000")
    changed = expenses.update_line(actor=shop.seller, line=line, today=TODAY,
                                   spent_on=line.spent_on, category=ExpenseCategory.MILEAGE,
                                   description="Livraisons", distance_km="2000",
                                   fiscal_horsepower=4, electric=True)
    assert changed.amount_incl_vat == D("1454.40")  # 2 000 * 0,606 * 1,2


def test_kilometres_of_a_rejected_claim_do_not_count(shop):
    october = new_claim(shop, month=dt.date(2026, 10, 1))
    add_km(shop, october, "3000")
    expenses.submit_claim(actor=shop.seller, claim=october, today=TODAY)
    expenses.reject_claim(actor=shop.manager, claim=october, reason="Trajet personnel",
                          today=TODAY)
    assert add_km(shop, new_claim(shop), "3000").amount_incl_vat == D("1818.00")


def test_a_kilometre_line_needs_its_distance_and_horsepower_and_no_vat(shop):
    claim = new_claim(shop)
    with pytest.raises(ValidationError) as excinfo:
        add_km(shop, claim, None, horsepower=None)
    assert {"distance_km", "fiscal_horsepower"} <= set(excinfo.value.message_dict)
    with pytest.raises(ValidationError, match="dixième"):
        add_km(shop, claim, "12.34")
    with pytest.raises(ValidationError, match="pas de TVA"):
        add_km(shop, claim, "12", recoverable_vat="1.00")


# -- deadlines ------------------------------------------------------------------------------


def test_the_deadline_of_an_expense_is_the_first_period_ending_after_it():
    deadlines = [(dt.date(2026, 10, 1), dt.date(2026, 10, 15)),
                 (dt.date(2027, 1, 1), dt.date(2027, 1, 15))]
    assert expenses.deadline_for(dt.date(2026, 9, 30), deadlines) == dt.date(2026, 10, 15)
    assert expenses.deadline_for(dt.date(2026, 10, 1), deadlines) == dt.date(2027, 1, 15)
    assert expenses.deadline_for(dt.date(2027, 1, 1), deadlines) is None


def set_deadlines(shop, *pairs):
    return expenses.set_expense_deadlines(actor=shop.manager, structure=shop.cast.cae,
                                          deadlines=pairs, today=TODAY)


def test_a_claim_after_its_deadline_is_refused_with_the_date(shop):
    set_deadlines(shop, (dt.date(2026, 10, 1), dt.date(2026, 10, 15)),
                  (dt.date(2027, 1, 1), dt.date(2027, 1, 15)))
    on_time = dt.date(2026, 10, 10)
    claim = new_claim(shop, month=dt.date(2026, 9, 1), today=on_time)
    add(shop, claim, spent_on=dt.date(2026, 9, 20), today=on_time)
    with pytest.raises(ValidationError) as excinfo:
        expenses.submit_claim(actor=shop.seller, claim=claim, today=TODAY)
    assert excinfo.value.messages == [
        "Cette dépense du 20/09/2026 devait être déclarée au plus tard le 15/10/2026."]
    claim.refresh_from_db()
    assert claim.status == ExpenseClaim.Status.DRAFT
    assert expenses.submit_claim(actor=shop.seller, claim=claim, today=dt.date(2026, 10, 15)
                                 ).status == ExpenseClaim.Status.SUBMITTED


def test_a_late_line_is_refused_as_soon_as_it_is_written(shop):
    set_deadlines(shop, (dt.date(2026, 10, 1), dt.date(2026, 10, 15)))
    claim = new_claim(shop, month=dt.date(2026, 9, 1))
    with pytest.raises(ValidationError, match="au plus tard le 15/10/2026"):
        add(shop, claim, spent_on=dt.date(2026, 9, 20))


def test_an_expense_no_deadline_covers_yet_is_accepted(shop):
    set_deadlines(shop, (dt.date(2026, 10, 1), dt.date(2026, 10, 15)))
    claim = new_claim(shop)
    add(shop, claim)
    assert expenses.submit_claim(actor=shop.seller, claim=claim, today=TODAY).status == (
        ExpenseClaim.Status.SUBMITTED)


def test_the_gestionnaire_replaces_the_deadlines_at_once(shop):
    set_deadlines(shop, (dt.date(2026, 4, 1), dt.date(2026, 4, 15)))
    set_deadlines(shop, (dt.date(2026, 7, 1), dt.date(2026, 7, 15)),
                  (dt.date(2026, 10, 1), dt.date(2026, 10, 15)))
    assert expenses.deadlines_of(shop.cast.cae.pk) == [
        (dt.date(2026, 7, 1), dt.date(2026, 7, 15)), (dt.date(2026, 10, 1), dt.date(2026, 10, 15))]
    assert AuditEvent.objects.filter(action="purchases.expense_deadlines.set").count() == 2


@pytest.mark.parametrize("pairs", [
    [(dt.date(2026, 7, 1), dt.date(2026, 6, 30))],
    [(dt.date(2026, 7, 1), dt.date(2026, 7, 15)), (dt.date(2026, 7, 1), dt.date(2026, 7, 20))],
])
def test_bad_deadlines_change_nothing(shop, pairs):
    set_deadlines(shop, (dt.date(2026, 4, 1), dt.date(2026, 4, 15)))
    with pytest.raises(ValidationError):
        set_deadlines(shop, *pairs)
    assert expenses.deadlines_of(shop.cast.cae.pk) == [(dt.date(2026, 4, 1),
                                                        dt.date(2026, 4, 15))]


@pytest.mark.parametrize("persona", ["comptable", "cooperant", "outsider"])
def test_only_the_gestionnaire_sets_the_deadlines(shop, persona):
    with pytest.raises(PermissionDenied):
        expenses.set_expense_deadlines(actor=shop.cast.user(persona), structure=shop.cast.cae,
                                       deadlines=[], today=TODAY)
    assert not ExpenseDeadline.objects.exists()


# -- submitting and deciding ----------------------------------------------------------------


def test_an_empty_claim_is_not_sent(shop):
    with pytest.raises(ValidationError, match="au moins une dépense"):
        expenses.submit_claim(actor=shop.seller, claim=new_claim(shop), today=TODAY)


def test_a_sent_claim_tells_the_gestionnaire_and_is_frozen(shop):
    claim = submitted_claim(shop)
    assert claim.status == ExpenseClaim.Status.SUBMITTED
    assert claim.submitted_at is not None
    notice = Notification.objects.get(recipient=shop.manager,
                                      topic="purchases.expense_claim.submitted")
    assert "120,60" in notice.body
    assert AuditEvent.objects.filter(action="purchases.expense_claim.submitted").exists()
    with pytest.raises(PermissionDenied):
        add(shop, claim)
    with pytest.raises(PermissionDenied):
        expenses.submit_claim(actor=shop.seller, claim=claim, today=TODAY)


@pytest.mark.parametrize("persona", ["cooperant", "comptable", "referent"])
def test_only_the_gestionnaire_decides(shop, persona):
    claim = submitted_claim(shop)
    with pytest.raises(PermissionDenied):
        expenses.validate_claim(actor=shop.cast.user(persona), claim=claim, today=TODAY)
    with pytest.raises(PermissionDenied):
        expenses.reject_claim(actor=shop.cast.user(persona), claim=claim, reason="Non",
                              today=TODAY)


def test_a_validated_claim_is_posted_on_the_coopérants_treasury_account(shop):
    claim = validated_claim(shop)
    assert claim.status == ExpenseClaim.Status.VALIDATED
    assert claim.decided_by == shop.manager
    entry = claim.entry
    assert entry.journal.code == "OD"
    assert entry.is_validated
    assert entry.piece_ref == f"NF-{claim.pk}"
    assert entry.piece_date == dt.date(2026, 11, 10)
    lines = {(line.account.number, line.debit, line.credit, line.treasury_account.code)
             for line in entry.lines.select_related("account", "treasury_account")}
    code = f"T-{shop.cast.cooperant.pk}"
    assert lines == {("601", D("50.00"), D("0.00"), code),
                     ("6251", D("60.60"), D("0.00"), code),
                     ("44566", D("10.00"), D("0.00"), code),
                     ("425", D("0.00"), D("120.60"), code)}
    notice = Notification.objects.get(recipient=shop.seller,
                                      topic="purchases.expense_claim.validated")
    assert "120,60" in notice.body
    assert AuditEvent.objects.filter(action="purchases.expense_claim.validated",
                                     target_id=str(claim.pk)).exists()


def test_a_collective_activitys_claim_is_posted_on_its_own_account(shop):
    claim = validated_claim(shop, activity=shop.friperie)
    accounts = set(claim.entry.lines.values_list("treasury_account__code", flat=True))
    assert accounts == {f"A-{shop.friperie.pk}"}


def test_a_claim_is_decided_once(shop):
    claim = validated_claim(shop)
    with pytest.raises(ValidationError, match="envoyée se valide"):
        expenses.validate_claim(actor=shop.manager, claim=claim, today=TODAY)
    with pytest.raises(ValidationError, match="envoyée se refuse"):
        expenses.reject_claim(actor=shop.manager, claim=claim, reason="Non", today=TODAY)


def test_a_rejection_needs_a_reason_and_tells_the_coopérant(shop):
    claim = submitted_claim(shop)
    with pytest.raises(ValidationError) as excinfo:
        expenses.reject_claim(actor=shop.manager, claim=claim, reason="  ", today=TODAY)
    assert "reason" in excinfo.value.message_dict
    claim = expenses.reject_claim(actor=shop.manager, claim=claim,
                                  reason="Le ticket est illisible.", today=TODAY)
    assert claim.status == ExpenseClaim.Status.REJECTED
    assert claim.entry is None
    notice = Notification.objects.get(recipient=shop.seller,
                                      topic="purchases.expense_claim.rejected")
    assert "Le ticket est illisible." in notice.body
    assert not EntryLine.objects.filter(account__number="425").exists()


# -- the treasury and the reimbursement -----------------------------------------------------


def test_the_treasury_shows_the_expense_and_what_is_owed_until_reimbursed(shop):
    claim = validated_claim(shop)
    account = treasury_account_for(shop.activity, actor=shop.manager)
    figures = figures_of(account.pk, shop.cast.cae, today=TODAY)
    assert figures.direct_costs == D("50.00")     # the tissue: a direct cost
    assert figures.other_expenses == D("60.60")   # the kilometres
    assert figures.owed == D("110.60")            # 425 owed back, less the VAT to recover
    assert figures.cash == 0
    expenses.record_reimbursement(actor=shop.cast.user("comptable"), claim=claim,
                                  paid_on=TODAY, today=TODAY)
    figures = figures_of(account.pk, shop.cast.cae, today=TODAY)
    assert figures.owed == D("-10.00")            # only the VAT to recover is left
    assert figures.cash == D("-120.60")
    assert figures.direct_costs + figures.other_expenses == D("110.60")


def test_a_reimbursement_is_posted_to_the_bank_and_letters_the_claim(shop):
    claim = validated_claim(shop)
    claim = expenses.record_reimbursement(actor=shop.manager, claim=claim,
                                          paid_on=TODAY, today=TODAY)
    assert claim.status == ExpenseClaim.Status.PAID
    assert claim.paid_on == TODAY
    entry = claim.payment_entry
    assert entry is not None
    assert entry.journal.code == "BQ1"
    assert entry.date == TODAY
    lines = {(line.account.number, line.debit, line.credit)
             for line in entry.lines.select_related("account")}
    assert lines == {("425", D("120.60"), D("0.00")), ("512", D("0.00"), D("120.60"))}
    assert set(entry.lines.values_list("treasury_account__code", flat=True)) == {
        f"T-{shop.cast.cooperant.pk}"}
    codes = set(EntryLine.objects.filter(account__number="425")
                .values_list("lettering_code", flat=True))
    assert len(codes) == 1
    assert codes != {""}
    notice = Notification.objects.get(recipient=shop.seller,
                                      topic="purchases.expense_claim.reimbursed")
    assert "120,60" in notice.body
    assert AuditEvent.objects.filter(action="purchases.expense_claim.reimbursed").exists()


@pytest.mark.parametrize("persona", ["cooperant", "referent", "outsider"])
def test_only_the_structures_books_keepers_record_a_reimbursement(shop, persona):
    claim = validated_claim(shop)
    with pytest.raises(PermissionDenied):
        expenses.record_reimbursement(actor=shop.cast.user(persona), claim=claim,
                                      paid_on=TODAY, today=TODAY)


def test_a_reimbursement_comes_after_the_validation_and_not_ahead(shop):
    claim = submitted_claim(shop)
    with pytest.raises(ValidationError, match="validée se rembourse"):
        expenses.record_reimbursement(actor=shop.manager, claim=claim, paid_on=TODAY,
                                      today=TODAY)
    claim = expenses.validate_claim(actor=shop.manager, claim=claim, today=TODAY)
    with pytest.raises(ValidationError, match="pas à l'avance"):
        expenses.record_reimbursement(actor=shop.manager, claim=claim,
                                      paid_on=TODAY + dt.timedelta(days=1), today=TODAY)
    with pytest.raises(ValidationError, match="validée le"):
        expenses.record_reimbursement(actor=shop.manager, claim=claim,
                                      paid_on=dt.date(2026, 1, 5), today=TODAY)
    assert claim.payment_entry is None


amounts = st.decimals(min_value=D("0.01"), max_value=D("5000"), places=2)
categories = st.sampled_from([c for c in ExpenseCategory.values if c != "mileage"])


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(categories, amounts, st.integers(0, 20)), min_size=1, max_size=6))
def test_a_validated_claim_balances_and_owes_back_its_total(shop, lines):
    claim = new_claim(shop)
    for category, amount, vat_percent in lines:
        vat = (amount * vat_percent / 100).quantize(D("0.01"))
        if vat >= amount:
            vat = D(0)
        add(shop, claim, category=category, amount_incl_vat=amount, recoverable_vat=vat)
    claim = expenses.submit_claim(actor=shop.seller, claim=claim, today=TODAY)
    claim = expenses.validate_claim(actor=shop.manager, claim=claim, today=TODAY)
    assert claim.entry is not None
    posted = list(claim.entry.lines.select_related("account"))
    total = sum((amount for _c, amount, _v in lines), D(0))
    assert sum(line.debit for line in posted) == sum(line.credit for line in posted) == total
    assert [line.credit for line in posted if line.account.number == "425"] == [total]
    assert all(line.treasury_account_id is not None for line in posted)
    assert TreasuryAccount.objects.filter(kind=TreasuryAccount.Kind.INDIVIDUAL).count() == 1
