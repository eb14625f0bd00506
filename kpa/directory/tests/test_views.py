"""The directory's pages, driven through the test client as each persona of the cast.

Views are thin, so these tests check what only a page can get wrong: what each persona is
shown, which status a refused or invalid request answers (400 for bad input, 404 for anything
out of reach), that nothing is written when input is refused, and that list pages do not
issue one more query per row (their query count must not grow with the data).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertRedirects
from stdnum import luhn

from conftest import SECRET_MARKER, Cast
from kpa.core.dates import local_today
from kpa.core.models import AuditEvent
from kpa.directory.models import Kpa, Network, Person, Place, Role, RoleKind, Structure
from kpa.directory.tests.factories import (
    KpaFactory,
    PersonFactory,
    PlaceFactory,
    StructureFactory,
    give_role,
    person_with_login,
)

User = get_user_model()
ROLE_START = dt.date(2026, 1, 5)  # when every role of the cast begins (see conftest)


@pytest.fixture(autouse=True)
def fast_hashing(settings: Any) -> None:
    """The cast has ten accounts; argon2 is tested in kpa/core/tests/test_auth_and_security."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def today() -> dt.date:
    """The day the views themselves use, so "current" means the same thing on both sides."""
    return local_today()


def logged_in(client: Client, cast: Cast, persona: str) -> Client:
    client.force_login(cast.user(persona))
    return client


def text_of(response: Any) -> str:
    """The page as a reader sees it: entities such as &#x27; turned back into characters."""
    return html.unescape(response.content.decode())


def siren_from(body: str) -> str:
    """A valid SIREN: eight digits and their Luhn check digit."""
    assert len(body) == 8
    return body + luhn.calc_check_digit(body)


def siret_from(siren: str, establishment: str = "0001") -> str:
    body = siren + establishment
    return body + luhn.calc_check_digit(body)


def write_counts() -> dict[str, int]:
    """Everything a directory page could write, to check that a refused request wrote nothing."""
    return {
        model.__name__: model.objects.count()
        for model in (Structure, Kpa, Place, Person, Role, User, AuditEvent, Network)
    }


def role_of(person: Person, kind: str, scope: Kpa) -> Role:
    return Role.objects.get(person=person, kind=kind, kpa=scope)


# --- Home page: one panel per kind of role -------------------------------------------------

PANELS = {
    "Mon KPA",
    "Les personnes de mon KPA",
    "KPA portés par ma structure",
    "Tous les KPA du réseau",
}
PANEL_OF = {
    "cooperant": "Mon KPA",
    "benevole": "Mon KPA",
    "referent": "Les personnes de mon KPA",
    "animateur": "Les personnes de mon KPA",
    "accompagnateur": "Les personnes de mon KPA",
    "gestionnaire": "KPA portés par ma structure",
    "comptable": "KPA portés par ma structure",
    "coordinateur": "Tous les KPA du réseau",
    "admin": "Tous les KPA du réseau",
}


def panel_headings(page: str) -> set[str]:
    """The panel headings (<h2>) present on a home page, without their "— KPA name" suffix."""
    headings = re.findall(r"<h2[^>]*>(.*?)</h2>", page, flags=re.DOTALL)
    return {heading for heading in PANELS
            if any(h.strip().startswith(heading) for h in headings)}


@pytest.mark.parametrize(("persona", "heading"), PANEL_OF.items())
def test_each_persona_finds_exactly_its_own_panel_on_the_home_page(
    cast: Cast, client: Client, persona: str, heading: str
) -> None:
    response = logged_in(client, cast, persona).get("/")

    assert response.status_code == 200
    assert panel_headings(text_of(response)) == {heading}


@pytest.mark.parametrize("persona", PANEL_OF)
def test_every_home_page_is_a_french_document_with_landmarks_and_a_title(
    cast: Cast, client: Client, persona: str
) -> None:
    page = text_of(logged_in(client, cast, persona).get("/"))

    assert re.search(r'<html lang="fr">', page)
    for landmark in ("main", "nav", "header", "footer"):
        assert re.search(rf"<{landmark}[\s>]", page), f"no <{landmark}> on {persona}'s home"
    title = re.search(r"<title>(.*?)</title>", page, flags=re.DOTALL)
    assert title is not None
    assert title.group(1).strip().startswith("Accueil")


