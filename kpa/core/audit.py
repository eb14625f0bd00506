"""The audit trail: every service write calls `record` inside its transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from kpa.core.auth import AnyUser
from kpa.core.models import AuditEvent


def record(
    *,
    actor: AnyUser | None,
    action: str,
    target: models.Model,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record that `actor` did `action` (a dotted name such as ``directory.role.ended``)."""
    if action.count(".") < 2:
        raise ValueError(f"Audit action must be dotted app.thing.verb, got {action!r}")
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_repr=str(target)[:255],
        data=data or {},
    )


def events_for(target: models.Model) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(
        target_type=target._meta.label_lower, target_id=str(target.pk)
    ).select_related("actor")
