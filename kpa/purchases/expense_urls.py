"""Routes of the expense pages, under /depenses/ in the "purchases" namespace."""

from __future__ import annotations

from django.urls import URLPattern, path

from kpa.purchases import expense_views as views

urlpatterns: list[URLPattern] = [
    path("", views.expense_list, name="expense_list"),
    path("a-valider/", views.expense_queue, name="expense_queue"),
    path("dates-limites/", views.expense_deadline_structures, name="expense_deadline_structures"),
    path("dates-limites/<int:pk>/", views.expense_deadlines, name="expense_deadlines"),
    path("notes/<int:pk>/", views.expense_claim, name="expense_claim"),
    path("notes/<int:pk>/envoyer/", views.expense_submit, name="expense_submit"),
    path("notes/<int:pk>/supprimer/", views.expense_delete, name="expense_delete"),
    path("notes/<int:pk>/valider/", views.expense_validate, name="expense_validate"),
    path("notes/<int:pk>/refuser/", views.expense_reject, name="expense_reject"),
    path("notes/<int:pk>/rembourser/", views.expense_reimburse, name="expense_reimburse"),
    path("notes/<int:pk>/lignes/", views.expense_line_add, name="expense_line_add"),
    path("lignes/<int:pk>/", views.expense_line_edit, name="expense_line_edit"),
    path("lignes/<int:pk>/supprimer/", views.expense_line_delete, name="expense_line_delete"),
    path("lignes/<int:pk>/justificatif/", views.expense_receipt, name="expense_receipt"),
]
