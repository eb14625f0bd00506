from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kpa.core.models import ApiToken, AuditEvent, Notification


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Shows data, writes none: every write goes through a service, and so the audit trail."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "target_repr"]
    list_filter = ["action"]
    search_fields = ["action", "target_repr"]
    list_select_related = ["actor"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ["prefix", "user", "label", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "digest", "created_at", "last_used_at"]
    list_select_related = ["user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tokens are made by `kpa create_token`, which shows the secret once


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "topic", "subject", "read_at", "emailed"]
    list_filter = ["topic", "emailed"]
    search_fields = ["subject", "topic", "recipient__username"]
    list_select_related = ["recipient"]