def test_the_staff_panel_lists_the_people_of_the_kpa_with_their_roles(
    cast: Cast, client: Client
) -> None:
    page = text_of(logged_in(client, cast, "referent").get("/"))

    assert f"KPA {SECRET_MARKER}" in page
    assert cast.cooperant.full_name in page
    assert cast.quiet_cooperant.full_name in page
    assert "Inviter une personne" in page
    assert reverse("directory:person_invite", args=[cast.home.pk]) in page


def test_the_outsider_home_page_shows_their_own_kpa_and_nothing_of_the_home_kpa(
    cast: Cast, client: Client
) -> None:
    page = text_of(logged_in(client, cast, "outsider").get("/"))

    assert "KPA Ailleurs" in page
    assert panel_headings(page) == {"Les personnes de mon KPA"}
    assert SECRET_MARKER not in page


def test_an_account_without_any_role_is_told_to_ask_its_referent(
    cast: Cast, client: Client
) -> None:
    newcomer = person_with_login("nouvelle", first_name="Nina", last_name="Nouvelle")
    assert newcomer.user is not None
    client.force_login(newcomer.user)

    page = text_of(client.get("/"))

    assert "Aucun rôle pour l'instant" in page
    assert panel_headings(page) == set()
    assert SECRET_MARKER not in page


# --- Query counts: no page issues one query per row ----------------------------------------

# Upper bounds measured on the cast (session, user, reach, then the page's own reads); a page
# going past its bound deserves a look, and a page must not need more as the data grows.
# kpa_detail: session, user, reach (2), the KPA, unread notifications, places, activities,
# people and their roles.
QUERY_BUDGET = {"home": 10, "kpa_list": 8, "structure_list": 6, "kpa_detail": 10}


def grow(cast: Cast) -> None:
    """Ten more of everything a list page shows, reachable by every persona of the cast."""
    for n in range(10):
        structure = StructureFactory(network=cast.network, name=f"Structure croissance {n}")
        # Half carried by the cast's CAE (its gestionnaire's panel grows), half by the new one.
        kpa = KpaFactory(network=cast.network, name=f"KPA croissance {n}",
                         carrying_structure=cast.cae if n % 2 else structure,
                         local_structure=structure, district=f"Quartier {n}")
        PlaceFactory(kpa=kpa, name=f"Lieu {n}")
        PlaceFactory(kpa=cast.home, name=f"Lieu maison {n}")
        give_role(PersonFactory(), RoleKind.REFERENT, kpa, starts_on=ROLE_START)
        give_role(PersonFactory(), RoleKind.COOPERANT, kpa, starts_on=ROLE_START)
        # The cast's coopérant belongs to ten more KPAs: "Mon KPA" lists them all.
        give_role(cast.cooperant, RoleKind.COOPERANT, kpa, starts_on=ROLE_START)
        # Ten more people in the home KPA, half without e-mail and represented by the référent.
        if n % 2:
            newcomer = person_with_login(f"croissance{n}", first_name=f"P{n}", last_name="Compte")
        else:
            newcomer = PersonFactory(proxy=cast.referent)
        give_role(newcomer, RoleKind.COOPERANT, cast.home, starts_on=ROLE_START)
        give_role(newcomer, RoleKind.BENEVOLE, cast.home, starts_on=ROLE_START)


PAGES = [
    ("cooperant", "home"),
    ("referent", "home"),
    ("animateur", "home"),
    ("gestionnaire", "home"),
    ("coordinateur", "home"),
    ("admin", "home"),
    ("cooperant", "kpa_list"),
    ("gestionnaire", "kpa_list"),
    ("coordinateur", "kpa_list"),
    ("cooperant", "structure_list"),
    ("coordinateur", "structure_list"),
    ("admin", "structure_list"),
    ("cooperant", "kpa_detail"),
    ("referent", "kpa_detail"),
    ("gestionnaire", "kpa_detail"),
    ("coordinateur", "kpa_detail"),
]


def rows(response: Any) -> int:
    """Table rows and list items: what a list page shows one of per object."""
    return response.content.count(b"<tr") + response.content.count(b"<li")


