"""Thin views: gate → one service or selector → render. Out of reach is 404, never 403."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kpa.core.auth import AnyUser
from kpa.core.dates import local_today
from kpa.core.forms import add_service_errors
from kpa.core.tenancy import get_in_scope
from kpa.directory import permissions, selectors, services
from kpa.directory.forms import (
    ActivityForm,
    ActivityMemberForm,
    EndActivityForm,
    EndActivityMembershipForm,
    EndRoleForm,
    InviteForm,
    KpaForm,
    NetworkForm,
    PersonForm,
    PlaceForm,
    RoleForm,
    StructureForm,
)
from kpa.directory.home import home_panels
from kpa.directory.invitations import send_invitation
from kpa.directory.models import (
    KPA_ROLE_KINDS,
    Activity,
    Kpa,
    Network,
    Person,
    RoleKind,
    Structure,
)

M = TypeVar("M", bound=Model)

FORM_TEMPLATE = "directory/form.html"


def _fresh(obj: M) -> M:
    """A copy for a ModelForm to write on, so the service still sees the stored object."""
    return type(obj)._default_manager.get(pk=obj.pk)


def _gate(allowed: bool) -> None:
    """A visible object the user may not change: 404 too, so probing learns nothing."""
    if not allowed:
        raise Http404


def _form_page(request: HttpRequest, form: BaseForm, *, title: str, submit: str,
               save: Callable[[dict[str, Any]], Model], success: str,
               back: str | None = None, template: str = FORM_TEMPLATE) -> HttpResponse:
    """Validate `form` on POST, call `save` (a service), redirect to the object on success."""
    if request.method == "POST" and form.is_valid():
        try:
            obj = save(form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, success)
            return redirect(obj.get_absolute_url())  # type: ignore[attr-defined]
    status = 400 if request.method == "POST" else 200
    return render(request, template,
                  {"form": form, "title": title, "submit": submit, "back": back}, status=status)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "directory/home.html",
                  home_panels(request.user, today=local_today()))


@login_required
def kpa_list(request: HttpRequest) -> HttpResponse:
    today = local_today()
    kpas = selectors.kpas_with_counts(selectors.kpas_visible_to(request.user, today=today),
                                      today=today)
    return render(request, "directory/kpa_list.html", {
        "kpas": kpas, "can_create": permissions.can_create_kpa(request.user, today=today),
    })


def _sees_people(user: AnyUser, kpa: Kpa, today: dt.date) -> bool:
    """Whether the user looks after the KPA's people (and so opens their pages)."""
    return (permissions.can_edit_kpa(user, kpa, today=today)
            or kpa.pk in permissions.reach_of(user, today).staff_kpas)


@login_required
def kpa_detail(request: HttpRequest, pk: int) -> HttpResponse:
    today = local_today()
    kpa = get_in_scope(selectors.kpas_visible_to(request.user, today=today), pk=pk)
    sees_people = _sees_people(request.user, kpa, today)
    return render(request, "directory/kpa_detail.html", {
        "kpa": kpa,
        "places": kpa.places.all(),
        "people": selectors.kpa_people(kpa, today=today) if sees_people else None,
        "activities": selectors.activities_for(request.user, today).filter(kpa=kpa),
        "can_edit": permissions.can_edit_kpa(request.user, kpa, today=today),
        "can_manage_places": permissions.can_manage_places(request.user, kpa, today=today),
        "can_invite": permissions.can_invite_person(request.user, kpa, today=today),
        "can_manage_activities": permissions.can_manage_activities(request.user, kpa,
                                                                   today=today),
    })


@login_required
@require_http_methods(["GET", "POST"])
def kpa_create(request: HttpRequest) -> HttpResponse:
    today = local_today()
    _gate(permissions.can_create_kpa(request.user, today=today))
    structures = selectors.structures_visible_to(request.user, today=today)
    network = selectors.networks_visible_to(request.user, today=today).first()
    if network is None:
        raise Http404
    form = KpaForm(request.POST or None, structures=structures)
    return _form_page(
        request, form, title=_("Nouveau KPA"), submit=_("Créer le KPA"),
        save=lambda data: services.create_kpa(actor=request.user, network=network, today=today,
                                              **data),
        success=_("Le KPA a été créé."), back="directory:kpa_list",
    )


