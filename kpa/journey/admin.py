"""Read-only admin: journeys change only through the services (and so the audit trail). The
contract's PDF and signed copy are never shown (bytes, and sealed by their SHA-256, which is);
an uploaded piece shows its stored name, not a link: its file is served only by the journey's
own gated view."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kpa.core.admin import ReadOnlyAdmin
from kpa.journey.models import (
    CareerStep,
    Contract,
    ContractReminder,
    DocumentRequirement,
    InsuranceEntry,
    InsuranceList,
    Journey,
    JourneyDocument,
    JourneyPolicy,
    RetentionLog,
)


@admin.register(JourneyPolicy)
class JourneyPolicyAdmin(ReadOnlyAdmin):
    list_display = ["structure", "insurer", "reminder_days", "document_retention_days"]
    list_select_related = ["structure"]


@admin.register(DocumentRequirement)
class DocumentRequirementAdmin(ReadOnlyAdmin):
    list_display = ["label", "kind", "structure", "required", "minors_only", "position"]
    list_select_related = ["structure"]
    list_filter = ["kind", "required"]


@admin.register(Journey)
class JourneyAdmin(ReadOnlyAdmin):
    list_display = ["person", "kpa", "structure", "status", "status_since", "exited_on",
                    "exit_kind"]
    list_select_related = ["person", "kpa", "structure"]
    list_filter = ["status", "exit_kind"]
    search_fields = ["person__last_name", "person__first_name"]
    date_hierarchy = "created_at"


@admin.register(JourneyDocument)
class JourneyDocumentAdmin(ReadOnlyAdmin):
    list_display = ["requirement", "journey", "file_name", "content_type", "size",
                    "uploaded_at", "checked_at", "file_deleted_at"]
    list_select_related = ["requirement", "journey__person", "journey__kpa"]
    exclude = ["file"]
    readonly_fields = ["file_name"]

    @admin.display(description=_("fichier"))
    def file_name(self, document: JourneyDocument) -> str:
        if not document.has_file:
            return str(_("supprimé"))
        return document.file.name or ""


@admin.register(RetentionLog)
class RetentionLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "what", "reason", "journey"]
    list_select_related = ["journey__person", "journey__kpa"]


@admin.register(InsuranceList)
class InsuranceListAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "kpa", "insurer", "status", "sent_on", "answered_on"]
    list_select_related = ["kpa"]
    list_filter = ["status"]


@admin.register(InsuranceEntry)
class InsuranceEntryAdmin(ReadOnlyAdmin):
    list_display = ["journey", "insurance_list", "activity", "answer"]
    list_select_related = ["journey__person", "journey__kpa", "insurance_list__kpa"]
    list_filter = ["answer"]


@admin.register(Contract)
class ContractAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "period_number", "starts_on", "ends_on", "status",
                    "signature_method", "decision"]
    list_select_related = ["journey__person"]
    list_filter = ["status", "period_number", "decision"]
    search_fields = ["journey__person__last_name", "journey__person__first_name"]
    exclude = ["pdf", "signed_copy"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Contract]:
        # The bytes are never shown: do not load them either.
        return super().get_queryset(request).defer("pdf", "signed_copy")


@admin.register(ContractReminder)
class ContractReminderAdmin(ReadOnlyAdmin):
    list_display = ["contract", "days_before", "sent_at"]
    list_select_related = ["contract__journey__person"]


@admin.register(CareerStep)
class CareerStepAdmin(ReadOnlyAdmin):
    list_display = ["journey", "kind", "on", "note"]
    list_select_related = ["journey__person", "journey__kpa"]
    list_filter = ["kind"]
