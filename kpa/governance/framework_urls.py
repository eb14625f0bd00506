"""Routes of the governance area 'framework' under `cadre/` (namespace "governance"): the
network's framework and its versions, each KPA's self-assessment, its delegate."""

from __future__ import annotations

from django.urls import URLPattern, path

from kpa.governance import framework_views as views

urlpatterns: list[URLPattern] = [
    path("", views.framework_index, name="framework_index"),
    path("reseau/<int:network_pk>/", views.framework_home, name="framework_home"),
    path("reseau/<int:network_pk>/versions/", views.framework_versions,
         name="framework_versions"),
    path("reseau/<int:network_pk>/projet/", views.framework_draft_new,
         name="framework_draft_new"),
    path("reseau/<int:network_pk>/auto-evaluations/", views.assessment_overview,
         name="assessment_overview"),
    path("versions/<int:pk>/", views.framework_version, name="framework_version"),
    path("versions/<int:pk>/comparer/<int:other_pk>/", views.framework_compare,
         name="framework_compare"),
    path("versions/<int:pk>/modifier/", views.framework_draft_edit,
         name="framework_draft_edit"),
    path("versions/<int:pk>/soumettre/", views.framework_submit, name="framework_submit"),
    path("piliers/<int:pk>/renommer/", views.framework_pillar_rename,
         name="framework_pillar_rename"),
    path("piliers/<int:pk>/ajouter/", views.framework_criterion_add,
         name="framework_criterion_add"),
    path("criteres/<int:pk>/modifier/", views.framework_criterion_edit,
         name="framework_criterion_edit"),
    path("criteres/<int:pk>/retirer/", views.framework_criterion_remove,
         name="framework_criterion_remove"),
    path("kpa/<int:kpa_pk>/auto-evaluation/", views.assessment_kpa, name="assessment_kpa"),
    path("auto-evaluations/<int:pk>/", views.assessment_detail, name="assessment_detail"),
    path("kpa/<int:kpa_pk>/delegue/", views.delegate_kpa, name="delegate_kpa"),
]
