"""Reads of the core app, scoped to the user."""

from __future__ import annotations

from django.db.models import QuerySet

from kpa.core.auth import AnyUser
from kpa.core.models import ApiToken, AuditEvent, Notification


def api_tokens_of(user: AnyUser) -> QuerySet[ApiToken]:
    if not user.is_authenticated:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user_id=user.pk)


def audit_events_visible_to(user: AnyUser) -> QuerySet[AuditEvent]:
    """The whole trail is for platform administrators; apps expose their own slices."""
    if not getattr(user, "is_superuser", False):
        return AuditEvent.objects.none()
    return AuditEvent.objects.select_related("actor")


def notifications_of(user: AnyUser) -> QuerySet[Notification]:
    """The user's own notifications, newest first; nobody sees anyone else's."""
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(recipient_id=user.pk).order_by("-created_at", "-id")


def unread_notification_count(user: AnyUser) -> int:
    """One query for a signed-in user, none for an anonymous one."""
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()
