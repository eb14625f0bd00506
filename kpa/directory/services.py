"""Every write of the directory. Keyword-only, takes the acting user, atomic, audited.

Services check their own gate and the rules (valid identifiers, role periods that neither invert
nor overlap, activities whose members are coopérants of their KPA), so forms, the API, commands
and the admin all get the same answers. They raise `PermissionDenied` for a gate and
`ValidationError` (French, field-keyed) for a rule.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model, Q
from django.utils.translation import gettext as _

from kpa.core import audit
from kpa.core.auth import AnyUser
from kpa.directory import permissions
from kpa.directory.models import (
    KPA_ROLE_KINDS,
    NETWORK_ROLE_KINDS,
    STRUCTURE_ROLE_KINDS,
    Activity,
    ActivityMembership,
    Kpa,
    Network,
    Person,
    Place,
    Role,
    RoleKind,
    Structure,
)
from kpa.directory.validators import compact_identifier

User = get_user_model()


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _apply(instance: Model, fields: dict[str, Any],
           check: Callable[[Any], None] | None = None) -> list[str]:
    """Set fields, validate the whole instance with the model's own validators; return changes.

    `check`, the service's own rule, runs after the field validators and before the model's
    constraints, so a rule that a constraint also enforces is reported with its French,
    field-keyed message rather than the constraint's generic one.
    """
    # Changes are measured against the stored row: a caller may have set new values on
    # `instance` already (views avoid it, since gates read the instance, but the audit and the
    # e-mail sync must not depend on that). A new instance has no related object yet: reading
    # its unset foreign key would raise, hence the default.
    stored = type(instance)._default_manager.filter(pk=instance.pk).first() if instance.pk else None
    before = instance if stored is None else stored
    changed = [name for name, value in fields.items() if getattr(before, name, None) != value]
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.full_clean(validate_constraints=False)
    if check is not None:
        check(instance)
    instance.validate_constraints()
    return changed


@transaction.atomic
def update_network(*, actor: AnyUser, network: Network, today: dt.date,
                   **fields: Any) -> Network:
    _require(permissions.can_manage_network(actor, network, today=today))
    changed = _apply(network, fields)
    network.save()
    audit.record(actor=actor, action="directory.network.updated", target=network,
                 data={"fields": changed})
    return network


def _structure_fields(fields: dict[str, Any]) -> dict[str, Any]:
    for key in ("siren", "siret"):
        if key in fields:
            fields[key] = compact_identifier(fields[key])
    return fields


def _check_siret_matches_siren(structure: Structure) -> None:
    if structure.siret and structure.siren and not structure.siret.startswith(structure.siren):
        raise ValidationError({"siret": _(
            "Le SIRET doit commencer par le SIREN de la structure (%(siren)s)."
        ) % {"siren": structure.siren}})


@transaction.atomic
def create_structure(*, actor: AnyUser, network: Network, today: dt.date,
                     **fields: Any) -> Structure:
    _require(permissions.can_create_structure(actor, today=today)
             and permissions.can_manage_network(actor, network, today=today))
    structure = Structure(network=network)
    _apply(structure, _structure_fields(fields), _check_siret_matches_siren)
    structure.save()
    audit.record(actor=actor, action="directory.structure.created", target=structure)
    return structure


@transaction.atomic
def update_structure(*, actor: AnyUser, structure: Structure, today: dt.date,
                     **fields: Any) -> Structure:
    _require(permissions.can_edit_structure(actor, structure, today=today))
    changed = _apply(structure, _structure_fields(fields), _check_siret_matches_siren)
    structure.save()
    audit.record(actor=actor, action="directory.structure.updated", target=structure,
                 data={"fields": changed})
    return structure


@transaction.atomic
def create_kpa(*, actor: AnyUser, network: Network, today: dt.date,
               **fields: Any) -> Kpa:
    _require(permissions.can_create_kpa(actor, today=today)
             and permissions.can_manage_network(actor, network, today=today))
    kpa = Kpa(network=network)
    _apply(kpa, fields)
    kpa.save()
    audit.record(actor=actor, action="directory.kpa.created", target=kpa)
    return kpa


@transaction.atomic
def update_kpa(*, actor: AnyUser, kpa: Kpa, today: dt.date, **fields: Any) -> Kpa:
    _require(permissions.can_edit_kpa(actor, kpa, today=today))
    new_carrier = fields.get("carrying_structure")
    if new_carrier is not None and new_carrier.pk != kpa.carrying_structure_id:
        _require(permissions.can_edit_structure(actor, new_carrier, today=today))
    changed = _apply(kpa, fields)
    kpa.save()
    audit.record(actor=actor, action="directory.kpa.updated", target=kpa,
                 data={"fields": changed})
    return kpa


@transaction.atomic
def create_place(*, actor: AnyUser, kpa: Kpa, today: dt.date, **fields: Any) -> Place:
    _require(permissions.can_manage_places(actor, kpa, today=today))
    place = Place(kpa=kpa)
    _apply(place, fields)
    place.save()
    audit.record(actor=actor, action="directory.place.created", target=place)
    return place


@transaction.atomic
def update_place(*, actor: AnyUser, place: Place, today: dt.date,
                 **fields: Any) -> Place:
    _require(permissions.can_manage_places(actor, place.kpa, today=today))
    changed = _apply(place, fields)
    place.save()
    audit.record(actor=actor, action="directory.place.updated", target=place,
                 data={"fields": changed})
    return place


def _scope_fields(scope: Kpa | Structure | Network) -> dict[str, Any]:
    if isinstance(scope, Kpa):
        return {"kpa": scope}
    if isinstance(scope, Structure):
        return {"structure": scope}
    return {"network": scope}


_KINDS_BY_SCOPE: dict[type, frozenset[str]] = {
    Kpa: KPA_ROLE_KINDS, Structure: STRUCTURE_ROLE_KINDS, Network: NETWORK_ROLE_KINDS,
}


def _check_role_period(role: Role) -> None:
    """Refuse an inverted period, and any overlap with the same role in the same scope."""
    if role.ends_on is not None and role.ends_on <= role.starts_on:
        raise ValidationError({"ends_on": _(
            "La fin doit venir après le début (%(start)s). Laissez la fin vide si le rôle "
            "continue."
        ) % {"start": role.starts_on.strftime("%d/%m/%Y")}})
    same = Role.objects.filter(
        person_id=role.person_id, kind=role.kind, kpa=role.kpa, structure=role.structure,
        network=role.network,
    ).exclude(pk=role.pk)
    for other in same:
        if other.period.overlaps(role.period):
            existing = (
                _("du %(start)s au %(end)s") % {"start": other.starts_on.strftime("%d/%m/%Y"),
                                               "end": other.ends_on.strftime("%d/%m/%Y")}
                if other.ends_on else
                _("depuis le %(start)s, sans date de fin") % {
                    "start": other.starts_on.strftime("%d/%m/%Y")}
            )
            raise ValidationError({"starts_on": _(
                "%(person)s a déjà ce rôle ici (%(kind)s, %(existing)s) : les périodes ne "
                "peuvent pas se chevaucher. Terminez d'abord l'autre période ou changez les dates."
            ) % {"person": role.person, "kind": role.get_kind_display(),
                 "existing": existing}})


@transaction.atomic
def grant_role(*, actor: AnyUser, person: Person, kind: str,
               scope: Kpa | Structure | Network, starts_on: dt.date,
               ends_on: dt.date | None = None, today: dt.date) -> Role:
    _require(permissions.can_grant_role(actor, kind, scope, today=today))
    # Lock the person so two concurrent grants cannot both pass the overlap check.
    Person.objects.select_for_update().get(pk=person.pk)
    if kind not in _KINDS_BY_SCOPE[type(scope)]:
        raise ValidationError({"kind": _(
            "Ce rôle ne peut pas être donné à ce niveau : coopérant·e, référent·e, "
            "accompagnateur·rice, animateur·rice et bénévole vont dans un KPA ; gestionnaire "
            "et comptable dans une structure ; coordinateur·rice dans le réseau."
        )})
    role = Role(person=person, kind=kind, starts_on=starts_on, ends_on=ends_on,
                **_scope_fields(scope))
    _check_role_period(role)
    role.full_clean()
    role.save()
    permissions.forget_reach(actor)
    audit.record(actor=actor, action="directory.role.granted", target=role, data={
        "person": person.pk, "kind": kind, "scope": str(scope),
        "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat() if ends_on else None,
    })
    return role


@transaction.atomic
def end_role(*, actor: AnyUser, role: Role, ends_on: dt.date, today: dt.date) -> Role:
    _require(permissions.can_grant_role(actor, role.kind, role.scope, today=today))
    Person.objects.select_for_update().get(pk=role.person_id)
    role.ends_on = ends_on
    _check_role_period(role)
    role.save(update_fields=["ends_on"])
    permissions.forget_reach(actor)
    audit.record(actor=actor, action="directory.role.ended", target=role,
                 data={"ends_on": ends_on.isoformat()})
    return role


def username_for(email: str) -> str:
    """A free login derived from the e-mail's local part (other apps creating accounts too)."""
    base = re.sub(r"[^\w.@+-]", "", email.split("@")[0])[:120] or "personne"
    candidate, suffix = base, 1
    while User.objects.filter(username=candidate).exists():
        suffix += 1
        candidate = f"{base}{suffix}"
    return candidate


