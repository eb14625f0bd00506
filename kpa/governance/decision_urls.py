"""Routes of the decision register, under `/gouvernance/decisions/` (namespace
"governance")."""

from __future__ import annotations

from django.urls import URLPattern, path

from kpa.governance import decision_views as views

urlpatterns: list[URLPattern] = [
    path("", views.decision_index, name="decision_index"),
    path("kpa/<int:kpa_pk>/", views.decision_list_kpa, name="decision_list_kpa"),
    path("reseau/<int:network_pk>/", views.decision_list_network,
         name="decision_list_network"),
    path("<int:pk>/", views.decision_detail, name="decision_detail"),
    path("<int:pk>/ratifier/", views.decision_ratify, name="decision_ratify"),
    path("<int:pk>/revision/", views.decision_review, name="decision_review"),
]
