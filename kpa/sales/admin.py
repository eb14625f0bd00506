"""Read-only admin: selling data changes only through the services (and so the audit trail).
An issued invoice's PDF is never shown here: it is bytes sealed by their SHA-256, served by the
app's own gated view."""

from __future__ import annotations

from django.contrib import admin

from kpa.core.admin import ReadOnlyAdmin
from kpa.sales.models import (
    CatalogItem,
    Customer,
    Invoice,
    Payment,
    Quote,
    SalesSettings,
    Till,
    TillClosing,
)


@admin.register(SalesSettings)
class SalesSettingsAdmin(ReadOnlyAdmin):
    list_display = ["structure", "invoice_pattern", "payment_terms_days"]


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "siren", "structure"]
    search_fields = ["name", "siren"]


@admin.register(CatalogItem)
class CatalogItemAdmin(ReadOnlyAdmin):
    list_display = ["name", "activity", "unit_price", "vat_rate"]


@admin.register(Quote)
class QuoteAdmin(ReadOnlyAdmin):
    list_display = ["number", "activity", "customer", "status", "total_incl_vat"]
    exclude = ["signed_copy", "acceptance_token"]


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["number", "kind", "activity", "customer", "status", "issued_on",
                    "total_incl_vat", "paid_on"]
    list_filter = ["kind", "status"]
    exclude = ["pdf"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["invoice", "received_on", "amount", "method"]


@admin.register(Till)
class TillAdmin(ReadOnlyAdmin):
    list_display = ["name", "activity"]


@admin.register(TillClosing)
class TillClosingAdmin(ReadOnlyAdmin):
    list_display = ["till", "number", "day", "total_incl_vat"]