def url_of(page: str, cast: Cast) -> str:
    if page == "kpa_detail":
        return reverse("directory:kpa_detail", args=[cast.home.pk])
    return reverse(f"directory:{page}")


@pytest.mark.parametrize(("persona", "page"), PAGES)
def test_list_pages_stay_within_their_query_budget_and_do_not_grow_with_the_data(
    cast: Cast, client: Client, persona: str, page: str,
    django_assert_max_num_queries: Any, django_assert_num_queries: Any,
) -> None:
    logged_in(client, cast, persona)
    url = url_of(page, cast)
    client.get(url)  # warm up: the first request may settle the session

    with django_assert_max_num_queries(QUERY_BUDGET[page]) as small:
        response = client.get(url)
    assert response.status_code == 200
    rows_before = rows(response)

    grow(cast)

    with django_assert_num_queries(len(small)):
        response = client.get(url)
    assert response.status_code == 200
    # The page really shows more rows now, so an unchanged count means no query per row.
    assert rows(response) >= rows_before + 5


# --- Inviting a person ---------------------------------------------------------------------

def invite_url(kpa: Kpa) -> str:
    return reverse("directory:person_invite", args=[kpa.pk])


def test_the_referent_invites_a_person_without_email_and_is_recorded_as_acting_for_them(
    cast: Cast, client: Client, today: dt.date, django_capture_on_commit_callbacks: Any
) -> None:
    logged_in(client, cast, "referent")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(invite_url(cast.home), {
            "first_name": " Fatou ", "last_name": "Diallo", "email": "", "phone": "",
            "kind": RoleKind.COOPERANT, "starts_on": today.isoformat(),
        })

    assertRedirects(response, cast.home.get_absolute_url(), fetch_redirect_response=False)
    person = Person.objects.get(last_name="Diallo")
    assert person.first_name == "Fatou"
    assert person.user is None
    assert person.proxy == cast.referent
    role = role_of(person, RoleKind.COOPERANT, cast.home)
    assert role.starts_on == today
    assert role.ends_on is None
    event = AuditEvent.objects.get(action="directory.person.invited", target_id=str(person.pk))
    assert event.actor == cast.user("referent")
    assert event.data["acting_for"] is True
    assert event.data["has_account"] is False
    assert mail.outbox == []

    page = text_of(client.get(cast.home.get_absolute_url()))
    assert "Fatou Diallo" in page
    assert f"{cast.referent.full_name} agit pour cette personne" in page
    assert "La personne a été ajoutée au KPA." in page


def test_a_person_invited_with_an_email_gets_an_account_without_password_and_one_link(
    cast: Cast, client: Client, today: dt.date, django_capture_on_commit_callbacks: Any
) -> None:
    logged_in(client, cast, "referent")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(invite_url(cast.home), {
            "first_name": "Awa", "last_name": "Traoré", "email": "Awa.Traore@Exemple.org",
            "phone": "06 12 34 56 78", "kind": RoleKind.BENEVOLE,
            "starts_on": today.isoformat(),
        })

    assertRedirects(response, cast.home.get_absolute_url())
    assert len(callbacks) == 1
    person = Person.objects.select_related("user").get(last_name="Traoré")
    assert person.proxy is None
    assert person.email == "awa.traore@exemple.org"
    user = person.user
    assert user is not None
    assert user.email == "awa.traore@exemple.org"
    assert not user.has_usable_password()
    role_of(person, RoleKind.BENEVOLE, cast.home)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["awa.traore@exemple.org"]
    assert f"KPA {SECRET_MARKER}" in message.subject
    assert user.get_username() in message.body
    link = re.search(r"http://testserver(/compte/reset/[\w-]+/[\w-]+/)", message.body)
    assert link is not None, message.body

    # The link really lets the invited person choose a password, then log in.
    newcomer = Client()
    set_password = newcomer.get(link.group(1))
    assert set_password.status_code == 302
    form_url = set_password["Location"]
    assert newcomer.get(form_url).status_code == 200
    done = newcomer.post(form_url, {"new_password1": "Ma-cle-de-jardin-42",
                                    "new_password2": "Ma-cle-de-jardin-42"})
    assertRedirects(done, reverse("password_reset_complete"))
    user.refresh_from_db()
    assert user.check_password("Ma-cle-de-jardin-42")


