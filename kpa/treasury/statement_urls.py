"""Routes of the statement pages: "Ma trésorerie", one account, the overviews."""

from __future__ import annotations

from django.urls import URLPattern, path

from kpa.treasury import statement_views

urlpatterns: list[URLPattern] = [
    path("", statement_views.mine, name="mine"),
    path("compte/<int:pk>/", statement_views.account, name="account"),
    path("structure/<int:pk>/", statement_views.overview, name="overview"),
    path("kpa/<int:pk>/", statement_views.kpa_overview, name="kpa_overview"),
]
