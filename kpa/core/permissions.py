"""Gates of the core app."""

from __future__ import annotations

from django.contrib.auth.models import User

from kpa.core.auth import AnyUser
from kpa.core.models import Notification


def can_manage_api_tokens_of(actor: User | None, owner_id: int) -> bool:
    """Own tokens, or anyone's for a superuser; `None` is the operator at the console."""
    if actor is None:
        return True
    return actor.is_active and (actor.pk == owner_id or actor.is_superuser)


def can_read_notifications(user: AnyUser) -> bool:
    """Everyone signed in has an inbox of their own."""
    return user.is_authenticated and user.is_active


def can_mark_notification_read(user: AnyUser, notification: Notification) -> bool:
    """Only its recipient, not even a superuser: an inbox is its owner's alone."""
    return can_read_notifications(user) and notification.recipient_id == user.pk
