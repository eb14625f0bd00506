"""Read-only admin: every write goes through the services (and so the audit trail) via the UI."""

from django.contrib import admin

from kpa.core.admin import ReadOnlyAdmin
from kpa.directory.models import (
    Activity,
    ActivityMembership,
    Kpa,
    Network,
    Person,
    Place,
    Role,
    Structure,
)


@admin.register(Network)
class NetworkAdmin(ReadOnlyAdmin):
    list_display = ["name", "website"]


@admin.register(Structure)
class StructureAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "siren", "city"]
    search_fields = ["name", "siren"]


@admin.register(Kpa)
class KpaAdmin(ReadOnlyAdmin):
    list_display = ["name", "city", "carrying_structure", "status"]
    list_select_related = ["carrying_structure"]
    list_filter = ["status"]


@admin.register(Place)
class PlaceAdmin(ReadOnlyAdmin):
    list_display = ["name", "kpa", "city"]
    list_select_related = ["kpa"]


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    list_display = ["last_name", "first_name", "email"]
    search_fields = ["last_name", "first_name", "email"]


@admin.register(Role)
class RoleAdmin(ReadOnlyAdmin):
    list_display = ["person", "kind", "kpa", "structure", "network", "starts_on", "ends_on"]
    list_select_related = ["person", "kpa", "structure", "network"]
    list_filter = ["kind"]


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "kpa", "structure", "started_on", "ended_on"]
    list_select_related = ["kpa", "structure"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(ActivityMembership)
class ActivityMembershipAdmin(ReadOnlyAdmin):
    list_display = ["person", "activity", "joined_on", "left_on"]
    list_select_related = ["person", "activity"]