def create_person(*, first_name: str, last_name: str, email: str, phone: str,
                  proxy: Person | None, email_taken: str) -> Person:
    """A new person; with an e-mail, an account without a password (the caller sends the
    invitation after the commit), else `proxy` acts for them. No gate and no audit: for the
    services that add people (invitation, inscription), which check and audit themselves.
    `email_taken` is the caller's French answer when the e-mail already has an account."""
    email = email.strip().lower()
    if email and User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": email_taken})
    person = Person(first_name=first_name.strip(), last_name=last_name.strip(), email=email,
                    phone=phone.strip(), proxy=None if email else proxy)
    person.full_clean()
    if email:
        user = User(username=username_for(email), email=email, first_name=person.first_name,
                    last_name=person.last_name)
        user.set_unusable_password()
        user.save()
        person.user = user
    person.save()
    return person


@transaction.atomic
def invite_person(*, actor: AnyUser, kpa: Kpa, first_name: str, last_name: str,
                  email: str = "", phone: str = "", kind: str = RoleKind.COOPERANT,
                  starts_on: dt.date, today: dt.date) -> Person:
    """Add a person to a KPA with a first role.

    With an e-mail, the person gets an account without a password and an e-mail to choose one
    (sent by the caller through `send_invitation`, after the transaction commits). Without an
    e-mail, the inviting person is recorded as acting for them.
    """
    _require(permissions.can_invite_person(actor, kpa, today=today)
             and permissions.can_grant_role(actor, kind, kpa, today=today))
    acting_person = (Person.objects.filter(user_id=actor.pk).first()
                     if actor.is_authenticated else None)
    person = create_person(
        first_name=first_name, last_name=last_name, email=email, phone=phone,
        proxy=acting_person,
        email_taken=_("Une personne a déjà un compte avec cet e-mail. Donnez-lui plutôt un rôle "
                      "depuis sa fiche, ou laissez l'e-mail vide."))
    audit.record(actor=actor, action="directory.person.invited", target=person, data={
        "kpa": kpa.pk, "kind": kind, "has_account": bool(person.email),
        "acting_for": not person.email,
    })
    grant_role(actor=actor, person=person, kind=kind, scope=kpa, starts_on=starts_on,
               today=today)
    return person


