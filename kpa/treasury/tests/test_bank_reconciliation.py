"""Reconciling: suggestions (same amount on the bank account, unmatched, within ten days, best
first), matching whose sum must equal the bank's amount, undoing, setting aside, and the
reconciliation statement that ends with the bank balance against the book balance."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpa.core.models import AuditEvent
from kpa.ledger import services as ledger_services
from kpa.ledger.models import EntryLine, Journal
from kpa.ledger.services import LineInput
from kpa.ledger.treasury_accounts import ensure_account, treasury_account_for
from kpa.sales import payments
from kpa.sales.tests.conftest import Shop
from kpa.sales.tests.helpers import issued_invoice
from kpa.treasury import reconciliation
from kpa.treasury.models import BankTransaction
from kpa.treasury.reconciliation import match, suggestions, suggestions_for, unmatch
from kpa.treasury.tests.test_bank_helpers import (
    bank_journal,
    bookkeeper,
    import_file,
    import_sample,
    post_bank,
    transaction,
)

NOV = dt.date(2026, 11, 1)


def day(n: int) -> dt.date:
    return NOV.replace(day=n)


def suggested(item: BankTransaction) -> list[int]:
    return [s.line.pk for s in suggestions(item, limit=10)]


def ofx(*rows: tuple[str, str, str, str]) -> bytes:
    """A small OFX 1.x statement: (date YYYYMMDD, amount, FITID, NAME) per transaction."""
    body = "".join(f"<STMTTRN><TRNTYPE>OTHER<DTPOSTED>{d}<TRNAMT>{a}<FITID>{f}<NAME>{n}"
                   "</STMTTRN>\n" for d, a, f, n in rows)
    return ("OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\n"
            "CHARSET:1252\nCOMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n"
            "<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>EUR<BANKTRANLIST>\n"
            f"{body}</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n").encode()


@pytest.fixture
def statement(shop: Shop) -> None:
    """The OFX 1.x sample: +30,00 on 05/11, -45,90 on 12/11, -62,18 on 16/11, -6,50 on 20/11."""
    import_sample(shop, "releve-ofx1.ofx")


def do_match(shop: Shop, item: BankTransaction, *lines: EntryLine,
             actor: Any = None) -> BankTransaction:
    return match(actor=actor or bookkeeper(shop), transaction=item, lines=list(lines),
                 today=shop.today)


# -- suggestions ------------------------------------------------------------------------------


@pytest.mark.usefixtures("statement")
def test_a_payment_received_is_suggested_for_the_money_that_came_in(shop: Shop) -> None:
    invoice = issued_invoice(shop)
    payment = payments.record_payment(actor=shop.seller, invoice=invoice, amount="30.00",
                                      method="transfer", received_on=day(4), today=shop.today)
    line = EntryLine.objects.get(entry=payment.entry, account__number="512")
    found = suggestions(transaction(shop, "MAIRIE"))
    assert [s.line for s in found] == [line]
    assert found[0].days_apart == 1


@pytest.mark.usefixtures("statement")
def test_suggestions_are_the_same_amount_on_the_right_side_within_ten_days(
        shop: Shop) -> None:
    item = transaction(shop, "MERCERIE")  # -45,90 on 12/11
    good = post_bank(shop, day(10), "-45.90", "Mercerie du Nord")
    post_bank(shop, day(11), "45.90", "Money in, not out")
    post_bank(shop, day(12), "-45.91", "A cent off")
    post_bank(shop, dt.date(2026, 10, 31), "-45.90", "Twelve days before")
    post_bank(shop, day(23), "-45.90", "Eleven days after")
    post_bank(shop, day(12), "-45.90", "Still a draft", validate=False)
    post_bank(shop, day(12), "-45.90", "Cash, not the bank", journal="CA", account="530")
    edge = post_bank(shop, day(22), "-45.90", "Ten days after")
    assert suggested(item) == [good.pk, edge.pk]


@pytest.mark.usefixtures("statement")
def test_the_closest_date_comes_first_then_the_most_alike_label(shop: Shop) -> None:
    item = transaction(shop, "FRAIS TENUE")  # -6,50 on 20/11
    far = post_bank(shop, day(14), "-6.50", "Frais tenue de compte")
    unlike = post_bank(shop, day(19), "-6.50", "Carte bleue boulangerie")
    alike = post_bank(shop, day(21), "-6.50", "Frais de tenue de compte novembre")
    assert suggested(item) == [alike.pk, unlike.pk, far.pk]
    ranked = suggestions(item, limit=10)
    assert ranked[0].likeness > ranked[1].likeness
    assert len(suggestions(item, limit=2)) == 2


@pytest.mark.usefixtures("statement")
def test_a_line_matched_elsewhere_is_not_suggested_again(shop: Shop) -> None:
    line = post_bank(shop, day(5), "30.00", "Règlement mairie")
    first = transaction(shop, "MAIRIE")
    later = import_file(shop, ofx(("20261106", "30.00", "X1", "VIR MAIRIE")), name="b.ofx")
    second = later.statement.transactions.get()
    assert suggested(second) == [line.pk]
    do_match(shop, first, line)
    assert suggested(second) == []
    assert suggestions(first) == []  # a matched transaction asks for nothing


@pytest.mark.usefixtures("statement")
def test_an_entry_that_moves_nothing_at_the_bank_is_never_suggested(shop: Shop) -> None:
    """The monthly contribution credits 512 on the treasury account and debits the
    structure's own 512 in the same entry: no money leaves the bank."""
    account = treasury_account_for(shop.activity, actor=shop.manager)
    ensure_account(shop.cast.cae, "6288", "Contribution coopérative", actor=None)
    ensure_account(shop.cast.cae, "7588", "Contributions reçues", actor=None)
    ledger_services.post_entry(
        actor=bookkeeper(shop), structure=shop.cast.cae,
        journal=bank_journal(shop, "OD"), date=day(20), label="Contribution coopérative",
        lines=[LineInput("6288", debit="6.50", treasury_account=account),
               LineInput("512", credit="6.50", treasury_account=account),
               LineInput("512", debit="6.50"), LineInput("7588", credit="6.50")],
        validate=True, today=shop.today)
    assert suggested(transaction(shop, "FRAIS TENUE")) == []