@login_required
@require_http_methods(["GET", "POST"])
def kpa_edit(request: HttpRequest, pk: int) -> HttpResponse:
    today = local_today()
    kpa = get_in_scope(selectors.kpas_visible_to(request.user, today=today), pk=pk)
    _gate(permissions.can_edit_kpa(request.user, kpa, today=today))
    structures = selectors.structures_visible_to(request.user, today=today)
    form = KpaForm(request.POST or None, instance=_fresh(kpa), structures=structures)
    return _form_page(
        request, form, title=_("Modifier %(name)s") % {"name": kpa.name},
        submit=_("Enregistrer"),
        save=lambda data: services.update_kpa(actor=request.user, kpa=kpa, today=today, **data),
        success=_("Le KPA a été modifié."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def place_create(request: HttpRequest, kpa_pk: int) -> HttpResponse:
    today = local_today()
    kpa = get_in_scope(selectors.kpas_visible_to(request.user, today=today), pk=kpa_pk)
    _gate(permissions.can_manage_places(request.user, kpa, today=today))
    form = PlaceForm(request.POST or None)
    return _form_page(
        request, form, title=_("Nouveau lieu pour %(kpa)s") % {"kpa": kpa.name},
        submit=_("Ajouter le lieu"),
        save=lambda data: services.create_place(actor=request.user, kpa=kpa, today=today,
                                                **data),
        success=_("Le lieu a été ajouté."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def place_edit(request: HttpRequest, pk: int) -> HttpResponse:
    today = local_today()
    place = get_in_scope(selectors.places_visible_to(request.user, today=today), pk=pk)
    _gate(permissions.can_manage_places(request.user, place.kpa, today=today))
    form = PlaceForm(request.POST or None, instance=_fresh(place))
    return _form_page(
        request, form, title=_("Modifier %(name)s") % {"name": place.name},
        submit=_("Enregistrer"),
        save=lambda data: services.update_place(actor=request.user, place=place, today=today,
                                                **data),
        success=_("Le lieu a été modifié."),
    )


@login_required
def structure_list(request: HttpRequest) -> HttpResponse:
    today = local_today()
    return render(request, "directory/structure_list.html", {
        "structures": selectors.structures_visible_to(request.user, today=today),
        "can_create": permissions.can_create_structure(request.user, today=today),
    })


@login_required
def structure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    today = local_today()
    structure = get_in_scope(selectors.structures_visible_to(request.user, today=today), pk=pk)
    visible_kpas = selectors.kpas_visible_to(request.user, today=today)
    return render(request, "directory/structure_detail.html", {
        "structure": structure,
        "carried_kpas": visible_kpas.filter(carrying_structure=structure),
        "can_edit": permissions.can_edit_structure(request.user, structure, today=today),
    })


@login_required
@require_http_methods(["GET", "POST"])
def structure_create(request: HttpRequest) -> HttpResponse:
    today = local_today()
    _gate(permissions.can_create_structure(request.user, today=today))
    network = selectors.networks_visible_to(request.user, today=today).first()
    if network is None:
        raise Http404
    form = StructureForm(request.POST or None)
    return _form_page(
        request, form, title=_("Nouvelle structure"), submit=_("Créer la structure"),
        save=lambda data: services.create_structure(actor=request.user, network=network,
                                                    today=today, **data),
        success=_("La structure a été créée."), back="directory:structure_list",
    )


@login_required
@require_http_methods(["GET", "POST"])
def structure_edit(request: HttpRequest, pk: int) -> HttpResponse:
    today = local_today()
    structure = get_in_scope(selectors.structures_visible_to(request.user, today=today), pk=pk)
    _gate(permissions.can_edit_structure(request.user, structure, today=today))
    form = StructureForm(request.POST or None, instance=_fresh(structure))
    return _form_page(
        request, form, title=_("Modifier %(name)s") % {"name": structure.name},
        submit=_("Enregistrer"),
        save=lambda data: services.update_structure(actor=request.user, structure=structure,
                                                    today=today, **data),
        success=_("La structure a été modifiée."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def network_edit(request: HttpRequest, pk: int) -> HttpResponse:
    today = local_today()
    network = get_in_scope(selectors.networks_visible_to(request.user, today=today), pk=pk)
    _gate(permissions.can_manage_network(request.user, network, today=today))
    form = NetworkForm(request.POST or None, instance=_fresh(network))
    return _form_page(
        request, form, title=_("Modifier le réseau"), submit=_("Enregistrer"),
        save=lambda data: services.update_network(actor=request.user, network=network,
                                                  today=today, **data),
        success=_("Le réseau a été modifié."),
    )


@login_required
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    today = local_today()
    person = get_in_scope(
        selectors.persons_visible_to(request.user, today=today).select_related("proxy", "user"),
        pk=pk,
    )
    roles = selectors.roles_visible_to(request.user, today=today).filter(person=person)
    can_grant = {
        role.pk: permissions.can_grant_role(request.user, role.kind, role.scope, today=today)
        for role in roles
    }
    return render(request, "directory/person_detail.html", {
        "person": person,
        "roles": [(role, can_grant[role.pk], role.period.contains(today)) for role in roles],
        "can_edit": permissions.can_edit_person(request.user, person, today=today),
        "can_add_role": permissions.can_grant_some_role(request.user, today=today),
    })


@login_required
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    today = local_today()
    person = get_in_scope(selectors.persons_visible_to(request.user, today=today), pk=pk)
    _gate(permissions.can_edit_person(request.user, person, today=today))
    form = PersonForm(request.POST or None, instance=_fresh(person))
    return _form_page(
        request, form, title=_("Modifier %(name)s") % {"name": person.full_name},
        submit=_("Enregistrer"),
        save=lambda data: services.update_person(actor=request.user, person=person, today=today,
                                                 **data),
        success=_("La fiche a été modifiée."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def person_invite(request: HttpRequest, kpa_pk: int) -> HttpResponse:
    today = local_today()
    kpa = get_in_scope(selectors.kpas_visible_to(request.user, today=today), pk=kpa_pk)
    _gate(permissions.can_invite_person(request.user, kpa, today=today))
    allowed: set[str] = {kind for kind in KPA_ROLE_KINDS
               if permissions.can_grant_role(request.user, kind, kpa, today=today)}
    form = InviteForm(request.POST or None, allowed_kinds=allowed,
                      initial={"kind": RoleKind.COOPERANT, "starts_on": today})

    def invite(data: dict[str, Any]) -> Model:
        person = services.invite_person(actor=request.user, kpa=kpa, today=today, **data)
        transaction.on_commit(lambda: send_invitation(request, person, kpa))
        return kpa

    return _form_page(
        request, form, title=_("Inviter une personne au %(kpa)s") % {"kpa": kpa.name},
        submit=_("Inviter"), save=invite,
        success=_("La personne a été ajoutée au KPA."),
    )


def _grantable_scopes(
    request: HttpRequest, today: dt.date
) -> tuple[list[Kpa], list[Structure], list[Network]]:
    """Where the user may give roles: KPAs they invite into, structures and networks they run."""
    user = request.user
    kpas = [k for k in selectors.kpas_visible_to(user, today=today)
            if permissions.can_invite_person(user, k, today=today)]
    structures = [s for s in selectors.structures_visible_to(user, today=today)
                  if permissions.can_edit_structure(user, s, today=today)]
    networks = [n for n in selectors.networks_visible_to(user, today=today)
                if permissions.can_manage_network(user, n, today=today)]
    return kpas, structures, networks


@login_required
@require_http_methods(["GET", "POST"])
def role_create(request: HttpRequest, person_pk: int) -> HttpResponse:
    today = local_today()
    person = get_in_scope(selectors.persons_visible_to(request.user, today=today), pk=person_pk)
    kpas, structures, networks = _grantable_scopes(request, today)
    scopes: list[Kpa | Structure | Network] = [*kpas, *structures, *networks]
    _gate(bool(scopes))
    allowed = {kind for kind in RoleKind.values for scope in scopes
               if permissions.can_grant_role(request.user, kind, scope, today=today)}
    form = RoleForm(request.POST or None, kpas=kpas, structures=structures, networks=networks,
                    allowed_kinds=allowed, initial={"starts_on": today})

    def grant(data: dict[str, Any]) -> Model:
        services.grant_role(actor=request.user, person=person, today=today, **data)
        return person

    return _form_page(
        request, form, title=_("Donner un rôle à %(name)s") % {"name": person.full_name},
        submit=_("Donner le rôle"), save=grant, success=_("Le rôle a été donné."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def role_end(request: HttpRequest, pk: int) -> HttpResponse:
    today = local_today()
    role = get_in_scope(selectors.roles_visible_to(request.user, today=today), pk=pk)
    _gate(permissions.can_grant_role(request.user, role.kind, role.scope, today=today))
    form = EndRoleForm(request.POST or None, initial={"ends_on": today})

    def end(data: dict[str, Any]) -> Model:
        services.end_role(actor=request.user, role=role, today=today, **data)
        return role.person

    return _form_page(
        request, form, title=_("Terminer le rôle : %(role)s") % {"role": role},
        submit=_("Terminer le rôle"), save=end, success=_("Le rôle est terminé."),
    )


# --- Activities --------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def activity_create(request: HttpRequest, kpa_pk: int) -> HttpResponse:
    today = local_today()
    kpa = get_in_scope(selectors.kpas_visible_to(request.user, today=today), pk=kpa_pk)
    _gate(permissions.can_manage_activities(request.user, kpa, today=today))
    form = ActivityForm(request.POST or None,
                        cooperants=selectors.kpa_cooperants(kpa, today=today),
                        initial={"kind": Activity.Kind.COLLECTIVE, "started_on": today})
    return _form_page(
        request, form, title=_("Nouvelle activité au %(kpa)s") % {"kpa": kpa.name},
        submit=_("Créer l'activité"),
        save=lambda data: services.create_activity(actor=request.user, kpa=kpa, today=today,
                                                   **data),
        success=_("L'activité a été créée."), template="directory/activity_form.html",
    )


def _joinable(activity: Activity, today: dt.date) -> QuerySet[Person]:
    """The KPA's current coopérants who are not current members of the activity already."""
    members = activity.memberships.current(today).values("person_id")
    return selectors.kpa_cooperants(activity.kpa, today=today).exclude(pk__in=members)


@login_required
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    today = local_today()
    activity = get_in_scope(selectors.activities_for(request.user, today), pk=pk)
    can_manage = permissions.can_manage_activities(request.user, activity.kpa, today=today)
    is_open = activity.ended_on is None or activity.ended_on > today
    member_form = (
        ActivityMemberForm(cooperants=_joinable(activity, today), initial={"joined_on": today})
        if can_manage and is_open else None
    )
    memberships = [(m, m.left_on is None or m.left_on > today)
                   for m in selectors.memberships_of(activity)]
    return render(request, "directory/activity_detail.html", {
        "activity": activity,
        "memberships": memberships,
        "sees_people": _sees_people(request.user, activity.kpa, today),
        "can_manage": can_manage,
        "is_open": is_open,
        "member_form": member_form,
    })


@login_required
@require_http_methods(["GET", "POST"])
def activity_member_add(request: HttpRequest, pk: int) -> HttpResponse:
    today = local_today()
    activity = get_in_scope(selectors.activities_for(request.user, today), pk=pk)
    _gate(permissions.can_manage_activities(request.user, activity.kpa, today=today))
    form = ActivityMemberForm(request.POST or None, cooperants=_joinable(activity, today),
                              initial={"joined_on": today})
    return _form_page(
        request, form, title=_("Ajouter un membre à %(name)s") % {"name": activity.name},
        submit=_("Ajouter à l'activité"),
        save=lambda data: services.add_activity_member(actor=request.user, activity=activity,
                                                       today=today, **data),
        success=_("La personne a rejoint l'activité."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def activity_member_end(request: HttpRequest, pk: int) -> HttpResponse:
    today = local_today()
    membership = get_in_scope(selectors.activity_memberships_for(request.user, today), pk=pk)
    _gate(permissions.can_manage_activities(request.user, membership.activity.kpa, today=today))
    form = EndActivityMembershipForm(request.POST or None, initial={"left_on": today})
    return _form_page(
        request, form,
        title=_("%(person)s quitte %(activity)s") % {"person": membership.person.full_name,
                                                     "activity": membership.activity.name},
        submit=_("Confirmer le départ"),
        save=lambda data: services.end_activity_membership(
            actor=request.user, membership=membership, today=today, **data),
        success=_("Le départ de l'activité est enregistré."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def activity_end(request: HttpRequest, pk: int) -> HttpResponse:
    today = local_today()
    activity = get_in_scope(selectors.activities_for(request.user, today), pk=pk)
    _gate(permissions.can_manage_activities(request.user, activity.kpa, today=today))
    form = EndActivityForm(request.POST or None, initial={"ended_on": today})
    return _form_page(
        request, form, title=_("Terminer l'activité %(name)s") % {"name": activity.name},
        submit=_("Terminer l'activité"),
        save=lambda data: services.end_activity(actor=request.user, activity=activity,
                                                today=today, **data),
        success=_("L'activité est terminée."),
    )