@transaction.atomic
def update_person(*, actor: AnyUser, person: Person, today: dt.date,
                  **fields: Any) -> Person:
    _require(permissions.can_edit_person(actor, person, today=today))
    if "email" in fields:
        fields["email"] = fields["email"].strip().lower()
        taken = User.objects.filter(email__iexact=fields["email"]).exclude(person=person)
        if fields["email"] and taken.exists():
            raise ValidationError({"email": _(
                "Un autre compte utilise déjà cet e-mail. Vérifiez l'adresse."
            )})
    changed = _apply(person, fields)
    if person.user is not None and "email" in changed:
        person.user.email = person.email
        person.user.save(update_fields=["email"])
    person.save()
    audit.record(actor=actor, action="directory.person.updated", target=person,
                 data={"fields": changed})
    return person


# --- activities ------------------------------------------------------------------------------


def _date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _refuse(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _is_cooperant(person: Person, kpa: Kpa, today: dt.date) -> bool:
    return Role.objects.current(today).filter(
        person=person, kpa=kpa, kind=RoleKind.COOPERANT
    ).exists()


def _not_cooperant(person: Person, kpa: Kpa) -> str:
    return _(
        "%(person)s n'a pas de rôle de coopérant·e en cours au %(kpa)s : seules les personnes "
        "coopérantes du KPA peuvent faire partie de ses activités."
    ) % {"person": person, "kpa": kpa}


def _locked(activity: Activity) -> Activity:
    """The stored activity, locked, so concurrent changes to its members queue up."""
    return Activity.objects.select_for_update().select_related("kpa").get(pk=activity.pk)


@transaction.atomic
def create_activity(*, actor: AnyUser, kpa: Kpa, name: str, kind: str, started_on: dt.date,
                    today: dt.date, description: str = "",
                    members: Iterable[Person] = ()) -> Activity:
    """Open an activity of `kpa`, carried by its carrying structure; members join on its start.

    An individual activity has exactly one member; every member holds a current coopérant role
    in the KPA; the name is not taken by another open activity of the KPA.
    """
    _require(permissions.can_manage_activities(actor, kpa, today=today))
    # Lock the KPA so two concurrent creations cannot both pass the name check.
    kpa = Kpa.objects.select_for_update().get(pk=kpa.pk)
    people = list({person.pk: person for person in members}.values())
    activity = Activity(kpa=kpa, structure_id=kpa.carrying_structure_id, name=name.strip(),
                        kind=kind, description=description.strip(), started_on=started_on)
    errors: dict[str, list[str]] = {}
    try:
        activity.full_clean()
    except ValidationError as error:
        errors.update(error.message_dict)
    if activity.name and Activity.objects.open_on(today).filter(
        kpa=kpa, name__iexact=activity.name
    ).exists():
        errors.setdefault("name", []).append(_(
            "Le %(kpa)s a déjà une activité en cours nommée « %(name)s ». Choisissez un autre "
            "nom, ou terminez d'abord l'autre activité."
        ) % {"kpa": kpa, "name": activity.name})
    if kind == Activity.Kind.INDIVIDUAL and len(people) != 1:
        errors.setdefault("members", []).append(_(
            "Une activité individuelle a exactement un membre : choisissez une seule personne "
            "(ou faites-en une activité collective)."
        ))
    cooperants = set(Role.objects.current(today).filter(
        kpa=kpa, kind=RoleKind.COOPERANT, person__in=people,
    ).values_list("person_id", flat=True))
    for person in people:
        if person.pk not in cooperants:
            errors.setdefault("members", []).append(_not_cooperant(person, kpa))
    _refuse(errors)
    activity.save()
    ActivityMembership.objects.bulk_create(
        ActivityMembership(activity=activity, person=person, joined_on=started_on)
        for person in people
    )
    audit.record(actor=actor, action="directory.activity.created", target=activity, data={
        "kpa": kpa.pk, "structure": activity.structure_id, "kind": kind,
        "started_on": started_on.isoformat(), "members": [person.pk for person in people],
    })
    return activity


@transaction.atomic
def add_activity_member(*, actor: AnyUser, activity: Activity, person: Person,
                        joined_on: dt.date, today: dt.date) -> ActivityMembership:
    """Add a coopérant of the activity's KPA from `joined_on`.

    Refused: someone already a member over that period; a second member of an individual
    activity; a date before the activity starts or from its end on. When the activity has an
    end date, the membership ends with it.
    """
    _require(permissions.can_manage_activities(actor, activity.kpa, today=today))
    activity = _locked(activity)
    errors: dict[str, list[str]] = {}
    if joined_on < activity.started_on:
        errors["joined_on"] = [_(
            "L'arrivée ne peut pas précéder le début de l'activité (%(start)s)."
        ) % {"start": _date(activity.started_on)}]
    elif activity.ended_on is not None and joined_on >= activity.ended_on:
        errors["joined_on"] = [_(
            "L'activité se termine le %(end)s (exclu) : on ne peut plus la rejoindre à cette "
            "date."
        ) % {"end": _date(activity.ended_on)}]
    membership = ActivityMembership(activity=activity, person=person, joined_on=joined_on,
                                    left_on=activity.ended_on)
    if not _is_cooperant(person, activity.kpa, today):
        errors.setdefault("person", []).append(_not_cooperant(person, activity.kpa))
    if not errors:
        overlapping = [other for other in activity.memberships.select_related("person")
                       if other.period.overlaps(membership.period)]
        if any(other.person_id == person.pk for other in overlapping):
            errors["person"] = [_(
                "%(person)s fait déjà partie de « %(activity)s » sur cette période."
            ) % {"person": person, "activity": activity}]
        elif activity.kind == Activity.Kind.INDIVIDUAL and overlapping:
            errors["person"] = [_(
                "« %(activity)s » est une activité individuelle et %(member)s en fait déjà "
                "partie : une activité individuelle n'a qu'un membre à la fois."
            ) % {"activity": activity, "member": overlapping[0].person}]
    _refuse(errors)
    membership.full_clean()
    membership.save()
    audit.record(actor=actor, action="directory.activity.member_added", target=activity, data={
        "membership": membership.pk, "person": person.pk, "joined_on": joined_on.isoformat(),
    })
    return membership


@transaction.atomic
def end_activity_membership(*, actor: AnyUser, membership: ActivityMembership,
                            left_on: dt.date, today: dt.date) -> ActivityMembership:
    """The member leaves the activity on `left_on` (exclusive: their last day is the day
    before)."""
    activity = membership.activity
    _require(permissions.can_manage_activities(actor, activity.kpa, today=today))
    activity = _locked(activity)
    membership = ActivityMembership.objects.select_related("person").get(pk=membership.pk)
    if membership.left_on is not None and membership.left_on <= today:
        raise ValidationError({"left_on": _(
            "%(person)s a déjà quitté l'activité le %(end)s."
        ) % {"person": membership.person, "end": _date(membership.left_on)}})
    if left_on <= membership.joined_on:
        raise ValidationError({"left_on": _(
            "Le départ doit venir après l'arrivée (%(start)s)."
        ) % {"start": _date(membership.joined_on)}})
    if activity.ended_on is not None and left_on > activity.ended_on:
        raise ValidationError({"left_on": _(
            "L'activité se termine le %(end)s : le départ ne peut pas venir après."
        ) % {"end": _date(activity.ended_on)}})
    membership.left_on = left_on
    membership.full_clean()
    membership.save(update_fields=["left_on"])
    audit.record(actor=actor, action="directory.activity.member_left", target=activity, data={
        "membership": membership.pk, "person": membership.person_id,
        "left_on": left_on.isoformat(),
    })
    return membership


@transaction.atomic
def end_activity(*, actor: AnyUser, activity: Activity, ended_on: dt.date,
                 today: dt.date) -> Activity:
    """End the activity on `ended_on` (exclusive); its members still there leave with it."""
    _require(permissions.can_manage_activities(actor, activity.kpa, today=today))
    activity = _locked(activity)
    if activity.ended_on is not None and activity.ended_on <= today:
        raise ValidationError({"ended_on": _(
            "L'activité est déjà terminée depuis le %(end)s."
        ) % {"end": _date(activity.ended_on)}})
    if ended_on <= activity.started_on:
        raise ValidationError({"ended_on": _(
            "La fin doit venir après le début de l'activité (%(start)s)."
        ) % {"start": _date(activity.started_on)}})
    staying = list(activity.memberships.filter(
        Q(left_on__isnull=True) | Q(left_on__gt=ended_on)
    ).select_related("person"))
    late = [m for m in staying if m.joined_on >= ended_on]
    if late:
        raise ValidationError({"ended_on": _(
            "%(person)s doit rejoindre l'activité le %(start)s, après cette fin : choisissez "
            "une fin plus tardive."
        ) % {"person": late[0].person, "start": _date(late[0].joined_on)}})
    for membership in staying:
        membership.left_on = ended_on
        membership.save(update_fields=["left_on"])
    activity.ended_on = ended_on
    activity.full_clean()
    activity.save(update_fields=["ended_on"])
    audit.record(actor=actor, action="directory.activity.ended", target=activity, data={
        "ended_on": ended_on.isoformat(), "memberships_ended": [m.pk for m in staying],
    })
    return activity
