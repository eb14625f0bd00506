"""Routes of the bank pages, under /tresorerie/banque/ (namespace "treasury")."""

from __future__ import annotations

from django.urls import URLPattern, path

from kpa.treasury import bank_views as views

urlpatterns: list[URLPattern] = [
    path("", views.bank_home, name="bank_home"),
    path("importer/", views.bank_import_page, name="bank_import"),
    path("releves/<int:pk>/", views.bank_statement, name="bank_statement"),
    path("operations/<int:pk>/", views.bank_transaction, name="bank_transaction"),
    path("operations/<int:pk>/rapprocher/", views.bank_match, name="bank_match"),
    path("operations/<int:pk>/defaire/", views.bank_unmatch, name="bank_unmatch"),
    path("operations/<int:pk>/mettre-de-cote/", views.bank_ignore, name="bank_ignore"),
    path("journaux/<int:pk>/rapprochement/", views.bank_reconciliation,
         name="bank_reconciliation"),
    path("formats/", views.bank_layouts, name="bank_layouts"),
    path("formats/nouveau/", views.bank_layout_new, name="bank_layout_new"),
    path("formats/<int:pk>/", views.bank_layout_edit, name="bank_layout_edit"),
    path("formats/<int:pk>/supprimer/", views.bank_layout_delete, name="bank_layout_delete"),
]
