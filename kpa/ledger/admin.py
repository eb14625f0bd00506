"""Read-only admin: the books change only through the services, and validated entries never."""

from django.contrib import admin

from kpa.core.admin import ReadOnlyAdmin
from kpa.ledger.models import (
    Account,
    Entry,
    EntryLine,
    FiscalYear,
    Journal,
    ThirdParty,
    TreasuryAccount,
)


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["number", "label", "structure", "from_template", "is_active"]
    list_select_related = ["structure"]
    search_fields = ["number", "label"]


@admin.register(Journal)
class JournalAdmin(ReadOnlyAdmin):
    list_display = ["code", "label", "kind", "structure"]
    list_select_related = ["structure"]


@admin.register(FiscalYear)
class FiscalYearAdmin(ReadOnlyAdmin):
    list_display = ["structure", "starts_on", "ends_on", "status", "result"]
    list_select_related = ["structure"]


@admin.register(ThirdParty)
class ThirdPartyAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "kind", "structure"]
    list_select_related = ["structure"]
    search_fields = ["code", "name"]


@admin.register(TreasuryAccount)
class TreasuryAccountAdmin(ReadOnlyAdmin):
    list_display = ["code", "label", "kind", "structure", "activity"]
    list_select_related = ["structure", "activity"]


class EntryLineInline(admin.TabularInline[EntryLine, Entry]):
    model = EntryLine
    fields = readonly_fields = ("position", "account", "third_party", "treasury_account",
                                "label", "debit", "credit", "lettering_code")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "date", "label", "journal", "status", "structure"]
    list_select_related = ["journal", "structure"]
    list_filter = ["status"]
    search_fields = ["label", "piece_ref"]
    inlines = [EntryLineInline]
