"""The contribution pages, under "contribution/" in the "treasury" namespace."""

from __future__ import annotations

from django.urls import URLPattern, path

from kpa.treasury import contribution_views as views

urlpatterns: list[URLPattern] = [
    path("", views.index, name="contribution_index"),
    path("structure/<int:pk>/", views.structure_page, name="contribution_structure"),
    path("structure/<int:pk>/bareme/nouveau/", views.scheme_new,
         name="contribution_scheme_new"),
    path("bareme/<int:pk>/modifier/", views.scheme_edit, name="contribution_scheme_edit"),
    path("structure/<int:pk>/derogation/nouvelle/", views.override_new,
         name="contribution_override_new"),
    path("derogation/<int:pk>/arreter/", views.override_end,
         name="contribution_override_end"),
    path("structure/<int:pk>/mois/", views.run_page, name="contribution_run"),
    path("structure/<int:pk>/mois/<int:year>/<int:month>/", views.month_page,
         name="contribution_month"),
    path("calcul/<int:pk>/", views.charge_page, name="contribution_charge"),
    path("compte/<int:pk>/", views.account_page, name="contribution_account"),
]