def test_inviting_with_an_email_that_already_has_an_account_is_refused_in_french(
    cast: Cast, client: Client, today: dt.date, django_capture_on_commit_callbacks: Any
) -> None:
    logged_in(client, cast, "referent")
    before = write_counts()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(invite_url(cast.home), {
            "first_name": "Copie", "last_name": "Conforme",
            "email": cast.cooperant.email.upper(), "kind": RoleKind.COOPERANT,
            "starts_on": today.isoformat(),
        })

    assert response.status_code == 400
    assert "Une personne a déjà un compte avec cet e-mail" in text_of(response)
    assert write_counts() == before
    assert mail.outbox == []


# --- Bad input: a 400 page in French, and nothing written ----------------------------------

def structure_data(**overrides: str) -> dict[str, str]:
    siren = siren_from("81234567")
    data = {
        "name": "Coopérative Nouvelle", "kind": Structure.Kind.CAE, "siren": siren,
        "siret": siret_from(siren), "vat_regime": Structure.VatRegime.NORMAL,
        "chart_template": Structure.ChartTemplate.PCG, "address": "3 place de la Gare",
        "postcode": "59000", "city": "Lille",
    }
    data.update(overrides)
    return data


def test_an_invalid_siret_is_refused_with_a_french_message_on_its_field(
    cast: Cast, client: Client
) -> None:
    logged_in(client, cast, "coordinateur")
    good = structure_data()["siret"]
    wrong_check_digit = good[:-1] + str((int(good[-1]) + 1) % 10)
    before = write_counts()

    response = client.post(reverse("directory:structure_create"),
                           structure_data(siret=wrong_check_digit))

    assert response.status_code == 400
    page = text_of(response)
    assert f"« {wrong_check_digit} » n'est pas un SIRET valide" in page
    assert 'id="id_siret_error"' in page
    assert write_counts() == before


def test_a_siret_that_does_not_start_with_the_siren_is_refused_with_a_clear_message(
    cast: Cast, client: Client
) -> None:
    logged_in(client, cast, "coordinateur")
    siren = siren_from("81234567")
    someone_elses_siret = siret_from(siren_from("73282932"))
    before = write_counts()

    response = client.post(reverse("directory:structure_create"),
                           structure_data(siren=siren, siret=someone_elses_siret))

    assert response.status_code == 400
    page = text_of(response)
    assert f"Le SIRET doit commencer par le SIREN de la structure ({siren})" in page
    assert "contrainte" not in page  # not the database constraint's generic wording
    assert write_counts() == before


def test_an_overlapping_role_is_refused_and_the_message_names_the_other_period(
    cast: Cast, client: Client
) -> None:
    logged_in(client, cast, "referent")
    before = write_counts()

    response = client.post(reverse("directory:role_create", args=[cast.cooperant.pk]), {
        "kind": RoleKind.COOPERANT, "scope": f"kpa:{cast.home.pk}",
        "starts_on": "2026-06-01", "ends_on": "",
    })

    assert response.status_code == 400
    page = text_of(response)
    assert "les périodes ne peuvent pas se chevaucher" in page
    assert ROLE_START.strftime("%d/%m/%Y") in page
    assert write_counts() == before


def test_a_role_that_ends_before_it_starts_is_refused(cast: Cast, client: Client) -> None:
    logged_in(client, cast, "referent")
    before = write_counts()

    response = client.post(reverse("directory:role_create", args=[cast.quiet_cooperant.pk]), {
        "kind": RoleKind.BENEVOLE, "scope": f"kpa:{cast.home.pk}",
        "starts_on": "2026-12-10", "ends_on": "2026-12-01",
    })

    assert response.status_code == 400
    assert "La fin doit venir après le début." in text_of(response)
    assert write_counts() == before


@pytest.mark.parametrize("ends_on", ["2025-12-01", ROLE_START.isoformat()])
def test_ending_a_role_on_or_before_its_start_is_refused(
    cast: Cast, client: Client, ends_on: str
) -> None:
    logged_in(client, cast, "referent")
    role = role_of(cast.cooperant, RoleKind.COOPERANT, cast.home)
    before = write_counts()

    response = client.post(reverse("directory:role_end", args=[role.pk]), {"ends_on": ends_on})

    assert response.status_code == 400
    assert "La fin doit venir après le début (05/01/2026)" in text_of(response)
    role.refresh_from_db()
    assert role.ends_on is None
    assert write_counts() == before


