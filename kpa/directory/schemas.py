"""Schemas of the directory's REST API. Only public fields: no password hash, no user internals."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema

from kpa.directory.models import Activity, ActivityMembership, Person, Role

# The API attaches a person's visible roles under this attribute before rendering the detail.
VISIBLE_ROLES_ATTR = "api_visible_roles"


class NetworkRef(Schema):
    id: int
    name: str


class StructureRef(Schema):
    id: int
    name: str


class KpaOut(Schema):
    id: int
    name: str
    city: str
    district: str
    status: str = Field(description="project, starting, active, paused, closed")
    autonomy: str = Field(description="supervised, accompanied, autonomous")
    founded_on: dt.date | None
    network: NetworkRef
    carrying_structure: StructureRef
    local_structure: StructureRef | None


class StructureOut(Schema):
    id: int
    name: str
    kind: str = Field(description="cae, association, couveuse")
    siren: str
    siret: str
    vat_regime: str = Field(description="franchise, normal")
    chart_template: str = Field(description="pcg, asso")
    address: str
    postcode: str
    city: str
    network: NetworkRef


class PersonOut(Schema):
    id: int
    first_name: str
    last_name: str
    email: str
    phone: str
    has_account: bool
    proxy_id: int | None = Field(
        description="La personne (référent·e) qui agit pour elle quand elle n'a pas de compte."
    )

    @staticmethod
    def resolve_has_account(obj: Person) -> bool:
        return obj.user_id is not None


class RoleOut(Schema):
    id: int
    kind: str
    scope_type: Literal["kpa", "structure", "network"]
    scope_id: int
    scope_name: str
    starts_on: dt.date
    ends_on: dt.date | None = Field(description="Premier jour sans ce rôle (exclu); null = ouvert.")

    @staticmethod
    def resolve_scope_type(obj: Role) -> str:
        if obj.kpa_id is not None:
            return "kpa"
        if obj.structure_id is not None:
            return "structure"
        return "network"

    @staticmethod
    def resolve_scope_id(obj: Role) -> int:
        return obj.scope.pk

    @staticmethod
    def resolve_scope_name(obj: Role) -> str:
        return str(obj.scope)


class PersonDetailOut(PersonOut):
    roles: list[RoleOut] = Field(description="Les rôles de la personne que vous pouvez voir.")

    @staticmethod
    def resolve_roles(obj: Person) -> list[Role]:
        roles: list[Role] = getattr(obj, VISIBLE_ROLES_ATTR, [])
        return roles


KpaRoleKind = Literal["cooperant", "referent", "accompagnateur", "animateur", "benevole"]


class InviteIn(Schema):
    first_name: str
    last_name: str
    email: str | None = ""
    phone: str | None = ""
    kind: KpaRoleKind = "cooperant"
    starts_on: dt.date


class KpaRef(Schema):
    id: int
    name: str


class ActivityMemberOut(Schema):
    membership_id: int
    person_id: int
    first_name: str
    last_name: str
    joined_on: dt.date
    left_on: dt.date | None = Field(description="Premier jour hors de l'activité (exclu) ; "
                                                "null = ouvert.")

    @staticmethod
    def resolve_membership_id(obj: ActivityMembership) -> int:
        return obj.pk

    @staticmethod
    def resolve_first_name(obj: ActivityMembership) -> str:
        return obj.person.first_name

    @staticmethod
    def resolve_last_name(obj: ActivityMembership) -> str:
        return obj.person.last_name


class ActivityOut(Schema):
    id: int
    name: str
    kind: str = Field(description="individual, collective")
    description: str
    started_on: dt.date
    ended_on: dt.date | None = Field(description="Premier jour sans l'activité (exclu) ; "
                                                 "null = en cours.")
    kpa: KpaRef
    structure: StructureRef = Field(description="La structure porteuse.")
    members: list[ActivityMemberOut] = Field(description="Les membres du jour.")

    @staticmethod
    def resolve_members(obj: Activity) -> list[ActivityMembership]:
        members: list[ActivityMembership] = getattr(obj, "current_memberships", [])
        return members


# A database id: what no table holds (0, negative, past 64 bits) is refused as input (422).
DbId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class ActivityIn(Schema):
    kpa_id: int
    name: str
    kind: Literal["individual", "collective"]
    description: str = ""
    started_on: dt.date
    members: list[DbId] = Field(
        default=[], description="Les personnes (id) qui en font partie dès le début : des "
                                "coopérant·es du KPA ; une seule pour une activité individuelle.")


class ErrorOut(Schema):
    detail: str

