"""The contribution pages: the structure's schemes and overrides, the forms, the month run
(preview, then confirm), a charge's computation the coopérant reads, 404 out of reach, and
constant query counts on the lists."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import SECRET_MARKER
from kpa.core import dates
from kpa.directory import services as directory_services
from kpa.directory.models import Activity
from kpa.ledger.treasury_accounts import treasury_account_for
from kpa.sales.tests.conftest import Shop
from kpa.treasury import schemes
from kpa.treasury.contribution import run_month
from kpa.treasury.models import ContributionCharge, ContributionOverride, ContributionScheme
from kpa.treasury.tests.test_contribution_helpers import account_of, book, opteos

AFTER_NOVEMBER = dt.date(2026, 12, 2)
NOVEMBER = dt.date(2026, 11, 1)


@pytest.fixture(autouse=True)
def fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "local_today", lambda: AFTER_NOVEMBER)


def as_persona(client: Client, shop: Shop, persona: str) -> Client:
    client.force_login(shop.cast.user(persona))
    return client


def text_of(response: Any) -> str:
    without_tags = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(without_tags).replace("\u202f", " ").split())


def url(name: str, *args: object) -> str:
    return reverse(f"treasury:{name}", args=args)


def counted_november(shop: Shop, sales: str = "12000") -> ContributionCharge:
    opteos(shop)
    account = account_of(shop)
    book(shop, account, dt.date(2026, 11, 10), sales=sales)
    run_month(actor=shop.manager, structure=shop.cast.cae, month=NOVEMBER, today=AFTER_NOVEMBER)
    return ContributionCharge.objects.get(treasury_account=account, month=NOVEMBER)


def test_the_structure_page_shows_the_scale_in_words(shop: Shop, client: Client) -> None:
    opteos(shop, monthly_fee="20", fee_waived_for_rsa=True)
    as_persona(client, shop, "gestionnaire")
    page = client.get(url("contribution_index"), follow=True)
    text = text_of(page)
    assert "De 0 à 30 000 € : 11,5 %" in text
    assert "Au-delà de 120 000 € : 7,5 %" in text
    assert "Forfait mensuel : 20,00 € par coopérant·e en CAPE (pas pour les allocataires du " \
           "RSA)" in text
    assert "Nouveau barème" in text


def test_the_comptable_sees_the_schemes_and_runs_months_but_does_not_change_them(
        shop: Shop, client: Client) -> None:
    opteos(shop)
    cae = shop.cast.cae
    as_persona(client, shop, "comptable")
    text = text_of(client.get(url("contribution_structure", cae.pk)))
    assert "Compter un mois" in text
    assert "Nouveau barème" not in text
    assert client.get(url("contribution_scheme_new", cae.pk)).status_code == 404
    assert client.get(url("contribution_override_new", cae.pk)).status_code == 404


@pytest.mark.parametrize("persona", ["cooperant", "referent", "benevole", "outsider"])
def test_the_structure_pages_do_not_exist_for_others(shop: Shop, client: Client,
                                                     persona: str) -> None:
    scheme = opteos(shop)
    cae = shop.cast.cae
    as_persona(client, shop, persona)
    for target in (url("contribution_index"), url("contribution_structure", cae.pk),
                   url("contribution_scheme_new", cae.pk),
                   url("contribution_scheme_edit", scheme.pk),
                   url("contribution_run", cae.pk), url("contribution_month", cae.pk, 2026, 11)):
        assert client.get(target).status_code == 404, target
    assert client.post(url("contribution_run", cae.pk), {"month": "2026-11"}).status_code == 404
    assert not ContributionCharge.objects.exists()


def _scheme_post(**overrides: str) -> dict[str, str]:
    data = {"name": "Barème 2027", "base": "gross_margin", "starts_on": "2027-01-01",
            "ends_on": "", "monthly_fee": "15,00", "tranches-TOTAL_FORMS": "4",
            "tranches-INITIAL_FORMS": "1", "tranches-MIN_NUM_FORMS": "0",
            "tranches-MAX_NUM_FORMS": "20",
            "tranches-0-lower_bound": "0", "tranches-0-rate": "11,5",
            "tranches-1-lower_bound": "30 000", "tranches-1-rate": "10,5 %",
            "tranches-2-lower_bound": "", "tranches-2-rate": "",
            "tranches-3-lower_bound": "", "tranches-3-rate": ""}
    data.update(overrides)
    return data


def test_a_scheme_is_typed_bracket_by_bracket(shop: Shop, client: Client) -> None:
    as_persona(client, shop, "gestionnaire")
    cae = shop.cast.cae
    form = client.get(url("contribution_scheme_new", cae.pk))
    assert 'for="id_tranches-0-lower_bound"' in form.content.decode()
    response = client.post(url("contribution_scheme_new", cae.pk), _scheme_post())
    assert response.status_code == 302
    scheme = ContributionScheme.objects.get()
    assert [(b.lower_bound, b.rate) for b in scheme.brackets.all()] == [
        (Decimal("0.00"), Decimal("11.500")), (Decimal("30000.00"), Decimal("10.500"))]
    assert scheme.monthly_fee == Decimal("15.00")


def test_a_bad_scheme_comes_back_with_french_reasons(shop: Shop, client: Client) -> None:
    as_persona(client, shop, "gestionnaire")
    cae = shop.cast.cae
    half = client.post(url("contribution_scheme_new", cae.pk),
                       _scheme_post(**{"tranches-2-lower_bound": "60000"}))
    assert half.status_code == 400
    assert "complétez ou videz la ligne" in text_of(half)
    refused = client.post(url("contribution_scheme_new", cae.pk),
                          _scheme_post(**{"tranches-0-lower_bound": "100",
                                          "starts_on": "2027-01-15"}))
    assert refused.status_code == 400
    text = text_of(refused)
    assert "La première tranche commence à 0 € (ici à 100,00 €)." in text
    assert "Commencez le 1er d'un mois" in text
    assert not ContributionScheme.objects.exists()


def test_a_scheme_that_served_says_so_and_keeps_its_brackets(shop: Shop,
                                                             client: Client) -> None:
    charge = counted_november(shop)
    scheme = charge.scheme
    assert scheme is not None
    as_persona(client, shop, "gestionnaire")
    page = client.get(url("contribution_scheme_edit", scheme.pk))
    assert "Ce barème a servi jusqu'à novembre 2026" in text_of(page)
    data = _scheme_post(name="Optéos", starts_on="2026-01-01", monthly_fee="0",
                        **{"tranches-0-rate": "9"})
    refused = client.post(url("contribution_scheme_edit", scheme.pk), data)
    assert refused.status_code == 400
    assert "son calcul ne change plus" in text_of(refused)


def test_an_activity_is_exempted_from_the_override_form(shop: Shop, client: Client) -> None:
    as_persona(client, shop, "gestionnaire")
    cae = shop.cast.cae
    data = {"activity": str(shop.friperie.pk), "mode": "exempt", "reason": "Insertion",
            "starts_on": "2026-12-01", "ends_on": "", "scale_base": "gross_margin",
            "tranches-TOTAL_FORMS": "3", "tranches-INITIAL_FORMS": "1",
            "tranches-MIN_NUM_FORMS": "0", "tranches-MAX_NUM_FORMS": "20"}
    response = client.post(url("contribution_override_new", cae.pk), data)
    assert response.status_code == 302
    override = ContributionOverride.objects.get()
    assert override.exempt
    assert override.treasury_account == account_of(shop, collective=True)
    text = text_of(client.get(url("contribution_structure", cae.pk)))
    assert "Exonérée" in text
    ended = client.post(url("contribution_override_end", override.pk),
                        {"ends_on": "2027-03-01"})
    assert ended.status_code == 302
    override.refresh_from_db()
    assert override.ends_on == dt.date(2027, 3, 1)


def test_a_new_particular_scale_is_typed_with_its_override(shop: Shop, client: Client) -> None:
    as_persona(client, shop, "gestionnaire")
    cae = shop.cast.cae
    data = {"activity": str(shop.friperie.pk), "mode": "new", "reason": "Insertion",
            "starts_on": "2026-12-01", "ends_on": "", "scale_name": "",
            "scale_base": "turnover", "scale_fee": "0",
            "tranches-TOTAL_FORMS": "3", "tranches-INITIAL_FORMS": "1",
            "tranches-MIN_NUM_FORMS": "0", "tranches-MAX_NUM_FORMS": "20",
            "tranches-0-lower_bound": "0", "tranches-0-rate": "4"}
    refused = client.post(url("contribution_override_new", cae.pk), data)
    assert refused.status_code == 400
    assert "Donnez un nom au barème" in text_of(refused)
    data["scale_name"] = "Solidaire"
    assert client.post(url("contribution_override_new", cae.pk), data).status_code == 302
    scheme = ContributionOverride.objects.get().scheme
    assert scheme is not None
    assert (scheme.name, scheme.base) == ("Solidaire", "turnover")
    text = text_of(client.get(url("contribution_structure", cae.pk)))
    assert "Barèmes particuliers" in text
    assert "Barème « Solidaire »" in text


def test_a_month_is_previewed_then_booked(shop: Shop, client: Client) -> None:
    opteos(shop)
    account = account_of(shop)
    book(shop, account, dt.date(2026, 11, 10), sales="12000")
    as_persona(client, shop, "gestionnaire")
    cae = shop.cast.cae
    choose = client.get(url("contribution_run", cae.pk))
    assert '<option value="2026-11">novembre 2026</option>' in choose.content.decode()
    preview = client.get(url("contribution_run", cae.pk), {"month": "2026-11"})
    text = text_of(preview)
    assert "Ce qui sera passé pour novembre 2026" in text
    assert "De 0 à 30 000 € : 11,5 % de 12 000,00 € = 1 380,00 €" in text
    assert "Passer la contribution de novembre 2026 en comptabilité" in text
    assert not ContributionCharge.objects.exists()
    done = client.post(url("contribution_run", cae.pk), {"month": "2026-11"}, follow=True)
    assert done.redirect_chain[-1][0] == url("contribution_month", cae.pk, 2026, 11)
    text = text_of(done)
    assert ("Contribution de 11/2026 comptée : 1 compte, 1 écriture(s), total 1 380,00 €."
            in text)
    assert "OD" in text
    again = client.post(url("contribution_run", cae.pk), {"month": "2026-11"}, follow=True)
    assert "1 compte était déjà compté : laissé tel quel." in text_of(again)


def test_an_earlier_month_is_refused_on_the_preview(shop: Shop, client: Client) -> None:
    counted_november(shop)
    as_persona(client, shop, "comptable")
    refused = client.get(url("contribution_run", shop.cast.cae.pk), {"month": "2026-10"})
    assert "La contribution de 11/2026 est déjà comptée" in text_of(refused)
    not_over = client.get(url("contribution_run", shop.cast.cae.pk), {"month": "2026-12"})
    assert "Sélectionnez un choix valide" in text_of(not_over)


def test_the_coopérant_reads_the_computation_of_their_own_charge(shop: Shop,
                                                                client: Client) -> None:
    charge = counted_november(shop)
    as_persona(client, shop, "cooperant")
    page = client.get(url("contribution_charge", charge.pk))
    assert page.status_code == 200
    text = text_of(page)
    assert "Pris sur la trésorerie : 1 380,00 €" in text
    assert "De 0 à 30 000 € : 11,5 % de 12 000,00 € = 1 380,00 €" in text
    assert "Voir l'écriture" not in text
    mine = client.get(url("contribution_account", charge.treasury_account_id))
    assert "novembre 2026" in text_of(mine)


@pytest.mark.parametrize(("persona", "status"), [
    ("referent", 200), ("comptable", 200), ("benevole", 404), ("outsider", 404)])
def test_a_charge_is_seen_by_those_who_see_its_account(shop: Shop, client: Client,
                                                       persona: str, status: int) -> None:
    charge = counted_november(shop)
    as_persona(client, shop, persona)
    assert client.get(url("contribution_charge", charge.pk)).status_code == status
    assert client.get(url("contribution_account",
                          charge.treasury_account_id)).status_code == status


def test_the_outsider_learns_nothing(shop: Shop, client: Client) -> None:
    charge = counted_november(shop)
    as_persona(client, shop, "outsider")
    for target in (url("contribution_charge", charge.pk),
                   url("contribution_account", charge.treasury_account_id),
                   url("contribution_month", shop.cast.cae.pk, 2026, 11)):
        response = client.get(target)
        assert response.status_code == 404
        assert SECRET_MARKER not in response.content.decode()


def _more_activities(shop: Shop, count: int) -> list[Activity]:
    activities = []
    for number in range(count):
        activity = directory_services.create_activity(
            actor=shop.manager, kpa=shop.cast.home, name=f"Collectif {number}",
            kind=Activity.Kind.COLLECTIVE, started_on=dt.date(2026, 3, 2),
            today=dt.date(2026, 11, 28), members=[shop.cast.cooperant])
        account = treasury_account_for(activity, actor=shop.manager)
        book(shop, account, dt.date(2026, 11, 10), sales="500")
        activities.append(activity)
    return activities


def test_the_lists_cost_the_same_queries_for_more_rows(
        shop: Shop, client: Client, django_assert_max_num_queries: Any,
        django_assert_num_queries: Any) -> None:
    opteos(shop)
    cae, individual = shop.cast.cae, account_of(shop)
    book(shop, individual, dt.date(2026, 10, 10), sales="1000")
    schemes.create_override(actor=shop.manager, activity=shop.friperie, exempt=True,
                            reason="Insertion", starts_on=dt.date(2026, 10, 1),
                            today=dt.date(2026, 11, 28))
    run_month(actor=shop.manager, structure=cae, month=dt.date(2026, 10, 1),
              today=AFTER_NOVEMBER)
    as_persona(client, shop, "gestionnaire")

    def pages(month: int) -> list[str]:
        return [url("contribution_structure", cae.pk),
                url("contribution_month", cae.pk, 2026, month),
                url("contribution_account", individual.pk)]

    counts = []
    for page in pages(10):
        with django_assert_max_num_queries(20) as few:
            assert client.get(page).status_code == 200
        counts.append(len(few))
    preview = url("contribution_run", cae.pk)
    with django_assert_max_num_queries(30) as preview_few:
        assert "Ce qui sera passé" in text_of(client.get(preview, {"month": "2026-11"}))
    newcomers = _more_activities(shop, 3)
    book(shop, individual, dt.date(2026, 11, 10), sales="1000")
    schemes.create_override(
        actor=shop.manager, activity=newcomers[0], reason="Insertion",
        new_scale=schemes.Scale(name="Solidaire", brackets=[schemes.BracketInput("0", "4")]),
        starts_on=NOVEMBER, today=dt.date(2026, 11, 28))
    with django_assert_num_queries(len(preview_few)):
        assert "5 trésoreries" in text_of(client.get(preview, {"month": "2026-11"}))
    run_month(actor=shop.manager, structure=cae, month=NOVEMBER, today=AFTER_NOVEMBER)
    assert ContributionCharge.objects.filter(month=NOVEMBER).count() == 5
    for page, count in zip(pages(11), counts, strict=True):
        with django_assert_num_queries(count):
            assert client.get(page).status_code == 200