@pytest.mark.parametrize("url_name", ["kpa_detail", "kpa_edit", "person_invite", "place_create"])
def test_an_unknown_kpa_answers_404(cast: Cast, client: Client, url_name: str) -> None:
    logged_in(client, cast, "admin")
    missing = Kpa.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000

    assert client.get(reverse(f"directory:{url_name}", args=[missing])).status_code == 404


def test_a_cooperant_cannot_open_or_post_the_invitation_form(
    cast: Cast, client: Client, today: dt.date
) -> None:
    logged_in(client, cast, "cooperant")
    before = write_counts()

    assert client.get(invite_url(cast.home)).status_code == 404
    response = client.post(invite_url(cast.home), {
        "first_name": "Intrus", "last_name": "Invité", "kind": RoleKind.COOPERANT,
        "starts_on": today.isoformat(),
    })

    assert response.status_code == 404
    assert write_counts() == before


def test_the_referent_is_offered_only_the_roles_they_may_give_when_inviting(
    cast: Cast, client: Client
) -> None:
    logged_in(client, cast, "referent")

    page = text_of(client.get(invite_url(cast.home)))

    kind_select = re.search(r'<select name="kind".*?</select>', page, flags=re.DOTALL)
    assert kind_select is not None
    offered = set(re.findall(r'<option value="(\w+)"', kind_select.group(0)))
    assert offered == {RoleKind.COOPERANT, RoleKind.BENEVOLE}


def test_the_referent_cannot_give_the_gestionnaire_role_by_invitation(
    cast: Cast, client: Client, today: dt.date
) -> None:
    logged_in(client, cast, "referent")
    before = write_counts()

    response = client.post(invite_url(cast.home), {
        "first_name": "Gérante", "last_name": "Improvisée", "kind": RoleKind.GESTIONNAIRE,
        "starts_on": today.isoformat(),
    })

    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in text_of(response)
    assert write_counts() == before


@pytest.mark.parametrize(("kind", "scope"), [
    (RoleKind.GESTIONNAIRE, "kpa"),        # a structure role, in the only scope offered
    (RoleKind.GESTIONNAIRE, "structure"),  # the structure is not offered to a référent
    (RoleKind.REFERENT, "kpa"),            # a KPA role only the structure may give
])
def test_the_referent_cannot_give_a_role_beyond_cooperant_or_benevole(
    cast: Cast, client: Client, today: dt.date, kind: str, scope: str
) -> None:
    logged_in(client, cast, "referent")
    scope_value = f"kpa:{cast.home.pk}" if scope == "kpa" else f"structure:{cast.cae.pk}"
    before = write_counts()

    response = client.post(reverse("directory:role_create", args=[cast.quiet_cooperant.pk]), {
        "kind": kind, "scope": scope_value, "starts_on": today.isoformat(),
    })

    assert response.status_code in (400, 404)
    assert write_counts() == before
    assert not Role.objects.filter(person=cast.quiet_cooperant).exclude(
        kind=RoleKind.COOPERANT).exists()


@pytest.mark.parametrize("form", ["invite", "role_create", "role_end"])
def test_a_date_that_does_not_exist_is_refused_in_french(
    cast: Cast, client: Client, form: str
) -> None:
    logged_in(client, cast, "referent")
    garbage = "2026-13-45"
    url, data = {
        "invite": (invite_url(cast.home), {
            "first_name": "Date", "last_name": "Folle", "kind": RoleKind.COOPERANT,
            "starts_on": garbage}),
        "role_create": (reverse("directory:role_create", args=[cast.quiet_cooperant.pk]), {
            "kind": RoleKind.BENEVOLE, "scope": f"kpa:{cast.home.pk}", "starts_on": garbage}),
        "role_end": (reverse("directory:role_end", args=[
            role_of(cast.cooperant, RoleKind.COOPERANT, cast.home).pk]), {"ends_on": garbage}),
    }[form]
    before = write_counts()

    response = client.post(url, data)

    assert response.status_code == 400
    assert "Saisissez une date valide." in text_of(response)
    assert write_counts() == before


