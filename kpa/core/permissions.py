"""Gates of the core app."""

from __future__ import annotations

from django.contrib.auth.models import User


def can_manage_api_tokens_of(actor: User | None, owner_id: int) -> bool:
    """Own tokens, or anyone's for a superuser; `None` is the operator at the console."""
    if actor is None:
        return True
    return actor.is_active and (actor.pk == owner_id or actor.is_superuser)
