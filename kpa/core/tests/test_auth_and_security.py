"""Logging in, locking out, resetting a password, and the security every page carries.

These go through the real login view and middleware stack (axes, CSP, CSRF, locale): the
test client's `login()` bypasses axes, so logins here are POSTs to the login page.
"""

from __future__ import annotations

import html
import os
import re
import secrets
import subprocess
import sys
from typing import Any

import pytest
from axes.models import AccessAttempt
from axes.utils import reset as reset_axes
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core import mail
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertRedirects

from config.settings import base as base_settings
from conftest import Cast
from kpa.core.models import AuditEvent
from kpa.directory.models import Person, RoleKind
from kpa.directory.tests.factories import KpaFactory, give_role, person_with_login

User = get_user_model()
PASSWORD = "kpa-demo-2026"
LOGIN_URL = "/compte/connexion/"


@pytest.fixture(autouse=True)
def clean_axes(db: None) -> None:
    """Lock-outs are per username and address; start every test with none recorded."""
    reset_axes()


# What production runs (config/settings/base.py; production.py keeps it), plus the cheap test
# hasher so that an account hashed by the fast fixtures still logs in and gets upgraded.
ARGON2_FIRST = [*base_settings.PASSWORD_HASHERS,
                "django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fast_hashing(settings: Any) -> None:
    """Lock-out tests hash a password per attempt; argon2 is tested where it matters."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def real_hashing(settings: Any, fast_hashing: None) -> None:
    settings.PASSWORD_HASHERS = ARGON2_FIRST


def make_member() -> AbstractBaseUser:
    person = person_with_login("cooperant", first_name="Camille", last_name="Martin")
    give_role(person, RoleKind.COOPERANT, KpaFactory(name="KPA Connexion"))
    assert person.user is not None
    return person.user


@pytest.fixture
def member(db: None) -> AbstractBaseUser:
    """One coopérant with a login (password `kpa-demo-2026`)."""
    return make_member()


@pytest.fixture
def argon2_member(db: None, real_hashing: None) -> AbstractBaseUser:
    """The same coopérant, hashed with the suite's real settings: argon2 first."""
    return make_member()


def text_of(response: Any) -> str:
    return html.unescape(response.content.decode())


def log_in(client: Client, username: str, password: str, **extra: str) -> Any:
    return client.post(LOGIN_URL, {"username": username, "password": password, **extra})


def is_logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- Logging in ----------------------------------------------------------------------------

def test_a_wrong_password_shows_a_french_error_and_stays_on_the_login_page(
    client: Client, member: AbstractBaseUser
) -> None:
    response = log_in(client, "cooperant", "pas-le-bon")

    assert response.status_code == 200
    page = text_of(response)
    assert "Identifiant ou mot de passe incorrect" in page
    assert 'role="alert"' in page
    assert 'name="username"' in page
    assert 'value="cooperant"' in page  # the username is kept, the password is not
    assert "pas-le-bon" not in page
    assert not is_logged_in(client)


def test_the_login_page_speaks_of_identifiant_and_mot_de_passe(client: Client, db: None) -> None:
    page = text_of(client.get(LOGIN_URL))

    assert "Identifiant" in page
    assert "Mot de passe" in page
    assert "J'ai oublié mon mot de passe" in page


def test_five_wrong_passwords_lock_the_account_and_the_locked_page_says_so(
    client: Client, member: AbstractBaseUser
) -> None:
    for _ in range(django_settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, "cooperant", "pas-le-bon").status_code == 200

    fifth = log_in(client, "cooperant", "pas-le-bon")
    even_the_right_one = log_in(client, "cooperant", PASSWORD)

    for response in (fifth, even_the_right_one):
        assert response.status_code == 429
        page = text_of(response)
        assert "Trop d'essais" in page
        assert "Attendez 30 minutes" in page
        assert reverse("password_reset") in page
    assert not is_logged_in(client)
    attempt = AccessAttempt.objects.get(username="cooperant")
    assert attempt.failures_since_start >= django_settings.AXES_FAILURE_LIMIT


def test_the_lock_is_per_account_so_someone_else_can_still_log_in_from_the_same_place(
    client: Client, member: AbstractBaseUser
) -> None:
    colleague = person_with_login("collegue", first_name="Paul", last_name="Collègue")
    assert colleague.user is not None
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        log_in(client, "cooperant", "pas-le-bon")

    response = log_in(Client(), "collegue", PASSWORD)

    assertRedirects(response, "/", fetch_redirect_response=False)


def test_a_successful_login_clears_earlier_mistakes(
    client: Client, member: AbstractBaseUser
) -> None:
    for _ in range(django_settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "cooperant", "pas-le-bon")

    assertRedirects(log_in(client, "cooperant", PASSWORD), "/", fetch_redirect_response=False)
    client.logout()
    for _ in range(django_settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, "cooperant", "pas-le-bon").status_code == 200

    assertRedirects(log_in(client, "cooperant", PASSWORD), "/", fetch_redirect_response=False)


def test_a_successful_login_lands_on_the_home_page(
    client: Client, member: AbstractBaseUser
) -> None:
    response = log_in(client, "cooperant", PASSWORD)

    assertRedirects(response, "/")
    assert is_logged_in(client)
    assert "Bonjour Camille" in text_of(client.get("/"))


def test_a_login_with_a_next_page_returns_there_but_never_to_another_site(
    client: Client, member: AbstractBaseUser
) -> None:
    inside = log_in(client, "cooperant", PASSWORD, next="/kpa/")
    client.logout()
    outside = log_in(client, "cooperant", PASSWORD, next="https://pirate.example/")

    assertRedirects(inside, "/kpa/", fetch_redirect_response=False)
    assertRedirects(outside, "/", fetch_redirect_response=False)


def test_someone_already_logged_in_who_opens_the_login_page_goes_home(
    client: Client, member: AbstractBaseUser
) -> None:
    client.force_login(member)

    assertRedirects(client.get(LOGIN_URL), "/", fetch_redirect_response=False)


@pytest.mark.parametrize("url", ["/", "/kpa/", "/structures/", "/personnes/1/"])
def test_an_anonymous_visitor_is_sent_to_the_login_page(
    client: Client, db: None, url: str
) -> None:
    response = client.get(url)

    assertRedirects(response, f"{resolve_url(django_settings.LOGIN_URL)}?next={url}")


def test_the_login_page_visitors_are_sent_to_is_the_platforms_own(
    client: Client, db: None
) -> None:
    """/compte/connexion/ (our LoginView, "Identifiant", no form for someone logged in)."""
    response = client.get("/")

    assertRedirects(response, f"{LOGIN_URL}?next=/")
    assert reverse("login") == LOGIN_URL
    assert reverse("logout") == "/compte/deconnexion/"
    assert "Identifiant" in text_of(client.get(response["Location"]))


def test_logging_out_takes_a_post_and_ends_the_session(
    client: Client, member: AbstractBaseUser
) -> None:
    client.force_login(member)

    assert client.get("/compte/deconnexion/").status_code == 405
    assert is_logged_in(client)
    response = client.post("/compte/deconnexion/")

    assert response.status_code == 302
    assert not is_logged_in(client)
    assert client.get("/").status_code == 302


# --- Passwords -----------------------------------------------------------------------------

def test_production_hashes_new_passwords_with_argon2() -> None:
    assert base_settings.PASSWORD_HASHERS[0] == (
        "django.contrib.auth.hashers.Argon2PasswordHasher")


def test_passwords_are_stored_with_argon2(argon2_member: AbstractBaseUser) -> None:
    argon2_member.refresh_from_db()

    assert argon2_member.password.startswith("argon2")
    assert PASSWORD not in argon2_member.password
    assert argon2_member.check_password(PASSWORD)


def test_an_older_password_hash_is_upgraded_to_argon2_at_the_next_login(
    client: Client, settings: Any, db: None
) -> None:
    old = person_with_login("ancienne", first_name="Anne", last_name="Ancienne")
    assert old.user is not None
    assert old.user.password.startswith("md5$")
    settings.PASSWORD_HASHERS = ARGON2_FIRST

    assertRedirects(log_in(client, "ancienne", PASSWORD), "/", fetch_redirect_response=False)

    old.user.refresh_from_db()
    assert old.user.password.startswith("argon2")


def reset_link_in(body: str) -> str:
    link = re.search(r"http://testserver(/compte/reset/[\w-]+/[\w-]+/)", body)
    assert link is not None, body
    return link.group(1)


def test_a_forgotten_password_is_reset_through_the_link_sent_by_email(
    client: Client, argon2_member: AbstractBaseUser
) -> None:
    member = argon2_member
    response = client.post("/compte/password_reset/", {"email": "COOPERANT@exemple.org"})

    assertRedirects(response, reverse("password_reset_done"))
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["cooperant@exemple.org"]
    assert message.subject == "Votre mot de passe KPA-Cité"
    assert "Votre identifiant : cooperant" in message.body

    confirm = client.get(reset_link_in(message.body))
    assert confirm.status_code == 302  # Django hides the token behind a set-password URL
    form_url = confirm["Location"]
    assert "Choisir un mot de passe" in text_of(client.get(form_url))
    done = client.post(form_url, {"new_password1": "Le-jardin-de-mai-2027",
                                  "new_password2": "Le-jardin-de-mai-2027"})

    assertRedirects(done, reverse("password_reset_complete"))
    member.refresh_from_db()
    assert member.check_password("Le-jardin-de-mai-2027")
    assert member.password.startswith("argon2")
    assertRedirects(log_in(Client(), "cooperant", "Le-jardin-de-mai-2027"), "/",
                    fetch_redirect_response=False)


def test_a_reset_link_works_only_once(client: Client, member: AbstractBaseUser) -> None:
    client.post("/compte/password_reset/", {"email": "cooperant@exemple.org"})
    link = reset_link_in(mail.outbox[0].body)
    form_url = client.get(link)["Location"]
    client.post(form_url, {"new_password1": "Le-jardin-de-mai-2027",
                           "new_password2": "Le-jardin-de-mai-2027"})

    again = Client().get(link, follow=True)

    assert "Ce lien n'est plus valable" in text_of(again)


def test_a_too_weak_new_password_is_refused_in_french(
    client: Client, member: AbstractBaseUser
) -> None:
    client.post("/compte/password_reset/", {"email": "cooperant@exemple.org"})
    form_url = client.get(reset_link_in(mail.outbox[0].body))["Location"]

    response = client.post(form_url, {"new_password1": "12345678", "new_password2": "12345678"})

    assert response.status_code == 200
    assert "Ce mot de passe est entièrement numérique." in text_of(response)
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_asking_a_reset_for_an_unknown_email_looks_the_same_and_sends_nothing(
    client: Client, member: AbstractBaseUser
) -> None:
    response = client.post("/compte/password_reset/", {"email": "personne@nulle-part.example"})

    assertRedirects(response, reverse("password_reset_done"))
    assert mail.outbox == []


def test_an_invited_person_whose_link_was_lost_can_ask_for_a_new_one(
    client: Client, cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    referent = Client()
    referent.force_login(cast.user("referent"))
    with django_capture_on_commit_callbacks(execute=True):
        referent.post(reverse("directory:person_invite", args=[cast.home.pk]), {
            "first_name": "Inès", "last_name": "Invitée", "email": "ines@exemple.org",
            "kind": RoleKind.COOPERANT, "starts_on": "2026-01-05",
        })
    invited = Person.objects.get(email="ines@exemple.org").user
    assert invited is not None
    assert not invited.has_usable_password()
    mail.outbox.clear()

    # The first e-mail is lost (or its link expired): "J'ai oublié mon mot de passe".
    client.post("/compte/password_reset/", {"email": "ines@exemple.org"})

    assert len(mail.outbox) == 1, "an invited account never receives a new link"
    assert mail.outbox[0].to == ["ines@exemple.org"]


# --- Headers, cookies, CSRF ----------------------------------------------------------------

ANONYMOUS_PAGES = [LOGIN_URL, "/compte/password_reset/", "/compte/password_reset/done/"]
MEMBER_PAGES = ["/", "/kpa/", "/structures/", "kpa_detail", "kpa_invite", "/page-inconnue/"]


def member_url(page: str, cast: Cast) -> str:
    if page == "kpa_detail":
        return reverse("directory:kpa_detail", args=[cast.home.pk])
    if page == "kpa_invite":
        return reverse("directory:person_invite", args=[cast.home.pk])
    return page


def assert_strict_headers(response: Any) -> None:
    csp = response.get("Content-Security-Policy")
    assert csp, "no Content-Security-Policy header"
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert directives["default-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in csp
    assert "'unsafe-eval'" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("url", ANONYMOUS_PAGES)
def test_every_anonymous_page_carries_the_strict_security_headers(
    client: Client, db: None, url: str
) -> None:
    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert_strict_headers(response)


@pytest.mark.parametrize("page", MEMBER_PAGES)
def test_every_member_page_carries_the_strict_security_headers(
    client: Client, cast: Cast, page: str
) -> None:
    client.force_login(cast.user("referent"))

    response = client.get(member_url(page, cast))

    assert response.status_code in (200, 404)
    assert_strict_headers(response)


def test_a_refused_form_and_the_lockout_page_carry_the_security_headers_too(
    client: Client, cast: Cast
) -> None:
    client.force_login(cast.user("coordinateur"))
    bad_form = client.post(reverse("directory:structure_create"), {"name": "X"})
    anonymous = Client()
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        locked = log_in(anonymous, "referent", "pas-le-bon")

    assert bad_form.status_code == 400
    assert locked.status_code == 429
    assert_strict_headers(bad_form)
    assert_strict_headers(locked)


@pytest.mark.parametrize("page", ["/", "/kpa/", "kpa_detail", "kpa_invite"])
def test_pages_hold_no_inline_script_or_style_that_the_policy_would_block(
    client: Client, cast: Cast, page: str
) -> None:
    client.force_login(cast.user("referent"))

    body = client.get(member_url(page, cast)).content.decode()

    assert "<style" not in body
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body)
    assert not re.search(r"\sstyle=", body)
    assert not re.search(r"\son[a-z]+=", body)
    assert "javascript:" not in body


def test_the_session_and_csrf_cookies_are_kept_from_scripts(
    client: Client, member: AbstractBaseUser
) -> None:
    login_page = client.get(LOGIN_URL)
    response = log_in(client, "cooperant", PASSWORD)

    csrf_cookie = login_page.cookies[django_settings.CSRF_COOKIE_NAME]
    session_cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert session_cookie["httponly"]
    assert session_cookie["samesite"] == "Lax"
    assert csrf_cookie["httponly"]
    assert csrf_cookie["samesite"] == "Lax"


def test_a_post_without_a_csrf_token_is_refused_with_403_and_writes_nothing(cast: Cast) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.user("referent"))
    people, events = Person.objects.count(), AuditEvent.objects.count()

    response = client.post(reverse("directory:person_invite", args=[cast.home.pk]), {
        "first_name": "Sans", "last_name": "Jeton", "kind": RoleKind.COOPERANT,
        "starts_on": "2026-01-05",
    })

    assert response.status_code == 403
    assert (Person.objects.count(), AuditEvent.objects.count()) == (people, events)


def test_a_login_without_a_csrf_token_is_refused_with_403(member: AbstractBaseUser) -> None:
    client = Client(enforce_csrf_checks=True)

    response = log_in(client, "cooperant", PASSWORD)

    assert response.status_code == 403
    assert not is_logged_in(client)


def test_a_post_with_the_token_from_the_page_is_accepted(cast: Cast) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.user("referent"))
    url = reverse("directory:person_invite", args=[cast.home.pk])
    form = client.get(url).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert token is not None

    response = client.post(url, {
        "csrfmiddlewaretoken": token.group(1), "first_name": "Avec", "last_name": "Jeton",
        "kind": RoleKind.COOPERANT, "starts_on": "2026-01-05",
    })

    assertRedirects(response, cast.home.get_absolute_url(), fetch_redirect_response=False)


