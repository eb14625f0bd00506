"""The shop till's services: gap-free chained tickets, the daily closing (Z) and its one ledger
entry, the gates, and the hash chain that detects rows altered behind the platform's back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from conftest import TODAY, Cast
from kpa.core.models import AuditEvent
from kpa.directory import services as directory_services
from kpa.directory.models import Activity, RoleKind, Structure
from kpa.directory.tests.factories import give_role, person_with_login
from kpa.journey.models import InsuranceEntry
from kpa.ledger.models import Entry, EntryLine
from kpa.ledger.treasury_accounts import treasury_account_for
from kpa.sales import till
from kpa.sales.models import CatalogItem, Till, TillClosing, TillTicket
from kpa.sales.tests.conftest import CAPE_START, Shop, give_cape
from kpa.sales.till import TillLineInput

PARIS = ZoneInfo("Europe/Paris")
YESTERDAY = TODAY - dt.timedelta(days=1)


def at(hour: int, minute: int = 0, day: dt.date = TODAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=PARIS)


def free(amount: str, rate: str = "20.00", quantity: int = 1,
         description: str = "Robe") -> TillLineInput:
    return TillLineInput(description=description, quantity=quantity,
                         unit_price_incl_vat=Decimal(amount), vat_rate=rate)


@pytest.fixture
def counter(shop: Shop) -> Till:
    return till.open_till(actor=shop.seller, activity=shop.friperie, name="Comptoir",
                          today=TODAY)


def sell(shop: Shop, counter: Till, *lines: TillLineInput, method: str = "cash",
         day: dt.date = TODAY, hour: int = 10, minute: int = 0,
         actor: object = None) -> TillTicket:
    return till.record_sale(actor=actor or shop.seller,  # type: ignore[arg-type]
                            till=counter, lines=list(lines) or [free("12.00")],
                            method=method, today=day, now=at(hour, minute, day))


# -- opening a till ----------------------------------------------------------------------------

def test_a_member_opens_a_till_for_the_friperie_and_it_is_audited(shop: Shop) -> None:
    opened = till.open_till(actor=shop.seller, activity=shop.friperie, name="  Comptoir ",
                            today=TODAY)
    assert (opened.activity, opened.name) == (shop.friperie, "Comptoir")
    event = AuditEvent.objects.get(action="sales.till.opened")
    assert event.target_id == str(opened.pk)
    assert event.actor == shop.seller


def test_the_gestionnaire_opens_a_till_but_the_referent_and_an_outsider_do_not(
        shop: Shop) -> None:
    assert till.open_till(actor=shop.manager, activity=shop.friperie, name="Marché",
                          today=TODAY).pk
    for persona in ("referent", "outsider", "comptable"):
        with pytest.raises(PermissionDenied):
            till.open_till(actor=shop.cast.user(persona), activity=shop.friperie, name="X",
                           today=TODAY)
    assert Till.objects.count() == 1


def test_two_tills_of_an_activity_do_not_share_a_name(shop: Shop, counter: Till) -> None:
    with pytest.raises(ValidationError, match="déjà une caisse « comptoir »"):
        till.open_till(actor=shop.seller, activity=shop.friperie, name="comptoir", today=TODAY)


# -- selling -----------------------------------------------------------------------------------

def test_tickets_are_numbered_without_gaps_and_each_is_chained_to_the_previous(
        shop: Shop, counter: Till) -> None:
    tickets = [sell(shop, counter, hour=h) for h in (9, 10, 11)]
    assert [t.number for t in tickets] == [1, 2, 3]
    assert tickets[0].previous_hash == "0" * 64
    assert tickets[1].previous_hash == tickets[0].hash
    assert tickets[2].previous_hash == tickets[1].hash
    stored = TillTicket.objects.get(pk=tickets[1].pk)
    assert len(stored.hash) == 64
    assert till.ticket_hash(stored) == stored.hash
    assert stored.sold_at == at(10)
    assert stored.sold_by == shop.seller
    assert AuditEvent.objects.filter(action="sales.till_ticket.recorded").count() == 3
    # Another till counts from 1 again.
    other = till.open_till(actor=shop.seller, activity=shop.friperie, name="Marché",
                           today=TODAY)
    assert sell(shop, other).number == 1


def test_a_ticket_adds_its_lines_incl_vat(shop: Shop, counter: Till) -> None:
    ticket = sell(shop, counter, free("4.50", quantity=3, description="  T-shirt  "),
                  free("2.10", rate="5.50"), method="card")
    assert ticket.total_incl_vat == Decimal("15.60")
    assert ticket.method == "card"
    assert ticket.lines[0] == {"description": "T-shirt", "quantity": 3,
                               "unit_price_incl_vat": "4.50", "vat_rate": "20.00",
                               "item": None, "total_incl_vat": "13.50"}
    vat = till.ticket_vat(ticket)
    assert [(v.rate, v.excl_vat, v.vat, v.incl_vat) for v in vat] == [
        ("20.00", Decimal("11.25"), Decimal("2.25"), Decimal("13.50")),
        ("5.50", Decimal("1.99"), Decimal("0.11"), Decimal("2.10")),
    ]


def test_a_catalogue_item_is_sold_at_its_price_converted_to_incl_vat(
        shop: Shop, counter: Till) -> None:
    jacket = CatalogItem.objects.create(activity=shop.friperie, name="Veste",
                                        unit_price=Decimal("4.17"), vat_rate="20.00")
    line = till.item_line(jacket, quantity=2, franchise=False)
    assert line.unit_price_incl_vat == Decimal("5.00")  # 4.17 * 1.2 = 5.004
    ticket = sell(shop, counter, line)
    assert ticket.lines[0]["item"] == jacket.pk
    assert ticket.lines[0]["description"] == "Veste"
    assert ticket.total_incl_vat == Decimal("10.00")


def test_an_item_from_another_activitys_catalogue_is_refused(shop: Shop, counter: Till) -> None:
    line = till.item_line(shop.item, quantity=1, franchise=False)  # Couture Awa's item
    with pytest.raises(ValidationError, match="n'est pas au catalogue de l'activité"):
        sell(shop, counter, line)
    assert not TillTicket.objects.exists()


@pytest.mark.parametrize(("line", "method", "message"), [
    (free("12.00", quantity=0), "cash", "la quantité est un nombre entier"),
    (free("0.00"), "cash", "le prix est un montant positif"),
    (free("-3.00"), "cash", "le prix est un montant positif"),
    (free("1.005"), "cash", "au centime près"),
    (free("12.00", rate="7.00"), "cash", "le taux de TVA « 7.00 » n'existe pas"),
    (free("12.00"), "bitcoin", "Choisissez le moyen de paiement"),
])
def test_bad_input_is_refused_plainly_and_nothing_is_written(
        shop: Shop, counter: Till, line: TillLineInput, method: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        sell(shop, counter, line, method=method)
    assert not TillTicket.objects.exists()
    assert not AuditEvent.objects.filter(action="sales.till_ticket.recorded").exists()


def test_a_sale_needs_at_least_one_line(shop: Shop, counter: Till) -> None:
    with pytest.raises(ValidationError, match="au moins un article"):
        till.record_sale(actor=shop.seller, till=counter, lines=[], method="cash",
                         today=TODAY, now=at(10))


def test_a_structure_under_the_franchise_sells_without_vat_only(
        shop: Shop, counter: Till) -> None:
    Structure.objects.filter(pk=shop.cast.cae.pk).update(vat_regime="franchise")
    counter = Till.objects.select_related("activity__structure").get(pk=counter.pk)
    with pytest.raises(ValidationError, match="293 B"):
        sell(shop, counter, free("12.00", rate="20.00"))
    ticket = sell(shop, counter, free("12.00", rate="0.00"))
    assert ticket.total_incl_vat == Decimal("12.00")
    jacket = CatalogItem.objects.create(activity=shop.friperie, name="Veste",
                                        unit_price=Decimal("8.00"), vat_rate="0.00")
    line = till.item_line(jacket, quantity=1, franchise=True)
    assert (line.unit_price_incl_vat, line.vat_rate) == (Decimal("8.00"), "0.00")


def test_an_outsider_and_the_kpa_staff_cannot_sell(shop: Shop, counter: Till) -> None:
    for persona in ("outsider", "referent", "accompagnateur", "comptable"):
        with pytest.raises(PermissionDenied):
            sell(shop, counter, actor=shop.cast.user(persona))
    assert not TillTicket.objects.exists()


def test_the_gestionnaire_sells_for_the_till_under_a_members_cape(
        shop: Shop, counter: Till) -> None:
    ticket = sell(shop, counter, actor=shop.manager)
    assert ticket.sold_by == shop.manager
    assert ticket.number == 1


def test_no_sale_while_the_members_insurance_is_not_confirmed(shop: Shop, counter: Till) -> None:
    InsuranceEntry.objects.filter(journey__person=shop.cast.cooperant).update(
        answer=InsuranceEntry.Answer.PENDING)
    for actor in (shop.seller, shop.manager):
        with pytest.raises(ValidationError, match=r"assurance .* n'est pas encore confirmée"):
            sell(shop, counter, actor=actor)
    assert not TillTicket.objects.exists()


def test_an_uninsured_coopérant_cannot_sell_at_their_own_till(cast: Cast, shop: Shop) -> None:
    newcomer = person_with_login("binta", first_name="Binta", last_name="Sow")
    give_role(newcomer, RoleKind.COOPERANT, cast.home, starts_on=CAPE_START)
    give_cape(cast, newcomer, insured=False)
    grocery = directory_services.create_activity(
        actor=shop.manager, kpa=cast.home, name="Épicerie Binta",
        kind=Activity.Kind.INDIVIDUAL, started_on=CAPE_START, today=TODAY, members=[newcomer])
    assert newcomer.user is not None
    stall = till.open_till(actor=newcomer.user, activity=grocery, name="Étal", today=TODAY)
    with pytest.raises(ValidationError, match="L'assurance de Binta Sow"):
        till.record_sale(actor=newcomer.user, till=stall, lines=[free("3.00")], method="cash",
                         today=TODAY, now=at(10))
    assert not TillTicket.objects.exists()


@pytest.mark.parametrize(("clock", "expected"), [
    (at(14, 30), at(14, 30)),
    (at(9, 15, day=TODAY - dt.timedelta(days=400)), at(9, 15)),
    # The page was shown before midnight, the sale arrives just after: it stays on its day.
    (at(0, 1, day=TODAY + dt.timedelta(days=1)), at(0, 1)),
])
def test_without_a_given_moment_the_sale_falls_on_the_callers_day(
        shop: Shop, counter: Till, monkeypatch: pytest.MonkeyPatch, clock: dt.datetime,
        expected: dt.datetime) -> None:
    monkeypatch.setattr(till.timezone, "now", lambda: clock)
    ticket = till.record_sale(actor=shop.seller, till=counter, lines=[free("2.00")],
                              method="cash", today=TODAY)
    assert TillTicket.objects.get(pk=ticket.pk).sold_at == expected


def test_a_sale_without_a_given_moment_never_goes_before_the_previous_ticket_of_its_day(
        shop: Shop, counter: Till, monkeypatch: pytest.MonkeyPatch) -> None:
    first = sell(shop, counter, hour=23, minute=50)
    monkeypatch.setattr(till.timezone, "now", lambda: at(0, 1, day=TODAY + dt.timedelta(days=1)))
    second = till.record_sale(actor=shop.seller, till=counter, lines=[free("2.00")],
                              method="cash", today=TODAY)
    assert second.sold_at == first.sold_at == at(23, 50)
    assert till.verify_chain(counter) == []


# -- the daily closing (Z) ---------------------------------------------------------------------

def a_busy_day(shop: Shop, counter: Till) -> None:
    sell(shop, counter, free("12.00"), method="cash", hour=9)
    sell(shop, counter, free("5.50", rate="5.50", quantity=2), method="card", hour=10)
    sell(shop, counter, free("10.00"), free("3.30", rate="10.00"), method="cheque", hour=11)


def test_the_z_totals_the_day_per_payment_method_and_per_vat_rate(
        shop: Shop, counter: Till) -> None:
    a_busy_day(shop, counter)
    closing = till.close_day(actor=shop.seller, till=counter, day=TODAY, today=TODAY)
    assert (closing.number, closing.day, closing.ticket_count) == (1, TODAY, 3)
    assert closing.total_incl_vat == Decimal("36.30")
    totals = closing.totals
    assert totals["methods"] == {"cash": {"count": 1, "total": "12.00"},
                                 "card": {"count": 1, "total": "11.00"},
                                 "cheque": {"count": 1, "total": "13.30"}}
    # 22.00 * 100 / 120 = 18.33; 11.00 * 100 / 105.5 = 10.43; 3.30 * 100 / 110 = 3.00.
    assert totals["rates"] == {
        "20.00": {"excl_vat": "18.33", "vat": "3.67", "incl_vat": "22.00"},
        "10.00": {"excl_vat": "3.00", "vat": "0.30", "incl_vat": "3.30"},
        "5.50": {"excl_vat": "10.43", "vat": "0.57", "incl_vat": "11.00"},
    }
    assert (totals["excl_vat"], totals["vat"], totals["incl_vat"]) == ("31.76", "4.54", "36.30")
    assert set(TillTicket.objects.values_list("closing_id", flat=True)) == {closing.pk}
    assert [t["number"] for t in totals["tickets"]] == [1, 2, 3]
    event = AuditEvent.objects.get(action="sales.till_closing.closed")
    assert event.target_id == str(closing.pk)


def test_the_z_posts_one_validated_balanced_entry_on_the_friperies_treasury(
        shop: Shop, counter: Till) -> None:
    a_busy_day(shop, counter)
    closing = till.close_day(actor=shop.seller, till=counter, day=TODAY, today=TODAY)
    assert Entry.objects.filter(source="sales.till").count() == 1
    entry = Entry.objects.select_related("journal").get(pk=closing.entry_id)
    assert entry.is_validated
    assert entry.number
    assert (entry.journal.code, entry.piece_ref, entry.date) == ("CA", "Z1", TODAY)
    lines = list(EntryLine.objects.filter(entry=entry).select_related("account")
                 .order_by("position"))
    assert [(ln.account.number, ln.debit, ln.credit) for ln in lines] == [
        ("530", Decimal("12.00"), 0), ("512", Decimal("11.00"), 0),
        ("512", Decimal("13.30"), 0),
        ("707", 0, Decimal("18.33")), ("44571", 0, Decimal("3.67")),
        ("707", 0, Decimal("3.00")), ("44571", 0, Decimal("0.30")),
        ("707", 0, Decimal("10.43")), ("44571", 0, Decimal("0.57")),
    ]
    assert sum(ln.debit for ln in lines) == sum(ln.credit for ln in lines) == Decimal("36.30")
    treasury = treasury_account_for(shop.friperie, actor=shop.manager)
    assert treasury.activity_id == shop.friperie.pk
    assert {ln.treasury_account_id for ln in lines} == {treasury.pk}


def test_the_entry_speaks_french_whatever_the_closers_language(
        shop: Shop, counter: Till) -> None:
    sell(shop, counter, free("5.00"), method="cash")
    with translation.override("en"):
        closing = till.close_day(actor=shop.seller, till=counter, day=TODAY, today=TODAY)
    cash_line = EntryLine.objects.get(entry_id=closing.entry_id, account__number="530")
    assert cash_line.label == "Caisse Comptoir - Z1 du 28/11/2026 - Espèces"


def test_a_franchise_z_posts_the_sales_without_any_vat(shop: Shop, counter: Till) -> None:
    Structure.objects.filter(pk=shop.cast.cae.pk).update(vat_regime="franchise")
    counter = Till.objects.select_related("activity__structure").get(pk=counter.pk)
    sell(shop, counter, free("8.00", rate="0.00"), method="cash")
    sell(shop, counter, free("4.50", rate="0.00", quantity=2), method="transfer", hour=12)
    closing = till.close_day(actor=shop.manager, till=counter, day=TODAY, today=TODAY)
    assert closing.totals["rates"] == {
        "0.00": {"excl_vat": "17.00", "vat": "0.00", "incl_vat": "17.00"}}
    assert closing.totals["vat"] == "0.00"
    lines = EntryLine.objects.filter(entry_id=closing.entry_id).order_by("position")
    assert [(ln.account.number, ln.debit, ln.credit) for ln in lines] == [
        ("530", Decimal("8.00"), 0), ("512", Decimal("9.00"), 0), ("707", 0, Decimal("17.00"))]


def test_an_empty_day_closes_at_zero_without_any_entry(shop: Shop, counter: Till) -> None:
    closing = till.close_day(actor=shop.seller, till=counter, day=TODAY, today=TODAY)
    assert closing.ticket_count == 0
    assert closing.total_incl_vat == Decimal("0.00")
    assert closing.entry is None
    assert closing.totals["methods"] == {}
    assert closing.totals["rates"] == {}
    assert not Entry.objects.filter(source="sales.till").exists()
    assert till.verify_chain(counter) == []


def test_a_closed_day_cannot_be_closed_again(shop: Shop, counter: Till) -> None:
    sell(shop, counter)
    till.close_day(actor=shop.seller, till=counter, day=TODAY, today=TODAY)
    with pytest.raises(ValidationError, match="déjà clôturée \\(Z1\\)"):
        till.close_day(actor=shop.manager, till=counter, day=TODAY, today=TODAY)
    assert TillClosing.objects.count() == 1
    assert Entry.objects.filter(source="sales.till").count() == 1


def test_a_future_day_cannot_be_closed(shop: Shop, counter: Till) -> None:
    with pytest.raises(ValidationError, match="journée à venir"):
        till.close_day(actor=shop.seller, till=counter, day=TODAY + dt.timedelta(days=1),
                       today=TODAY)
    assert not TillClosing.objects.exists()


def test_nothing_is_sold_on_a_day_already_closed(shop: Shop, counter: Till) -> None:
    sell(shop, counter, hour=9)
    till.close_day(actor=shop.seller, till=counter, day=TODAY, today=TODAY)
    with pytest.raises(ValidationError, match="déjà clôturée"):
        sell(shop, counter, hour=18)
    assert TillTicket.objects.count() == 1


def test_an_outsider_and_the_referent_cannot_close(shop: Shop, counter: Till) -> None:
    for persona in ("outsider", "referent"):
        with pytest.raises(PermissionDenied):
            till.close_day(actor=shop.cast.user(persona), till=counter, day=TODAY, today=TODAY)
    assert not TillClosing.objects.exists()


def test_days_close_in_their_order(shop: Shop, counter: Till) -> None:
    sell(shop, counter, day=YESTERDAY, hour=17)
    sell(shop, counter, day=TODAY, hour=9)
    with pytest.raises(ValidationError, match="Des ventes du 27/11/2026 ne sont pas clôturées"):
        till.close_day(actor=shop.seller, till=counter, day=TODAY, today=TODAY)
    first = till.close_day(actor=shop.seller, till=counter, day=YESTERDAY, today=TODAY)
    second = till.close_day(actor=shop.seller, till=counter, day=TODAY, today=TODAY)
    assert (first.number, first.ticket_count, second.number, second.ticket_count) == (1, 1, 2, 1)
    assert second.previous_hash == first.hash
    with pytest.raises(ValidationError, match="on ne revient pas sur une journée antérieure"):
        till.close_day(actor=shop.seller, till=counter, day=TODAY - dt.timedelta(days=3),
                       today=TODAY)
    with pytest.raises(ValidationError, match="on ne vend plus à une date antérieure"):
        sell(shop, counter, day=YESTERDAY, hour=20)
    assert till.verify_chain(counter) == []


# -- tamper detection ----------------------------------------------------------------------

@pytest.fixture
def history(shop: Shop, counter: Till) -> Till:
    """Yesterday closed (tickets 1-3, Z1), today open (tickets 4-5)."""
    for hour in (9, 10, 11):
        sell(shop, counter, free("10.00"), free("2.00", rate="5.50"), day=YESTERDAY, hour=hour)
    till.close_day(actor=shop.seller, till=counter, day=YESTERDAY, today=TODAY)
    sell(shop, counter, free("7.00"), hour=9)
    sell(shop, counter, free("8.00"), method="card", hour=10)
    return counter


def test_an_untouched_till_verifies_clean(history: Till) -> None:
    assert till.verify_chain(history) == []
    assert TillTicket.objects.filter(till=history).count() == 5


def test_an_altered_amount_is_detected(history: Till) -> None:
    TillTicket.objects.filter(till=history, number=4).update(total_incl_vat=Decimal("0.70"))
    problems = till.verify_chain(history)
    assert "Le ticket n° 4 a été modifié après son enregistrement" in problems[0]
    assert any("total du ticket n° 4" in p for p in problems)


def test_an_altered_line_is_detected(history: Till) -> None:
    ticket = TillTicket.objects.get(till=history, number=2)
    lines = ticket.lines
    lines[0]["unit_price_incl_vat"] = "1.00"
    TillTicket.objects.filter(pk=ticket.pk).update(lines=lines)
    problems = till.verify_chain(history)
    assert any("ticket n° 2 a été modifié" in p for p in problems)


def test_a_deleted_middle_ticket_is_detected(history: Till) -> None:
    TillTicket.objects.filter(till=history, number=4).delete()
    # Ticket 5 still says it follows ticket 4's hash; the gap is named once.
    assert till.verify_chain(history) == ["Le ticket n° 4 manque : il a été supprimé."]


def test_a_deleted_closed_ticket_is_detected_by_its_closing_too(history: Till) -> None:
    TillTicket.objects.filter(till=history, number=2).delete()
    problems = till.verify_chain(history)
    assert "Le ticket n° 2 manque : il a été supprimé." in problems
    assert "Le ticket n° 2, clos par la Z1, n'y est plus rattaché." in problems


def test_even_the_last_ticket_cannot_vanish_unseen(history: Till) -> None:
    TillTicket.objects.filter(till=history, number=5).delete()
    assert till.verify_chain(history) == ["Le ticket n° 5 manque : il a été supprimé."]


def test_an_altered_closing_total_is_detected(history: Till) -> None:
    TillClosing.objects.filter(till=history, number=1).update(total_incl_vat=Decimal("1.00"))
    problems = till.verify_chain(history)
    assert len(problems) == 1
    assert problems[0].startswith("La clôture Z1 du 27/11/2026 a été modifiée après coup")


def test_a_closed_ticket_rewritten_with_a_fresh_hash_is_still_detected(history: Till) -> None:
    forged = TillTicket.objects.get(till=history, number=3)
    forged.lines = [dict(forged.lines[0], unit_price_incl_vat="1.00", total_incl_vat="1.00")]
    forged.total_incl_vat = Decimal("1.00")
    TillTicket.objects.filter(pk=forged.pk).update(
        lines=forged.lines, total_incl_vat=forged.total_incl_vat,
        hash=till.ticket_hash(forged))
    problems = till.verify_chain(history)
    assert "Le ticket n° 3 a changé après la clôture Z1." in problems
    assert any("chaînage est rompu au ticket n° 4" in p for p in problems)
    assert not any("ticket n° 3 a été modifié" in p for p in problems)


def test_a_ticket_moved_out_of_its_closing_is_detected(history: Till) -> None:
    TillTicket.objects.filter(till=history, number=1).update(closing=None)
    assert till.verify_chain(history) == [
        "Le ticket n° 1, clos par la Z1, n'y est plus rattaché."]


def test_a_deleted_closing_is_detected(shop: Shop, history: Till) -> None:
    till.close_day(actor=shop.seller, till=history, day=TODAY, today=TODAY)
    z1 = TillClosing.objects.get(till=history, number=1)
    TillTicket.objects.filter(closing=z1).update(closing=None)
    TillClosing.objects.filter(pk=z1.pk).delete()
    problems = till.verify_chain(history)
    assert "La clôture Z1 manque : elle a été supprimée." in problems
