"""Supplier invoices and supplier records; included under `depenses/fournisseurs/` by
`kpa.purchases.urls` (namespace "purchases")."""

from __future__ import annotations

from django.urls import URLPattern, path

from kpa.purchases import supplier_views as views

urlpatterns: list[URLPattern] = [
    path("", views.supplier_list, name="supplier_list"),
    path("nouveau/", views.supplier_new, name="supplier_new"),
    path("<int:pk>/", views.supplier_detail, name="supplier_detail"),
    path("<int:pk>/modifier/", views.supplier_edit, name="supplier_edit"),
    path("factures/", views.supplier_invoice_list, name="supplier_invoice_list"),
    path("factures/envoyer/", views.supplier_invoice_upload, name="supplier_invoice_upload"),
    path("factures/<int:pk>/", views.supplier_invoice_detail, name="supplier_invoice_detail"),
    path("factures/<int:pk>/verifier/", views.supplier_invoice_edit,
         name="supplier_invoice_edit"),
    path("factures/<int:pk>/comptabiliser/", views.supplier_invoice_post,
         name="supplier_invoice_post"),
    path("factures/<int:pk>/payer/", views.supplier_invoice_pay, name="supplier_invoice_pay"),
    path("factures/<int:pk>/pdf/", views.supplier_invoice_pdf, name="supplier_invoice_pdf"),
]