def test_suggestions_for_a_whole_statement_take_one_query(
        shop: Shop, django_assert_num_queries: Any) -> None:
    for n in range(1, 6):
        post_bank(shop, day(n), f"{n}0.00", f"Règlement {n}")
    import_file(shop, ofx(*[(f"202611{n:02d}", f"{n}0.00", f"F{n}", f"VIR {n}")
                            for n in range(1, 6)]))
    few = list(BankTransaction.objects.select_related("journal")[:1])
    many = list(BankTransaction.objects.select_related("journal"))
    with django_assert_num_queries(1):
        one = suggestions_for(few)
    with django_assert_num_queries(1):
        all_of_them = suggestions_for(many)
    assert len(one) == 1
    assert all(len(found) == 1 for found in all_of_them.values())


# -- matching ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("statement")
def test_lines_that_add_up_to_the_banks_amount_match_it(shop: Shop) -> None:
    item = transaction(shop, "MAIRIE")  # +30,00
    first = post_bank(shop, day(3), "20.00", "Acompte")
    second = post_bank(shop, day(4), "10.00", "Solde")
    matched = do_match(shop, item, first, second)
    assert matched.status == BankTransaction.Status.MATCHED
    assert set(matched.matched_lines.all()) == {first, second}
    assert matched.matched_by == bookkeeper(shop)
    assert matched.matched_at is not None
    event = AuditEvent.objects.get(action="treasury.bank_transaction.matched")
    assert event.data == {"lines": sorted([first.pk, second.pk]), "amount": "30.00"}


@pytest.mark.usefixtures("statement")
def test_lines_that_do_not_add_up_are_refused_with_both_sums(shop: Shop) -> None:
    item = transaction(shop, "MAIRIE")
    line = post_bank(shop, day(3), "25.00", "Acompte")
    with pytest.raises(ValidationError) as error:
        do_match(shop, item, line)
    assert error.value.message_dict == {"lines": [
        "Les lignes choisies font 25,00 € ; l'opération de la banque est de 30,00 €. "
        "Choisissez des lignes dont la somme est égale."]}
    item.refresh_from_db()
    assert item.status == BankTransaction.Status.UNMATCHED
    assert not item.matched_lines.exists()


@pytest.mark.usefixtures("statement")
def test_money_out_matches_credits_of_the_bank_account(shop: Shop) -> None:
    item = transaction(shop, "MERCERIE")  # -45,90
    wrong_side = post_bank(shop, day(12), "45.90", "Money in")
    with pytest.raises(ValidationError, match="font 45,90 €"):
        do_match(shop, item, wrong_side)
    do_match(shop, item, post_bank(shop, day(12), "-45.90", "Mercerie"))


