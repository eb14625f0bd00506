"""Tenant scoping helpers: what a user may not see does not exist for them (404)."""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.http import Http404

M = TypeVar("M", bound=models.Model)


def get_in_scope(queryset: models.QuerySet[M], **lookup: Any) -> M:
    """Fetch one object from an already-scoped queryset, or answer 404 — never 403."""
    try:
        return queryset.get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise Http404 from None