# --- Production settings -------------------------------------------------------------------

def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production",
                   "KPA_ALLOWED_HOSTS": "kpa.example.org", **env}
    return subprocess.run(  # noqa: S603 — our own manage.py, with fixed arguments
        [sys.executable, str(django_settings.BASE_DIR / "manage.py"), *args],
        cwd=django_settings.BASE_DIR, env=environment, capture_output=True, text=True,
        timeout=120, check=False,
    )


def test_the_production_settings_pass_check_deploy_without_a_single_warning() -> None:
    secret_key = secrets.token_urlsafe(60)[:60]

    result = run_manage("check", "--deploy", "--fail-level", "WARNING",
                        KPA_SECRET_KEY=secret_key)

    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert "System check identified no issues" in result.stdout


def test_the_production_settings_refuse_to_start_with_a_short_secret_key() -> None:
    result = run_manage("check", KPA_SECRET_KEY="trop-court")

    assert result.returncode != 0
    assert "KPA_SECRET_KEY" in result.stderr


# --- Language ------------------------------------------------------------------------------

def html_lang(response: Any) -> str:
    match = re.search(r'<html lang="([^"]+)"', response.content.decode())
    assert match is not None
    return match.group(1)


def test_pages_are_in_french_by_default_even_for_an_unknown_browser_language(
    client: Client, member: AbstractBaseUser
) -> None:
    client.force_login(member)

    assert html_lang(client.get("/")) == "fr"
    assert html_lang(client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"})) == "fr"


def test_an_english_browser_gets_the_page_marked_as_english(
    client: Client, member: AbstractBaseUser
) -> None:
    client.force_login(member)

    response = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})

    assert response.status_code == 200
    assert html_lang(response) == "en"


def test_choosing_english_in_the_footer_switches_the_language_for_the_next_pages(
    client: Client, member: AbstractBaseUser
) -> None:
    client.force_login(member)

    response = client.post("/langue/setlang/", {"language": "en", "next": "/kpa/"})

    assertRedirects(response, "/kpa/", fetch_redirect_response=False)
    page = client.get("/kpa/")
    assert page.status_code == 200
    assert html_lang(page) == "en"
    assert html_lang(client.get("/")) == "en"
    client.post("/langue/setlang/", {"language": "fr", "next": "/"})
    assert html_lang(client.get("/")) == "fr"


def test_the_language_can_be_chosen_before_logging_in(client: Client, db: None) -> None:
    client.post("/langue/setlang/", {"language": "en", "next": LOGIN_URL})

    response = client.get(LOGIN_URL)

    assert response.status_code == 200
    assert html_lang(response) == "en"