@pytest.mark.usefixtures("statement")
def test_a_line_off_the_bank_account_or_in_a_draft_is_refused(shop: Shop) -> None:
    item = transaction(shop, "MAIRIE")
    cash = post_bank(shop, day(5), "30.00", "Espèces", journal="CA", account="530")
    with pytest.raises(ValidationError, match="n'est pas sur le compte 512"):
        do_match(shop, item, cash)
    draft = post_bank(shop, day(5), "30.00", "Brouillon", validate=False)
    with pytest.raises(ValidationError, match="en brouillon"):
        do_match(shop, item, draft)


@pytest.mark.usefixtures("statement")
def test_a_line_already_matched_to_another_transaction_is_refused(shop: Shop) -> None:
    line = post_bank(shop, day(5), "30.00", "Règlement")
    do_match(shop, transaction(shop, "MAIRIE"), line)
    other = import_file(shop, ofx(("20261106", "30.00", "X1", "VIR")), name="b.ofx")
    with pytest.raises(ValidationError, match="déjà rapprochée d'une autre opération"):
        do_match(shop, other.statement.transactions.get(), line)


@pytest.mark.usefixtures("statement")
def test_a_matched_transaction_is_not_matched_again_and_needs_lines(shop: Shop) -> None:
    item = transaction(shop, "MAIRIE")
    with pytest.raises(ValidationError) as error:
        do_match(shop, item)
    assert error.value.message_dict == {"lines": ["Choisissez au moins une ligne d'écriture."]}
    do_match(shop, item, post_bank(shop, day(5), "30.00", "Règlement"))
    with pytest.raises(ValidationError, match="déjà rapprochée : défaites d'abord"):
        do_match(shop, item, post_bank(shop, day(5), "30.00", "Encore"))


@pytest.mark.usefixtures("statement")
def test_a_line_of_another_structures_books_is_refused(shop: Shop) -> None:
    other = shop.cast.other_structure
    ledger_services.open_books(actor=shop.cast.user("admin"), structure=other,
                               first_year_starts_on=dt.date(2026, 1, 1),
                               first_year_ends_on=dt.date(2027, 1, 1), today=shop.today)
    entry = ledger_services.post_entry(
        actor=shop.cast.user("admin"), structure=other,
        journal=Journal.objects.get(structure=other, code="BQ1"), date=day(5), label="Ailleurs",
        lines=[LineInput("512", debit="30.00"), LineInput("411", credit="30.00")],
        validate=True, today=shop.today)
    foreign = EntryLine.objects.get(entry=entry, account__number="512")
    with pytest.raises(ValidationError, match="n'est pas sur le compte"):
        do_match(shop, transaction(shop, "MAIRIE"), foreign)


@pytest.mark.usefixtures("statement")
@pytest.mark.parametrize("persona", ["cooperant", "referent", "outsider"])
def test_only_bookkeepers_match_unmatch_and_set_aside(shop: Shop, persona: str) -> None:
    item = transaction(shop, "MAIRIE")
    line = post_bank(shop, day(5), "30.00", "Règlement")
    user = shop.cast.user(persona)
    with pytest.raises(PermissionDenied):
        do_match(shop, item, line, actor=user)
    with pytest.raises(PermissionDenied):
        reconciliation.ignore(actor=user, transaction=item, today=shop.today)
    do_match(shop, item, line)
    with pytest.raises(PermissionDenied):
        unmatch(actor=user, transaction=item, today=shop.today)


@pytest.mark.usefixtures("statement")
def test_undoing_a_match_frees_its_lines(shop: Shop) -> None:
    item = transaction(shop, "MAIRIE")
    line = post_bank(shop, day(5), "30.00", "Règlement")
    do_match(shop, item, line)
    undone = unmatch(actor=shop.manager, transaction=item, today=shop.today)
    assert undone.status == BankTransaction.Status.UNMATCHED
    assert (undone.matched_by, undone.matched_at) == (None, None)
    assert not undone.matched_lines.exists()
    assert suggested(undone) == [line.pk]
    assert AuditEvent.objects.get(action="treasury.bank_transaction.unmatched").data == {
        "was": "matched", "lines": [line.pk]}
    with pytest.raises(ValidationError, match="ni rapprochée ni mise de côté"):
        unmatch(actor=shop.manager, transaction=undone, today=shop.today)


@pytest.mark.usefixtures("statement")
def test_a_transaction_set_aside_asks_for_nothing_and_can_come_back(shop: Shop) -> None:
    item = transaction(shop, "FRAIS TENUE")
    post_bank(shop, day(20), "-6.50", "Frais")
    aside = reconciliation.ignore(actor=bookkeeper(shop), transaction=item, today=shop.today)
    assert aside.status == BankTransaction.Status.IGNORED
    assert suggestions(aside) == []
    with pytest.raises(ValidationError, match="Seule une opération à rapprocher"):
        reconciliation.ignore(actor=bookkeeper(shop), transaction=aside, today=shop.today)
    back = unmatch(actor=bookkeeper(shop), transaction=aside, today=shop.today)
    assert back.status == BankTransaction.Status.UNMATCHED
    assert AuditEvent.objects.filter(action="treasury.bank_transaction.ignored").count() == 1


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"),
                                  places=2), min_size=1, max_size=4),
       off=st.sampled_from([Decimal("0.00"), Decimal("0.01"), Decimal("-0.01")]))