# --- The coordinateur looks after the network ----------------------------------------------

def test_the_coordinateur_creates_a_structure_typed_with_spaces_and_it_is_stored_compact(
    cast: Cast, client: Client
) -> None:
    logged_in(client, cast, "coordinateur")
    siren = siren_from("81234567")
    siret = siret_from(siren)
    spaced_siren = f"{siren[:3]} {siren[3:6]} {siren[6:]}"
    spaced_siret = f"{spaced_siren} {siret[9:]}"

    response = client.post(reverse("directory:structure_create"),
                           structure_data(siren=spaced_siren, siret=spaced_siret))

    structure = Structure.objects.filter(name="Coopérative Nouvelle").first()
    assert structure is not None, text_of(response)
    assertRedirects(response, structure.get_absolute_url())
    assert structure.siren == siren
    assert structure.siret == siret
    assert structure.network == cast.network
    assert AuditEvent.objects.filter(action="directory.structure.created",
                                     target_id=str(structure.pk)).exists()


def test_the_coordinateur_creates_a_structure_and_finds_it_in_the_list(
    cast: Cast, client: Client
) -> None:
    logged_in(client, cast, "coordinateur")

    response = client.post(reverse("directory:structure_create"), structure_data())

    structure = Structure.objects.get(name="Coopérative Nouvelle")
    assertRedirects(response, structure.get_absolute_url())
    page = text_of(client.get(reverse("directory:structure_list")))
    assert "Coopérative Nouvelle" in page
    assert structure.siren in page


def test_the_coordinateur_edits_a_kpa(cast: Cast, client: Client) -> None:
    logged_in(client, cast, "coordinateur")

    response = client.post(reverse("directory:kpa_edit", args=[cast.home.pk]), {
        "name": f"KPA {SECRET_MARKER} Renommé", "city": "Tourcoing", "district": "La Bourgogne",
        "carrying_structure": cast.cae.pk, "local_structure": cast.other_structure.pk,
        "status": Kpa.Status.PAUSED, "autonomy": Kpa.Autonomy.ACCOMPANIED,
        "founded_on": "2024-09-01",
    })

    assertRedirects(response, cast.home.get_absolute_url(), fetch_redirect_response=False)
    kpa = Kpa.objects.get(pk=cast.home.pk)
    assert kpa.name == f"KPA {SECRET_MARKER} Renommé"
    assert kpa.city == "Tourcoing"
    assert kpa.local_structure == cast.other_structure
    assert kpa.status == Kpa.Status.PAUSED
    assert kpa.founded_on == dt.date(2024, 9, 1)
    assert AuditEvent.objects.filter(action="directory.kpa.updated",
                                     target_id=str(kpa.pk)).count() == 1
    page = text_of(client.get(kpa.get_absolute_url()))
    assert "Le KPA a été modifié." in page
    assert "La Bourgogne" in page


def test_the_coordinateur_adds_a_place_to_a_kpa(cast: Cast, client: Client) -> None:
    logged_in(client, cast, "coordinateur")

    response = client.post(reverse("directory:place_create", args=[cast.home.pk]), {
        "name": "Cuisine partagée", "address": "5 rue du Marché", "postcode": "59100",
        "city": "Roubaix", "description": "Ouverte le jeudi.",
    })

    assertRedirects(response, cast.home.get_absolute_url())
    place = Place.objects.get(kpa=cast.home, name="Cuisine partagée")
    assert place.city == "Roubaix"
    assert AuditEvent.objects.filter(action="directory.place.created",
                                     target_id=str(place.pk)).exists()
    assert "Cuisine partagée" in text_of(client.get(cast.home.get_absolute_url()))


def test_the_coordinateur_edits_the_network(cast: Cast, client: Client) -> None:
    logged_in(client, cast, "coordinateur")

    response = client.post(reverse("directory:network_edit", args=[cast.network.pk]), {
        "name": "Réseau KPA-Cité Hauts-de-France", "website": "https://kpa-cite.example.org",
        "description": "Les KPA du Nord.",
    })

    assertRedirects(response, reverse("directory:home"))
    network = Network.objects.get(pk=cast.network.pk)
    assert network.name == "Réseau KPA-Cité Hauts-de-France"
    assert network.website == "https://kpa-cite.example.org"
    assert AuditEvent.objects.filter(action="directory.network.updated",
                                     target_id=str(network.pk)).count() == 1


