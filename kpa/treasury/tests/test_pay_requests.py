"""Pay requests: the estimate and its inverse, the calendar, what may be asked and when, and
the review by the référent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import TODAY
from kpa.core.models import AuditEvent, Notification
from kpa.directory.models import Role, RoleKind
from kpa.directory.tests.factories import give_role
from kpa.ledger.treasury_accounts import individual_account_for, treasury_account_for
from kpa.treasury import balances, pay
from kpa.treasury.models import PayCutoff, PayRequest, PaySettings
from kpa.treasury.tests.test_pay_support import (
    BEFORE_CUTOFF,
    DECEMBER,
    NOVEMBER,
    account_of,
    another_cooperant,
    fund,
    requested,
)


def defaults() -> PaySettings:
    return PaySettings()


# -- estimates ------------------------------------------------------------------------------

def test_the_estimate_grosses_up_the_net_then_adds_the_employer_charges() -> None:
    found = pay.estimate(Decimal("800"), defaults())
    assert found.gross == Decimal("1025.64")  # 800 / 0.78 = 1025.641…
    assert found.cost == Decimal("1333.33")  # 1025.64 * 1.30 = 1333.332


def test_the_estimate_rounds_half_up_to_the_cent() -> None:
    rates = PaySettings(employee_rate=Decimal("0"), employer_rate=Decimal("50"))
    assert pay.estimate(Decimal("0.01"), rates).cost == Decimal("0.02")  # 0.015 → 0.02


def test_the_maximum_net_of_a_thousand_euros_is_six_hundred() -> None:
    assert pay.max_net(Decimal("1000.00"), defaults()) == Decimal("600.00")


def test_nothing_available_gives_a_maximum_of_zero() -> None:
    assert pay.max_net(Decimal("-12.00"), defaults()) == Decimal("0.00")
    assert pay.max_net(Decimal("0.00"), defaults()) == Decimal("0.00")


@settings(max_examples=300, deadline=None)
@given(available=st.decimals(min_value=Decimal("-100"), max_value=Decimal("1000000"),
                             places=2),
       employee=st.decimals(min_value=Decimal("0"), max_value=Decimal("95"), places=3),
       employer=st.decimals(min_value=Decimal("0"), max_value=Decimal("200"), places=3))
def test_the_maximum_net_is_the_largest_whose_cost_fits(available: Decimal, employee: Decimal,
                                                        employer: Decimal) -> None:
    rates = PaySettings(employee_rate=employee, employer_rate=employer)
    best = pay.max_net(available, rates)
    assert best >= 0
    assert best == best.quantize(Decimal("0.01"))
    if best > 0:
        assert pay.estimate(best, rates).cost <= available
    assert pay.estimate(best + Decimal("0.01"), rates).cost > available


# -- the calendar ---------------------------------------------------------------------------

def test_the_cutoff_defaults_to_the_settings_day(shop) -> None:
    assert pay.cutoff_for(shop.cast.cae, NOVEMBER) == dt.date(2026, 11, 25)
    PaySettings.objects.create(structure=shop.cast.cae, cutoff_day=20)
    assert pay.cutoff_for(shop.cast.cae, NOVEMBER) == dt.date(2026, 11, 20)


def test_a_published_cutoff_wins_over_the_usual_day(shop) -> None:
    pay.publish_cutoff(actor=shop.manager, structure=shop.cast.cae, month=NOVEMBER,
                       cutoff_on=dt.date(2026, 11, 30), today=BEFORE_CUTOFF)
    assert pay.cutoff_for(shop.cast.cae, NOVEMBER) == dt.date(2026, 11, 30)
    assert pay.pay_month(shop.cast.cae, TODAY).month == NOVEMBER
    assert AuditEvent.objects.filter(action="treasury.pay_cutoff.published").count() == 1


def test_after_the_cutoff_requests_are_for_the_next_month(shop) -> None:
    when = pay.pay_month(shop.cast.cae, TODAY)  # 28 November, after the 25th
    assert when.month == DECEMBER
    assert when.cutoff_on == dt.date(2026, 12, 25)
    assert when.late_for == NOVEMBER
    assert pay.pay_month(shop.cast.cae, dt.date(2026, 11, 25)).month == NOVEMBER


@pytest.mark.parametrize(("month", "cutoff_on", "message"), [
    (NOVEMBER, dt.date(2026, 12, 2), "tombe dans ce mois"),
    (NOVEMBER, dt.date(2026, 11, 19), "à partir d'aujourd'hui"),
    (dt.date(2026, 10, 1), dt.date(2026, 10, 30), "est passé"),
])
def test_a_cutoff_outside_its_month_or_in_the_past_is_refused(shop, month, cutoff_on,
                                                              message) -> None:
    with pytest.raises(ValidationError, match=message):
        pay.publish_cutoff(actor=shop.manager, structure=shop.cast.cae, month=month,
                           cutoff_on=cutoff_on, today=BEFORE_CUTOFF)
    assert not PayCutoff.objects.exists()


@pytest.mark.parametrize("persona", ["referent", "comptable", "cooperant", "outsider"])
def test_only_the_gestionnaire_publishes_cutoffs(shop, persona) -> None:
    with pytest.raises(PermissionDenied):
        pay.publish_cutoff(actor=shop.cast.user(persona), structure=shop.cast.cae,
                           month=NOVEMBER, cutoff_on=dt.date(2026, 11, 27),
                           today=BEFORE_CUTOFF)


# -- asking ---------------------------------------------------------------------------------

def test_a_request_within_what_is_available_is_recorded_with_its_estimate(shop) -> None:
    account = account_of(shop)
    fund(shop, account, "3000")
    made = requested(shop, account, shop.seller, "800")
    assert (made.month, made.status, made.person) == (
        NOVEMBER, PayRequest.Status.REQUESTED, shop.cast.cooperant)
    assert (made.net_amount, made.estimated_gross, made.estimated_cost) == (
        Decimal("800.00"), Decimal("1025.64"), Decimal("1333.33"))
    assert AuditEvent.objects.filter(action="treasury.pay_request.created",
                                     target_id=str(made.pk)).exists()


def test_the_referents_hear_of_a_new_request(shop) -> None:
    account = account_of(shop)
    fund(shop, account, "3000")
    requested(shop, account, shop.seller)
    told = Notification.objects.get(topic="treasury.pay_request.created")
    assert told.recipient == shop.cast.user("referent")
    assert "800,00" in told.body
    assert told.url == "/tresorerie/paie/a-transmettre/"


def test_a_request_above_what_is_available_is_refused_with_the_maximum_net(shop) -> None:
    account = account_of(shop)
    fund(shop, account, "1000")
    with pytest.raises(ValidationError) as refused:
        requested(shop, account, shop.seller, "600.01")
    assert refused.value.message_dict["net_amount"] == [
        "600,01 € net coûteraient 1\u202f000,01 € à ta trésorerie (cotisations comprises) et "
        "il reste 1\u202f000,00 € disponibles. Tu peux demander au plus 600,00 € net ce "
        "mois-ci."]
    assert not PayRequest.objects.exists()
    assert requested(shop, account, shop.seller, "600").estimated_cost == Decimal("1000.00")


def test_an_empty_treasury_is_told_plainly(shop) -> None:
    with pytest.raises(ValidationError, match="pas assez pour te verser"):
        requested(shop, account_of(shop), shop.seller, "10")


def test_requests_of_other_months_in_progress_count_against_what_is_available(shop) -> None:
    account = account_of(shop)
    fund(shop, account, "1000")
    november = requested(shop, account, shop.seller, "300")  # costs 500,01
    assert november.estimated_cost == Decimal("500.01")
    most = pay.max_net(Decimal("499.99"), PaySettings())
    with pytest.raises(ValidationError, match=f"au plus {str(most).replace('.', ',')} €"):
        pay.request_pay(actor=shop.seller, account=account, net_amount="400", today=TODAY)
    december = pay.request_pay(actor=shop.seller, account=account, net_amount=most,
                               today=TODAY)
    assert december.month == DECEMBER


@pytest.mark.parametrize(("typed", "message"), [
    ("0", "positif"), ("-5", "positif"), ("12,345", "au centime"), ("douze", "Écris"),
    ("1e3", "Écris"),
])
def test_a_net_amount_that_is_not_an_amount_is_refused(shop, typed, message) -> None:
    account = account_of(shop)
    fund(shop, account, "3000")
    with pytest.raises(ValidationError, match=message):
        requested(shop, account, shop.seller, typed)


def test_only_one_request_per_month_and_cancelling_frees_the_month(shop) -> None:
    account = account_of(shop)
    fund(shop, account, "3000")
    first = requested(shop, account, shop.seller, "500")
    with pytest.raises(ValidationError, match="Tu as déjà demandé 500,00 € net pour novembre"):
        requested(shop, account, shop.seller, "600")
    pay.cancel_pay_request(actor=shop.seller, pay_request=first, today=BEFORE_CUTOFF)
    first.refresh_from_db()
    assert first.status == PayRequest.Status.CANCELLED
    assert requested(shop, account, shop.seller, "600").net_amount == Decimal("600.00")


def test_a_transmitted_request_sends_the_coopérant_to_the_referent(shop) -> None:
    account = account_of(shop)
    fund(shop, account, "3000")
    made = requested(shop, account, shop.seller, "500")
    pay.transmit_pay_request(actor=shop.cast.user("referent"), pay_request=made,
                             today=BEFORE_CUTOFF)
    with pytest.raises(ValidationError, match="déjà transmise à la paie"):
        requested(shop, account, shop.seller, "600")
    with pytest.raises(ValidationError, match="ne s'annule plus"):
        pay.cancel_pay_request(actor=shop.seller, pay_request=made, today=BEFORE_CUTOFF)


def test_after_the_cutoff_the_request_is_taken_for_the_next_month(shop) -> None:
    account = account_of(shop)
    fund(shop, account, "3000")
    made = pay.request_pay(actor=shop.seller, account=account, net_amount="500", today=TODAY)
    assert made.month == DECEMBER


def test_asking_for_a_closed_month_names_the_next_one_and_its_cutoff(shop) -> None:
    account = account_of(shop)
    fund(shop, account, "3000")
    with pytest.raises(ValidationError) as refused:
        pay.request_pay(actor=shop.seller, account=account, net_amount="500",
                        month=NOVEMBER, today=TODAY)
    assert refused.value.message_dict["month"] == [
        "Les demandes pour novembre 2026 sont closes depuis le 25/11/2026. Tu peux demander "
        "pour décembre 2026, jusqu'au 25/12/2026."]


def test_asking_for_a_month_ahead_is_refused(shop) -> None:
    account = account_of(shop)
    fund(shop, account, "3000")
    with pytest.raises(ValidationError, match="on demande la rémunération de novembre"):
        pay.request_pay(actor=shop.seller, account=account, net_amount="500",
                        month=DECEMBER, today=BEFORE_CUTOFF)


def test_a_request_needs_a_running_contract(shop) -> None:
    user, account = another_cooperant(shop, "sanscontrat", contract=False)
    with pytest.raises(ValidationError, match="pendant un contrat en cours"):
        pay.request_pay(actor=user, account=account, net_amount="100", today=BEFORE_CUTOFF)


@pytest.mark.parametrize("persona", ["referent", "gestionnaire", "outsider", "admin"])
def test_nobody_asks_from_someone_elses_treasury(shop, persona) -> None:
    account = account_of(shop)
    fund(shop, account, "3000")
    with pytest.raises(PermissionDenied):
        requested(shop, account, shop.cast.user(persona))


def test_a_collective_treasury_pays_nobody_directly(shop) -> None:
    collective = treasury_account_for(shop.friperie, actor=shop.manager)
    fund(shop, collective, "3000")
    with pytest.raises(PermissionDenied):
        requested(shop, collective, shop.seller)


def test_a_request_in_progress_is_committed_in_the_live_figures(shop) -> None:
    account = account_of(shop)
    fund(shop, account, "3000")
    made = requested(shop, account, shop.seller, "800")
    figures = balances.figures_of(account.pk, shop.cast.cae, today=BEFORE_CUTOFF)
    assert figures.available == Decimal("1666.67")
    pay.cancel_pay_request(actor=shop.seller, pay_request=made, today=BEFORE_CUTOFF)
    figures = balances.figures_of(account.pk, shop.cast.cae, today=BEFORE_CUTOFF)
    assert figures.available == Decimal("3000.00")


def test_the_coopérant_alone_cancels(shop) -> None:
    account = account_of(shop)
    fund(shop, account, "3000")
    made = requested(shop, account, shop.seller)
    with pytest.raises(PermissionDenied):
        pay.cancel_pay_request(actor=shop.cast.user("referent"), pay_request=made,
                               today=BEFORE_CUTOFF)


# -- review ---------------------------------------------------------------------------------

def test_the_referent_transmits_and_the_coopérant_hears_it(shop) -> None:
    account = account_of(shop)
    fund(shop, account, "3000")
    made = pay.transmit_pay_request(actor=shop.cast.user("referent"),
                                    pay_request=requested(shop, account, shop.seller),
                                    today=BEFORE_CUTOFF)
    assert made.status == PayRequest.Status.TRANSMITTED
    assert made.reviewed_by == shop.cast.user("referent")
    told = Notification.objects.get(topic="treasury.pay_request.transmitted")
    assert told.recipient == shop.seller
    assert "800,00 € net pour novembre 2026" in told.body


def test_a_refusal_needs_a_reason_and_tells_the_coopérant(shop) -> None:
    account = account_of(shop)
    fund(shop, account, "3000")
    made = requested(shop, account, shop.seller)
    with pytest.raises(ValidationError, match="Dis en quelques mots"):
        pay.refuse_pay_request(actor=shop.cast.user("animateur"), pay_request=made,
                               reason="  ", today=BEFORE_CUTOFF)
    done = pay.refuse_pay_request(actor=shop.cast.user("animateur"), pay_request=made,
                                  reason="Une facture attend encore son paiement.",
                                  today=BEFORE_CUTOFF)
    assert (done.status, done.refusal_reason) == (
        PayRequest.Status.REFUSED, "Une facture attend encore son paiement.")
    told = Notification.objects.get(topic="treasury.pay_request.refused")
    assert told.recipient == shop.seller
    assert "Une facture attend encore son paiement." in told.body
    assert requested(shop, account, shop.seller, "400").status == PayRequest.Status.REQUESTED


@pytest.mark.parametrize("persona", ["cooperant", "accompagnateur", "comptable", "outsider"])
def test_only_the_kpa_leads_and_the_gestionnaire_review(shop, persona) -> None:
    account = account_of(shop)
    fund(shop, account, "3000")
    made = requested(shop, account, shop.seller)
    with pytest.raises(PermissionDenied):
        pay.transmit_pay_request(actor=shop.cast.user(persona), pay_request=made,
                                 today=BEFORE_CUTOFF)


def test_the_gestionnaire_may_review_too(shop) -> None:
    account = account_of(shop)
    fund(shop, account, "3000")
    made = pay.transmit_pay_request(actor=shop.manager,
                                    pay_request=requested(shop, account, shop.seller),
                                    today=BEFORE_CUTOFF)
    assert made.status == PayRequest.Status.TRANSMITTED


def test_a_referent_does_not_review_their_own_request(shop) -> None:
    give_role(shop.cast.cooperant, RoleKind.REFERENT, shop.cast.home,
              starts_on=dt.date(2026, 1, 5))
    account = account_of(shop)
    fund(shop, account, "3000")
    made = requested(shop, account, shop.seller)
    with pytest.raises(ValidationError, match="sa propre demande"):
        pay.transmit_pay_request(actor=shop.seller, pay_request=made, today=BEFORE_CUTOFF)


def test_a_request_is_reviewed_once(shop) -> None:
    account = account_of(shop)
    fund(shop, account, "3000")
    made = pay.transmit_pay_request(actor=shop.cast.user("referent"),
                                    pay_request=requested(shop, account, shop.seller),
                                    today=BEFORE_CUTOFF)
    with pytest.raises(ValidationError, match="déjà « Transmise à la paie »"):
        pay.transmit_pay_request(actor=shop.cast.user("referent"), pay_request=made,
                                 today=BEFORE_CUTOFF)


def test_without_referent_the_gestionnaires_hear_of_requests(shop) -> None:
    Role.objects.filter(kind=RoleKind.REFERENT).delete()
    account = account_of(shop)
    fund(shop, account, "3000")
    requested(shop, account, shop.seller)
    told = Notification.objects.get(topic="treasury.pay_request.created")
    assert told.recipient == shop.manager


def test_the_reads_are_scoped(shop) -> None:
    account = account_of(shop)
    fund(shop, account, "3000")
    made = requested(shop, account, shop.seller)
    for persona in ("cooperant", "referent", "animateur", "gestionnaire", "comptable", "admin"):
        assert made in pay.requests_for(shop.cast.user(persona), BEFORE_CUTOFF), persona
    for persona in ("outsider", "benevole", "accompagnateur"):
        assert made not in pay.requests_for(shop.cast.user(persona), BEFORE_CUTOFF), persona
    assert list(pay.review_queue(shop.cast.user("referent"), BEFORE_CUTOFF)) == [made]
    assert not pay.review_queue(shop.cast.user("outsider"), BEFORE_CUTOFF).exists()
    assert not pay.review_queue(shop.seller, BEFORE_CUTOFF).exists()


def test_a_person_without_login_has_no_account_to_ask_from(shop) -> None:
    individual_account_for(shop.cast.quiet_cooperant, shop.cast.cae, actor=shop.manager)
    assert pay.my_accounts(shop.cast.user("referent"), TODAY) == []
