"""Writes of the core app: API tokens. Keyword-only, take the acting user, atomic, audited.

`actor=None` means the platform operator at the console (`kpa create_token`); otherwise a user
may create and revoke their own tokens, and a superuser anyone's.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction

from kpa.core import audit, permissions
from kpa.core.models import ApiToken

PREFIX_LENGTH = 8


def _require_owner_or_admin(actor: User | None, user_id: int) -> None:
    if not permissions.can_manage_api_tokens_of(actor, user_id):
        raise PermissionDenied


@transaction.atomic
def create_api_token(
    *, actor: User | None, user: User, label: str = ""
) -> tuple[ApiToken, str]:
    """Create a bearer token for `user`; return it with its secret, which is never stored."""
    _require_owner_or_admin(actor, user.pk)
    secret = ApiToken.new_secret()
    token = ApiToken(
        user=user,
        label=label.strip(),
        prefix=secret[:PREFIX_LENGTH],
        digest=ApiToken.digest_of(secret),
    )
    token.full_clean()
    token.save()
    audit.record(
        actor=actor,
        action="core.api_token.created",
        target=token,
        data={"user": user.pk, "prefix": token.prefix, "label": token.label},
    )
    return token, secret


@transaction.atomic
def revoke_api_token(
    *, actor: User | None, token: ApiToken, at: dt.datetime
) -> ApiToken:
    """Revoke `token` from `at` on. Revoking twice keeps the first revocation."""
    _require_owner_or_admin(actor, token.user_id)
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is not None:
        token.revoked_at = locked.revoked_at
        return token
    token.revoked_at = at
    token.save(update_fields=["revoked_at"])
    audit.record(
        actor=actor,
        action="core.api_token.revoked",
        target=token,
        data={"at": at.isoformat()},
    )
    return token