def edit_forms(cast: Cast) -> dict[str, tuple[str, Any, dict[str, Any], set[str]]]:
    """Per edit page: its URL, the object, a POST changing some fields, and those fields."""
    return {
        "kpa": (reverse("directory:kpa_edit", args=[cast.home.pk]), cast.home, {
            "name": cast.home.name, "city": "Tourcoing", "district": "",
            "carrying_structure": cast.cae.pk, "local_structure": "",
            "status": Kpa.Status.PAUSED, "autonomy": cast.home.autonomy, "founded_on": "",
        }, {"city", "status"}),
        "network": (reverse("directory:network_edit", args=[cast.network.pk]), cast.network, {
            "name": cast.network.name, "website": "https://kpa-cite.example.org",
            "description": "",
        }, {"website"}),
        "place": (reverse("directory:place_edit", args=[cast.home_place.pk]), cast.home_place, {
            "name": cast.home_place.name, "address": "1 rue Neuve",
            "postcode": cast.home_place.postcode, "city": cast.home_place.city,
            "description": "",
        }, {"address"}),
        "structure": (reverse("directory:structure_edit", args=[cast.cae.pk]), cast.cae, {
            "name": cast.cae.name, "kind": cast.cae.kind, "siren": cast.cae.siren,
            "siret": cast.cae.siret, "vat_regime": Structure.VatRegime.FRANCHISE,
            "chart_template": cast.cae.chart_template, "address": cast.cae.address,
            "postcode": cast.cae.postcode, "city": cast.cae.city,
        }, {"vat_regime"}),
        "person": (reverse("directory:person_edit", args=[cast.cooperant.pk]), cast.cooperant, {
            "first_name": cast.cooperant.first_name, "last_name": cast.cooperant.last_name,
            "email": cast.cooperant.email, "phone": "03 20 00 00 00",
        }, {"phone"}),
    }


@pytest.mark.parametrize("page", ["kpa", "network", "place", "structure", "person"])
def test_an_edit_through_a_page_records_which_fields_changed_in_the_audit_trail(
    cast: Cast, client: Client, page: str
) -> None:
    url, target, data, changed = edit_forms(cast)[page]
    logged_in(client, cast, "coordinateur" if page != "person" else "cooperant")

    response = client.post(url, data)

    assert response.status_code == 302, text_of(response)
    event = AuditEvent.objects.get(action=f"directory.{page}.updated",
                                   target_id=str(target.pk))
    assert set(event.data["fields"]) == changed


def test_a_person_who_changes_their_email_on_their_page_also_changes_their_login_email(
    cast: Cast, client: Client
) -> None:
    logged_in(client, cast, "cooperant")

    response = client.post(reverse("directory:person_edit", args=[cast.cooperant.pk]), {
        "first_name": cast.cooperant.first_name, "last_name": cast.cooperant.last_name,
        "email": "nouvelle.adresse@exemple.org", "phone": "",
    })

    assertRedirects(response, cast.cooperant.get_absolute_url())
    cast.cooperant.refresh_from_db()
    assert cast.cooperant.email == "nouvelle.adresse@exemple.org"
    user = User.objects.get(pk=cast.user("cooperant").pk)
    assert user.email == "nouvelle.adresse@exemple.org"  # password resets go to the new one


@pytest.mark.parametrize("persona", ["referent", "gestionnaire", "cooperant"])
def test_only_the_coordinateur_may_edit_the_network(
    cast: Cast, client: Client, persona: str
) -> None:
    logged_in(client, cast, persona)
    before = write_counts()

    response = client.post(reverse("directory:network_edit", args=[cast.network.pk]),
                           {"name": "Réseau détourné"})

    assert response.status_code == 404
    assert write_counts() == before
    assert Network.objects.get(pk=cast.network.pk).name != "Réseau détourné"


# --- The person page -----------------------------------------------------------------------

