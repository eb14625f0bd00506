"""What of governance a user may see: every read starts from one of these querysets."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from kpa.core.auth import AnyUser
from kpa.directory.models import Kpa, Network
from kpa.directory.permissions import reach_of
from kpa.governance.models import (
    CharterVersion,
    Decision,
    FrameworkVersion,
    Meeting,
    Proposal,
    SelfAssessment,
)
from kpa.governance.permissions import network_visible_q


def _scope_q(user: AnyUser, today: dt.date) -> Q:
    """KPA-scoped rows of the user's KPAs, network-scoped rows of the user's networks."""
    reach = reach_of(user, today)
    return Q(kpa_id__in=sorted(reach.member_kpas)) | (
        Q(network__isnull=False) & network_visible_q(user, today=today))


def _scoped(queryset: QuerySet, user: AnyUser, today: dt.date) -> QuerySet:  # type: ignore[type-arg]
    if reach_of(user, today).is_admin:
        return queryset
    if not user.is_authenticated:
        return queryset.none()
    return queryset.filter(_scope_q(user, today))


def proposals_visible_to(user: AnyUser, *, today: dt.date) -> QuerySet[Proposal]:
    return _scoped(Proposal.objects.all(), user, today)


def decisions_visible_to(user: AnyUser, *, today: dt.date) -> QuerySet[Decision]:
    return _scoped(Decision.objects.all(), user, today)


def meetings_visible_to(user: AnyUser, *, today: dt.date) -> QuerySet[Meeting]:
    return _scoped(Meeting.objects.all(), user, today)


def charter_versions_visible_to(user: AnyUser, *, today: dt.date) -> QuerySet[CharterVersion]:
    reach = reach_of(user, today)
    versions = CharterVersion.objects.all()
    return versions if reach.is_admin else versions.filter(kpa_id__in=sorted(reach.member_kpas))


def governed_kpas(user: AnyUser, *, today: dt.date) -> QuerySet[Kpa]:
    """The KPAs whose governance the user takes part in."""
    reach = reach_of(user, today)
    kpas = Kpa.objects.all()
    return kpas if reach.is_admin else kpas.filter(pk__in=sorted(reach.member_kpas))


def networks_of(user: AnyUser, *, today: dt.date) -> QuerySet[Network]:
    """The networks whose proposals, register and framework the user sees."""
    if reach_of(user, today).is_admin:
        return Network.objects.all()
    if not user.is_authenticated:
        return Network.objects.none()
    return Network.objects.filter(pk__in=_network_ids(user, today))


def _network_ids(user: AnyUser, today: dt.date) -> list[int]:
    reach = reach_of(user, today)
    ids = set(reach.networks)
    ids.update(Kpa.objects.filter(pk__in=reach.member_kpas).values_list("network_id", flat=True))
    return sorted(ids)


def framework_versions_visible_to(user: AnyUser, *,
                                  today: dt.date) -> QuerySet[FrameworkVersion]:
    if reach_of(user, today).is_admin:
        return FrameworkVersion.objects.all()
    return FrameworkVersion.objects.filter(network_id__in=_network_ids(user, today))


def assessments_visible_to(user: AnyUser, *, today: dt.date) -> QuerySet[SelfAssessment]:
    reach = reach_of(user, today)
    if reach.is_admin:
        return SelfAssessment.objects.all()
    return SelfAssessment.objects.filter(
        Q(kpa_id__in=sorted(reach.member_kpas))
        | Q(version__network_id__in=sorted(reach.networks)))