def test_a_match_holds_exactly_when_the_lines_add_up_to_the_cent(
        shop: Shop, parts: list[Decimal], off: Decimal) -> None:
    BankTransaction.objects.all().delete()
    total = sum(parts, Decimal("0.00"))
    lines = [post_bank(shop, day(5), str(p), "Part") for p in parts]
    statement = import_file(shop, ofx(("20261105", str(total + off), "P", "VIR")),
                            name="p.ofx").statement
    statement_item = statement.transactions.get()
    if off:
        with pytest.raises(ValidationError):
            do_match(shop, statement_item, *lines)
    else:
        assert do_match(shop, statement_item, *lines).status == "matched"
    statement.delete()


# -- the reconciliation statement -------------------------------------------------------------


def test_the_statement_lists_both_sides_and_ends_with_the_two_balances(shop: Shop) -> None:
    journal = bank_journal(shop)
    post_bank(shop, dt.date(2026, 10, 1), "1000.00", "Before the first statement")
    paid = post_bank(shop, day(5), "30.00", "Règlement mairie")
    cheque = post_bank(shop, day(25), "80.00", "Chèque déposé, pas encore crédité")
    import_sample(shop, "releve-ofx1.ofx")  # 30,00 ; -45,90 ; -62,18 ; -6,50
    do_match(shop, transaction(shop, "MAIRIE"), paid)
    reconciliation.ignore(actor=bookkeeper(shop), transaction=transaction(shop, "FRAIS TENUE"),
                          today=shop.today)
    report = reconciliation.reconciliation(journal, as_of=shop.today,
                                           stated_bank_balance=Decimal("921.92"))
    assert report.since == day(5)
    assert report.book_balance == Decimal("1110.00")
    assert [t.label[:8] for t in report.bank_only] == ["CB MERCE", "PRLV SEP"]
    assert (report.bank_only_count, report.bank_only_total) == (2, Decimal("-108.08"))
    assert report.books_only == [cheque]
    assert (report.books_only_count, report.books_only_total) == (1, Decimal("80.00"))
    assert report.ignored_count == 1
    # 1 110,00 in the books - 80,00 not yet at the bank - 108,08 not yet in the books
    assert report.expected_bank_balance == Decimal("921.92")
    assert report.gap == Decimal("0.00")
    assert reconciliation.reconciliation(journal, as_of=shop.today).gap is None


def test_the_statement_stops_at_its_day(shop: Shop) -> None:
    journal = bank_journal(shop)
    import_sample(shop, "releve-ofx1.ofx")
    post_bank(shop, day(6), "12.00", "Remise")
    report = reconciliation.reconciliation(journal, as_of=day(10),
                                           stated_bank_balance=Decimal("50.00"))
    assert report.bank_only_total == Decimal("30.00")
    assert report.books_only_total == Decimal("12.00")
    assert report.book_balance == Decimal("12.00")
    assert report.gap == Decimal("50.00") - Decimal("30.00")


def test_before_any_statement_the_books_side_is_empty(shop: Shop) -> None:
    post_bank(shop, day(5), "30.00", "Règlement")
    report = reconciliation.reconciliation(bank_journal(shop), as_of=shop.today)
    assert (report.since, report.books_only, report.bank_only) == (None, [], [])
    assert report.expected_bank_balance == report.book_balance == Decimal("30.00")


def test_the_statement_reads_a_fixed_number_of_queries(
        shop: Shop, django_assert_num_queries: Any) -> None:
    journal = bank_journal(shop)
    import_sample(shop, "releve-ofx1.ofx")
    post_bank(shop, day(25), "80.00", "Chèque")
    with django_assert_num_queries(8):
        reconciliation.reconciliation(journal, as_of=shop.today)
    for n in range(1, 6):
        post_bank(shop, day(n + 20), f"{n}.00", "Remise")
    import_file(shop, ofx(*[(f"202611{n:02d}", f"-{n}.00", f"G{n}", "CB") for n in range(1, 6)]))
    with django_assert_num_queries(8):
        report = reconciliation.reconciliation(journal, as_of=shop.today)
    assert (report.bank_only_count, report.books_only_count) == (9, 6)
