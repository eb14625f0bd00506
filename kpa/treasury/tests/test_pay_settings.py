"""The structure's pay settings: the gestionnaire sets the usual cut-off day, the rates of the
estimates and the reminder, through the service, the page and the API; every bound is refused
in French on its field; nothing changes for anyone else."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from kpa.core import dates
from kpa.core.models import AuditEvent
from kpa.core.services import create_api_token
from kpa.sales.tests.conftest import Shop
from kpa.treasury import pay
from kpa.treasury.models import PaySettings
from kpa.treasury.tests.test_pay_support import (
    BEFORE_CUTOFF,
    DECEMBER,
    NOVEMBER,
    account_of,
    fund,
    requested,
)

API = "/api/v1/treasury/pay/settings"
GOOD = {"cutoff_day": 20, "employee_rate": "20", "employer_rate": "25", "reminder_days": 5}


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "local_today", lambda: BEFORE_CUTOFF)


def update(shop: Shop, actor: Any = None, **changes: Any) -> PaySettings:
    values = {**GOOD, **changes}
    return pay.update_settings(actor=actor or shop.manager, structure=shop.cast.cae,
                               today=BEFORE_CUTOFF, **values)


def text_of(response: Any) -> str:
    without_tags = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(without_tags).replace("\u202f", " ").split())


def settings_url(shop: Shop) -> str:
    return reverse("treasury:payroll_settings", kwargs={"structure_pk": shop.cast.cae.pk})


def client_of(user: Any) -> Client:
    _, secret = create_api_token(actor=None, user=user)
    return Client(headers={"Authorization": f"Bearer {secret}"})


def put_json(client: Client, url: str, data: Any) -> Any:
    return client.put(url, json.dumps(data), content_type="application/json")


# -- the service ----------------------------------------------------------------------------

def test_the_gestionnaire_sets_the_settings_and_it_is_audited(shop) -> None:
    saved = update(shop, employee_rate="20,5")
    stored = PaySettings.objects.get(structure=shop.cast.cae)
    assert stored.pk == saved.pk
    assert (stored.cutoff_day, stored.employee_rate, stored.employer_rate,
            stored.reminder_days) == (20, Decimal("20.500"), Decimal("25.000"), 5)
    event = AuditEvent.objects.get(action="treasury.pay_settings.updated")
    assert event.data == {
        "before": {"cutoff_day": 25, "employee_rate": "22.000", "employer_rate": "30.000",
                   "reminder_days": 3},
        "after": {"cutoff_day": 20, "employee_rate": "20.500", "employer_rate": "25.000",
                  "reminder_days": 5}}


def test_updating_again_changes_the_same_settings(shop) -> None:
    update(shop)
    update(shop, cutoff_day=10)
    assert PaySettings.objects.get().cutoff_day == 10
    assert AuditEvent.objects.filter(action="treasury.pay_settings.updated").count() == 2


def test_the_new_rates_and_day_drive_what_a_coopérant_may_ask(shop) -> None:
    account = account_of(shop)
    fund(shop, account, "1000")
    before = pay.allowance_for(account, today=BEFORE_CUTOFF)
    assert (before.month, before.max_net) == (NOVEMBER, Decimal("600.00"))
    update(shop, cutoff_day=15)  # the 20th is now past November's cut-off
    after = pay.allowance_for(account, today=BEFORE_CUTOFF)
    assert (after.month, after.cutoff_on) == (DECEMBER, dt.date(2026, 12, 15))
    assert after.max_net == Decimal("640.00")  # 1000 * 0.80 / 1.25


def test_a_request_already_made_keeps_its_estimate(shop) -> None:
    account = account_of(shop)
    fund(shop, account, "1000")
    made = requested(shop, account, shop.seller, "100")
    update(shop, employer_rate="100")
    made.refresh_from_db()
    assert made.estimated_cost == Decimal("166.67")  # 128.21 * 1.30, the old rates


@pytest.mark.parametrize(("field", "value", "message"), [
    ("cutoff_day", 0, "entre le 1 et le 28"),
    ("cutoff_day", 29, "entre le 1 et le 28"),
    ("employee_rate", "100", "de 0 à moins de 100"),
    ("employee_rate", "-1", "de 0 à moins de 100"),
    ("employee_rate", "22,1234", "trois décimales au plus"),
    ("employee_rate", "beaucoup", "de 0 à moins de 100"),
    ("employer_rate", "200.001", "de 0 à 200"),
    ("employer_rate", Decimal("-0.5"), "de 0 à 200"),
    ("reminder_days", 21, "à 20 jours avant la date limite"),
    ("reminder_days", -1, "de 0 (le jour même)"),
])
def test_each_bound_is_refused_in_french_on_its_field(shop, field, value, message) -> None:
    with pytest.raises(ValidationError) as refused:
        update(shop, **{field: value})
    assert list(refused.value.message_dict) == [field]
    assert message in refused.value.message_dict[field][0]
    assert not PaySettings.objects.exists()
    assert not AuditEvent.objects.filter(action="treasury.pay_settings.updated").exists()


def test_the_bounds_themselves_are_accepted(shop) -> None:
    saved = update(shop, cutoff_day=28, employee_rate="99.999", employer_rate="200",
                   reminder_days=20)
    assert (saved.cutoff_day, saved.employee_rate, saved.employer_rate,
            saved.reminder_days) == (28, Decimal("99.999"), Decimal("200.000"), 20)
    saved = update(shop, cutoff_day=1, employee_rate="0", employer_rate="0", reminder_days=0)
    assert (saved.cutoff_day, saved.employee_rate, saved.employer_rate,
            saved.reminder_days) == (1, Decimal("0.000"), Decimal("0.000"), 0)


def test_every_bad_field_is_reported_at_once(shop) -> None:
    with pytest.raises(ValidationError) as refused:
        update(shop, cutoff_day=31, employer_rate="300")
    assert set(refused.value.message_dict) == {"cutoff_day", "employer_rate"}


@pytest.mark.parametrize("persona", ["comptable", "referent", "cooperant", "outsider"])
def test_only_the_gestionnaire_changes_the_settings(shop, persona) -> None:
    with pytest.raises(PermissionDenied):
        update(shop, actor=shop.cast.user(persona))
    assert not PaySettings.objects.exists()


# -- the page -------------------------------------------------------------------------------

def test_the_settings_page_shows_the_current_values_and_an_example(shop, client) -> None:
    client.force_login(shop.manager)
    response = client.get(settings_url(shop))
    assert response.status_code == 200
    assert response.context["form"].initial == {
        "cutoff_day": 25, "employee_rate": "22", "employer_rate": "30", "reminder_days": 3}
    text = text_of(response)
    assert "Réglages de la paie" in text
    assert "1 000,00 € net font 1 282,05 € brut et coûtent 1 666,67 € à la trésorerie" in text
    for label in ("Jour limite des demandes", "Cotisations salariales (% du brut)",
                  "Cotisations patronales (% du brut)", "Rappel aux coopérant·es"):
        assert label in text


def test_the_month_page_links_to_the_settings(shop, client) -> None:
    client.force_login(shop.manager)
    month = client.get(reverse("treasury:payroll_month",
                               kwargs={"structure_pk": shop.cast.cae.pk}))
    assert f'href="{settings_url(shop)}"' in month.content.decode()


def test_the_gestionnaire_saves_the_settings_from_the_page(shop, client) -> None:
    client.force_login(shop.manager)
    response = client.post(settings_url(shop), {
        "cutoff_day": "20", "employee_rate": "21,5", "employer_rate": "45",
        "reminder_days": "2"})
    assert response.status_code == 302
    assert response["Location"] == reverse("treasury:payroll_month",
                                           kwargs={"structure_pk": shop.cast.cae.pk})
    stored = PaySettings.objects.get()
    assert (stored.cutoff_day, stored.employee_rate, stored.employer_rate,
            stored.reminder_days) == (20, Decimal("21.500"), Decimal("45.000"), 2)


def test_a_bad_value_comes_back_on_its_field(shop, client) -> None:
    client.force_login(shop.manager)
    response = client.post(settings_url(shop), {
        "cutoff_day": "31", "employee_rate": "22", "employer_rate": "30",
        "reminder_days": "3"})
    assert response.status_code == 400
    assert response.context["form"].errors["cutoff_day"] == [
        "Choisissez un jour entre le 1 et le 28, pour qu'il existe tous les mois."]
    assert "Choisissez un jour entre le 1 et le 28" in text_of(response)
    assert not PaySettings.objects.exists()


@pytest.mark.parametrize("persona", ["comptable", "referent", "cooperant", "outsider"])
def test_the_settings_page_is_404_for_everyone_but_the_gestionnaire(shop, client,
                                                                   persona) -> None:
    client.force_login(shop.cast.user(persona))
    assert client.get(settings_url(shop)).status_code == 404
    assert client.post(settings_url(shop), {
        "cutoff_day": "20", "employee_rate": "20", "employer_rate": "25",
        "reminder_days": "2"}).status_code == 404
    assert not PaySettings.objects.exists()


# -- the API --------------------------------------------------------------------------------

def test_the_api_reads_the_defaults_then_the_saved_settings(shop) -> None:
    url = f"{API}/{shop.cast.cae.pk}"
    api = client_of(shop.manager)
    assert api.get(url).json() == {
        "structure_id": shop.cast.cae.pk, "cutoff_day": 25, "employee_rate": "22.000",
        "employer_rate": "30.000", "reminder_days": 3, "defaults": True}
    response = put_json(api, url, {"cutoff_day": 20, "employee_rate": 20.5,
                                   "employer_rate": "42,5", "reminder_days": 4})
    assert response.status_code == 200
    saved = {"structure_id": shop.cast.cae.pk, "cutoff_day": 20, "employee_rate": "20.500",
             "employer_rate": "42.500", "reminder_days": 4, "defaults": False}
    assert response.json() == saved
    assert client_of(shop.cast.user("comptable")).get(url).json() == saved


def test_the_api_refuses_a_bad_value_in_french(shop) -> None:
    response = put_json(client_of(shop.manager), f"{API}/{shop.cast.cae.pk}",
                        {**GOOD, "employee_rate": "100"})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "employee_rate"]
    assert "de 0 à moins de 100" in error["msg"]
    assert not PaySettings.objects.exists()


def test_the_api_answers_403_to_the_comptable_and_404_to_who_does_not_keep_the_books(
        shop) -> None:
    url = f"{API}/{shop.cast.cae.pk}"
    assert put_json(client_of(shop.cast.user("comptable")), url, GOOD).status_code == 403
    for persona in ("referent", "cooperant", "outsider"):
        api = client_of(shop.cast.user(persona))
        assert api.get(url).status_code == 404, persona
        assert put_json(api, url, GOOD).status_code == 404, persona
    assert put_json(client_of(shop.manager), f"{API}/999999", GOOD).status_code == 404
    assert not PaySettings.objects.exists()
