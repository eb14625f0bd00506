"""Reads of the core app, scoped to the user."""

from __future__ import annotations

from django.db.models import QuerySet

from kpa.core.auth import AnyUser
from kpa.core.models import ApiToken, AuditEvent


def api_tokens_of(user: AnyUser) -> QuerySet[ApiToken]:
    if not user.is_authenticated:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user_id=user.pk)


def audit_events_visible_to(user: AnyUser) -> QuerySet[AuditEvent]:
    """The whole trail is for platform administrators; apps expose their own slices."""
    if not getattr(user, "is_superuser", False):
        return AuditEvent.objects.none()
    return AuditEvent.objects.select_related("actor")
