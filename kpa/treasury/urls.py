"""The treasury pages, each area from its own route list, in one "treasury" namespace:
statements and overview, contribution, pay, envelopes (budget contributif), bank."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from kpa.treasury import (
    bank_urls,
    contribution_urls,
    envelope_urls,
    pay_urls,
    statement_urls,
)

app_name = "treasury"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include(statement_urls)),
    path("contribution/", include(contribution_urls)),
    path("paie/", include(pay_urls)),
    path("budgets/", include(envelope_urls)),
    path("banque/", include(bank_urls)),
]
