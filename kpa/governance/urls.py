"""The governance pages, each area from its own route list, in one "governance" namespace:
proposals and votes, meetings, the decision register, the charter, the framework and the
self-assessment."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from kpa.governance import (
    charter_urls,
    decision_urls,
    framework_urls,
    meeting_urls,
    proposal_urls,
)

app_name = "governance"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include(proposal_urls)),
    path("reunions/", include(meeting_urls)),
    path("decisions/", include(decision_urls)),
    path("charte/", include(charter_urls)),
    path("cadre/", include(framework_urls)),
]
