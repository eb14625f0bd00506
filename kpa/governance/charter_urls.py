"""Routes of the charter and of a KPA's autonomy, under `/gouvernance/charte/` (namespace
"governance")."""

from __future__ import annotations

from django.urls import URLPattern, path

from kpa.governance import charter_views as views

urlpatterns: list[URLPattern] = [
    path("", views.charter_index, name="charter_index"),
    path("kpa/<int:kpa_pk>/", views.charter_kpa, name="charter_kpa"),
    path("kpa/<int:kpa_pk>/versions/", views.charter_versions, name="charter_versions"),
    path("kpa/<int:kpa_pk>/comparer/", views.charter_compare, name="charter_compare"),
    path("kpa/<int:kpa_pk>/nouvelle-version/", views.charter_draft_new,
         name="charter_draft_new"),
    path("kpa/<int:kpa_pk>/a-lire/", views.charter_pending, name="charter_pending"),
    path("kpa/<int:kpa_pk>/autonomie/", views.autonomy_page, name="autonomy"),
    path("kpa/<int:kpa_pk>/autonomie/proposer/", views.autonomy_propose,
         name="autonomy_propose"),
    path("versions/<int:pk>/", views.charter_version, name="charter_version"),
    path("versions/<int:pk>/modifier/", views.charter_draft_edit, name="charter_draft_edit"),
    path("versions/<int:pk>/proposer/", views.charter_propose, name="charter_propose"),
    path("versions/<int:pk>/j-ai-lu/", views.charter_acknowledge, name="charter_acknowledge"),
    path("structures/<int:structure_pk>/regle/", views.charter_policy, name="charter_policy"),
]
