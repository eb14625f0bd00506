"""API bearer tokens: the service, the `create_token` command and the authentication itself."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from conftest import Cast
from kpa.core.models import ApiToken, AuditEvent
from kpa.core.services import create_api_token, revoke_api_token

API = "/api/v1/kpas"


def user_of(cast: Cast, persona: str) -> User:
    """The persona's login, typed as the platform's User model."""
    user: User | None = getattr(cast, persona).user
    assert user is not None
    return user


def bearer(secret: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {secret}"})


def test_creating_a_token_stores_its_digest_and_never_the_secret(cast: Cast) -> None:
    user = user_of(cast, "referent")
    token, secret = create_api_token(actor=user, user=user, label="tableur")

    token.refresh_from_db()
    assert secret.startswith("kpa_")
    assert token.digest == ApiToken.digest_of(secret)
    assert token.prefix == secret[:8]
    stored = [token.digest, token.prefix, token.label, str(token)]
    assert all(secret not in value for value in stored)
    assert token.label == "tableur"
    assert token.revoked_at is None
    assert token.last_used_at is None


def test_creating_a_token_records_an_audit_event_without_the_secret(cast: Cast) -> None:
    user = user_of(cast, "referent")
    token, secret = create_api_token(actor=user, user=user)

    event = AuditEvent.objects.get(action="core.api_token.created")
    assert event.actor == user
    assert event.target_type == "core.apitoken"
    assert event.target_id == str(token.pk)
    assert secret not in str(event.data)
    assert token.digest not in str(event.data)


def test_two_tokens_never_share_a_secret(cast: Cast) -> None:
    user = user_of(cast, "referent")
    _, first = create_api_token(actor=user, user=user)
    _, second = create_api_token(actor=user, user=user)
    assert first != second


def test_a_user_cannot_create_a_token_for_someone_else(cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        create_api_token(actor=user_of(cast, "referent"), user=user_of(cast, "cooperant"))
    assert not ApiToken.objects.exists()


def test_an_administrator_may_create_a_token_for_anyone(cast: Cast) -> None:
    token, _ = create_api_token(actor=user_of(cast, "admin"), user=user_of(cast, "cooperant"))
    assert token.user_id == user_of(cast, "cooperant").pk


def test_a_label_longer_than_the_field_is_refused_in_french(cast: Cast) -> None:
    user = user_of(cast, "referent")
    with pytest.raises(ValidationError) as error:
        create_api_token(actor=user, user=user, label="x" * 101)
    assert "label" in error.value.message_dict
    assert not ApiToken.objects.exists()


def test_the_command_prints_a_working_token_once(cast: Cast) -> None:
    out, err = StringIO(), StringIO()
    call_command("create_token", "referent", "--label", "script", stdout=out, stderr=err)

    secret = out.getvalue().strip()
    token = ApiToken.objects.get()
    assert token.digest == ApiToken.digest_of(secret)
    assert token.label == "script"
    assert token.user == user_of(cast, "referent")
    assert secret not in err.getvalue()
    assert "plus jamais affiché" in err.getvalue()
    assert AuditEvent.objects.filter(action="core.api_token.created", actor=None).count() == 1
    assert bearer(secret).get(API).status_code == 200


def test_the_command_refuses_an_unknown_username_in_french(cast: Cast) -> None:
    with pytest.raises(CommandError, match="Aucun compte « personne-inconnue »"):
        call_command("create_token", "personne-inconnue", stdout=StringIO(), stderr=StringIO())
    assert not ApiToken.objects.exists()


def test_the_command_refuses_an_inactive_account(cast: Cast) -> None:
    user = user_of(cast, "cooperant")
    user.is_active = False
    user.save()
    with pytest.raises(CommandError, match="désactivé"):
        call_command("create_token", "cooperant", stdout=StringIO(), stderr=StringIO())


def test_a_valid_token_opens_the_api_and_marks_its_last_use(cast: Cast) -> None:
    user = user_of(cast, "referent")
    token, secret = create_api_token(actor=user, user=user)

    response = bearer(secret).get(API)

    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_last_use_is_written_at_most_once_a_minute(cast: Cast) -> None:
    user = user_of(cast, "referent")
    token, secret = create_api_token(actor=user, user=user)
    client = bearer(secret)
    client.get(API)
    token.refresh_from_db()
    first_use = token.last_used_at

    client.get(API)
    token.refresh_from_db()
    assert token.last_used_at == first_use

    ApiToken.objects.filter(pk=token.pk).update(
        last_used_at=timezone.now() - dt.timedelta(minutes=5)
    )
    client.get(API)
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert first_use is not None
    assert token.last_used_at >= first_use


def test_a_request_without_a_token_gets_401_json(cast: Cast) -> None:
    response = Client().get(API)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Jeton d'API manquant, invalide ou révoqué."}
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer garbage",
        "Bearer ",
        "Bearer kpa_" + "x" * 43,
        "Bearer " + "x" * 5000,
        "Basic cmVmZXJlbnQ6a3BhLWRlbW8tMjAyNg==",
        "Token kpa_abc",
        "garbage",
    ],
)
def test_a_garbage_or_foreign_authorization_header_gets_401(cast: Cast, header: str) -> None:
    response = Client(headers={"Authorization": header}).get(API)
    assert response.status_code == 401
    assert "detail" in response.json()


def test_the_stored_digest_itself_is_not_a_token(cast: Cast) -> None:
    user = user_of(cast, "referent")
    token, _ = create_api_token(actor=user, user=user)
    assert bearer(token.digest).get(API).status_code == 401


def test_a_revoked_token_is_refused(cast: Cast) -> None:
    user = user_of(cast, "referent")
    token, secret = create_api_token(actor=user, user=user)
    assert bearer(secret).get(API).status_code == 200

    revoke_api_token(actor=user, token=token, at=timezone.now())

    assert bearer(secret).get(API).status_code == 401


def test_revoking_is_audited_once_and_keeps_the_first_date(cast: Cast) -> None:
    user = user_of(cast, "referent")
    token, _ = create_api_token(actor=user, user=user)
    first = timezone.now()

    revoke_api_token(actor=user, token=token, at=first)
    revoke_api_token(actor=user, token=token, at=first + dt.timedelta(days=1))

    token.refresh_from_db()
    assert token.revoked_at == first
    assert AuditEvent.objects.filter(action="core.api_token.revoked").count() == 1


def test_a_user_cannot_revoke_someone_elses_token(cast: Cast) -> None:
    owner = user_of(cast, "cooperant")
    token, _ = create_api_token(actor=owner, user=owner)
    with pytest.raises(PermissionDenied):
        revoke_api_token(actor=user_of(cast, "referent"), token=token, at=timezone.now())
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_token_of_a_deactivated_account_is_refused(cast: Cast) -> None:
    user = user_of(cast, "referent")
    _, secret = create_api_token(actor=user, user=user)
    user.is_active = False
    user.save()
    assert bearer(secret).get(API).status_code == 401


def test_a_browser_session_alone_does_not_open_the_api(cast: Cast) -> None:
    client = Client()
    client.force_login(user_of(cast, "referent"))
    assert client.get(API).status_code == 401
