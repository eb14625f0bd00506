"""What every page needs from core: the unread notification count for the nav badge."""

from __future__ import annotations

from django.http import HttpRequest

from kpa.core import selectors


def notifications(request: HttpRequest) -> dict[str, int]:
    """`unread_notifications`: one COUNT query for a signed-in user, none otherwise."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": selectors.unread_notification_count(user)}