def test_the_person_page_shows_only_roles_in_scopes_the_viewer_can_see(
    cast: Cast, client: Client
) -> None:
    give_role(cast.cooperant, RoleKind.COOPERANT, cast.elsewhere, starts_on=ROLE_START)
    url = cast.cooperant.get_absolute_url()

    referent_view = text_of(logged_in(client, cast, "referent").get(url))
    coordinateur_view = text_of(logged_in(Client(), cast, "coordinateur").get(url))

    assert f"KPA {SECRET_MARKER}" in referent_view
    assert "KPA Ailleurs" not in referent_view
    assert f"KPA {SECRET_MARKER}" in coordinateur_view
    assert "KPA Ailleurs" in coordinateur_view


def test_the_outsider_cannot_open_the_page_of_a_person_of_another_kpa(
    cast: Cast, client: Client
) -> None:
    give_role(cast.cooperant, RoleKind.COOPERANT, cast.elsewhere, starts_on=ROLE_START)
    logged_in(client, cast, "outsider")

    page = text_of(client.get(cast.cooperant.get_absolute_url()))

    # The outsider looks after KPA Ailleurs, so sees this person, but not their home KPA.
    assert "KPA Ailleurs" in page
    assert f"KPA {SECRET_MARKER}" not in page
    assert client.get(cast.quiet_cooperant.get_absolute_url()).status_code == 404


# --- Ending a role -------------------------------------------------------------------------

@pytest.fixture
def cooperant_role(cast: Cast) -> Role:
    return role_of(cast.cooperant, RoleKind.COOPERANT, cast.home)


def test_ending_a_role_through_the_page_sets_its_end_and_removes_the_reach_it_gave(
    cast: Cast, client: Client, today: dt.date, cooperant_role: Role
) -> None:
    cooperant = logged_in(Client(), cast, "cooperant")
    assert cooperant.get(cast.home.get_absolute_url()).status_code == 200
    logged_in(client, cast, "referent")
    person_page = text_of(client.get(cast.cooperant.get_absolute_url()))
    end_url = reverse("directory:role_end", args=[cooperant_role.pk])
    assert end_url in person_page
    assert client.get(end_url).status_code == 200

    response = client.post(end_url, {"ends_on": today.isoformat()})

    assertRedirects(response, cast.cooperant.get_absolute_url())
    cooperant_role.refresh_from_db()
    assert cooperant_role.ends_on == today
    event = AuditEvent.objects.get(action="directory.role.ended",
                                   target_id=str(cooperant_role.pk))
    assert event.data == {"ends_on": today.isoformat()}
    assert end_url not in text_of(client.get(cast.cooperant.get_absolute_url()))

    # The coopérant's KPA is now out of reach, and their home page says they have no role.
    assert cooperant.get(cast.home.get_absolute_url()).status_code == 404
    home = text_of(cooperant.get("/"))
    assert panel_headings(home) == set()
    assert "Aucun rôle pour l'instant" in home
    # And the référent no longer lists them among the current people of the KPA.
    assert cast.cooperant.full_name not in text_of(client.get(cast.home.get_absolute_url()))


def test_a_role_ended_in_the_future_still_grants_reach_until_that_day(
    cast: Cast, client: Client, today: dt.date, cooperant_role: Role
) -> None:
    logged_in(client, cast, "referent")
    next_week = today + dt.timedelta(days=7)

    response = client.post(reverse("directory:role_end", args=[cooperant_role.pk]),
                           {"ends_on": next_week.isoformat()})

    assertRedirects(response, cast.cooperant.get_absolute_url())
    cooperant_role.refresh_from_db()
    assert cooperant_role.ends_on == next_week
    cooperant = logged_in(Client(), cast, "cooperant")
    assert cooperant.get(cast.home.get_absolute_url()).status_code == 200
    assert panel_headings(text_of(cooperant.get("/"))) == {"Mon KPA"}


def test_a_cooperant_cannot_end_their_own_role(
    cast: Cast, client: Client, today: dt.date, cooperant_role: Role
) -> None:
    logged_in(client, cast, "cooperant")
    before = write_counts()

    response = client.post(reverse("directory:role_end", args=[cooperant_role.pk]),
                           {"ends_on": today.isoformat()})

    assert response.status_code == 404
    cooperant_role.refresh_from_db()
    assert cooperant_role.ends_on is None
    assert write_counts() == before
