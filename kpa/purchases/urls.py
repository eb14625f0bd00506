"""The purchases pages: expense claims ("notes de frais") and supplier invoices, each from its
own route list, in one "purchases" namespace."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from kpa.purchases import expense_urls, supplier_urls

app_name = "purchases"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include(expense_urls)),
    path("fournisseurs/", include(supplier_urls)),
]
