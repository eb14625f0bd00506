"""Bearer-token authentication for the REST API (`Authorization: Bearer kpa_…`).

Only the SHA-256 of a token is stored, so a token is found by hashing what the client sent.
A revoked token or an inactive account is refused (401). `last_used_at` is written at most
once a minute per token, with a single UPDATE, so reads stay cheap.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from kpa.core.models import ApiToken

LAST_USED_PRECISION = dt.timedelta(minutes=1)
MAX_TOKEN_LENGTH = 200


class ApiTokenAuth(HttpBearer):
    """Resolve a bearer token to its active user, or refuse (return None → 401)."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        token = token.strip()
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        found = (
            ApiToken.objects.select_related("user")
            .filter(
                digest=ApiToken.digest_of(token),
                revoked_at__isnull=True,
                user__is_active=True,
            )
            .first()
        )
        if found is None:
            return None
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at >= LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        user = found.user
        request.user = user
        return user
