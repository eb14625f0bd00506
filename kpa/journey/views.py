"""The journey's pages for people and their référents: the public inscription, "Mon parcours",
the référent's board, one journey's page with its pieces, and the structure's settings.

Thin views: gate → one service or selector → render. Out of reach is 404, never 403; an action
refused by a service's gate on a journey the user can see is 404 too. Contract pages are in
`contract_views.py`, insurance lists in `insurance_views.py`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Count, QuerySet
from django.forms import BaseForm
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kpa.core import dates
from kpa.core.audit import events_for
from kpa.core.forms import add_service_errors
from kpa.core.models import AuditEvent
from kpa.core.tenancy import get_in_scope
from kpa.directory.invitations import send_invitation
from kpa.directory.permissions import reach_of
from kpa.journey import permissions, privacy, progress, selectors, services
from kpa.journey.forms import (
    SITUATION_FIELDS,
    BoardFilterForm,
    CheckForm,
    EraseForm,
    InscriptionDetailsForm,
    InscriptionForm,
    PolicyForm,
    RequirementForm,
    StepForm,
    UploadForm,
)
from kpa.journey.models import (
    PERSONAL_DATA_PURPOSES,
    STATUS_ORDER,
    CareerStep,
    Contract,
    DocumentRequirement,
    Journey,
    JourneyDocument,
    JourneyPolicy,
    JourneyStatus,
)
from kpa.journey.uploads import MAX_UPLOAD_BYTES
from kpa.journey.view_helpers import acted, form_page, gate, submit

# What the inscription leaves in the session for its thank-you page: no personal data, only
# the KPA, the pieces to bring and whether an invitation e-mail is on its way.
DONE_KEY = "journey_inscription"

EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png",
              "image/webp": "webp"}

# The status in the person's own words.
PERSON_WORDS: dict[str, Any] = {
    JourneyStatus.RECEIVED: gettext_lazy(
        "Nous avons reçu votre inscription. Il faut maintenant donner vos pièces."),
    JourneyStatus.COMPLETE: gettext_lazy(
        "Votre dossier est complet. La structure le vérifie."),
    JourneyStatus.VALIDATED: gettext_lazy(
        "Votre inscription est acceptée. Nous attendons l'accord de l'assureur."),
    JourneyStatus.INSURED: gettext_lazy(
        "L'assureur a dit oui. Votre contrat est en préparation."),
    JourneyStatus.CONTRACT_SENT: gettext_lazy("Votre contrat est prêt : il faut le signer."),
    JourneyStatus.SIGNED: gettext_lazy(
        "Votre contrat est signé. Votre activité va bientôt commencer."),
    JourneyStatus.ACTIVE: gettext_lazy("Vous êtes en activité."),
    JourneyStatus.ENDED: gettext_lazy("Votre parcours est terminé."),
}


# -- small helpers ---------------------------------------------------------------------------


def _form_errors_as_messages(request: HttpRequest, form: BaseForm) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))


def _long_date(day: dt.date) -> str:
    return date_format(day, "j F Y")


def _is_own(request: HttpRequest, journey: Journey, today: dt.date) -> bool:
    return reach_of(request.user, today).person_id == journey.person_id


def _documents_in_reach(request: HttpRequest, today: dt.date) -> QuerySet[JourneyDocument]:
    journeys = selectors.journeys_for(request.user, today=today)
    return JourneyDocument.objects.filter(journey__in=journeys.values("pk")).select_related(
        "journey", "requirement")


@dataclass(frozen=True)
class Step:
    label: str
    state: str  # done, current, todo


def status_steps(journey: Journey) -> list[Step]:
    current = STATUS_ORDER.index(journey.status)
    return [Step(str(label), "done" if index < current else "current" if index == current
                 else "todo")
            for index, (_value, label) in enumerate(JourneyStatus.choices)]


def deadline_sentence(journey: Journey, today: dt.date) -> str:
    """The next date that matters to the person, in one plain sentence."""
    if journey.status == JourneyStatus.ENDED:
        if journey.exited_on:
            return _("Votre parcours s'est terminé le %(day)s.") % {
                "day": _long_date(journey.exited_on)}
        return ""
    contracts = progress.live_contracts(journey)
    if not contracts:
        return ""
    current = contracts[-1]
    if current.status == Contract.Status.SENT:
        if today > current.starts_on:
            return _("Le contrat n'a pas été signé à temps : votre référent·e va vous en "
                     "préparer un nouveau.")
        return _("Signez votre contrat au plus tard le %(day)s.") % {
            "day": _long_date(current.starts_on)}
    if journey.status == JourneyStatus.SIGNED:
        return _("Votre activité commence le %(day)s.") % {"day": _long_date(current.starts_on)}
    if journey.status == JourneyStatus.ACTIVE:
        if not current.decision:
            return _("Votre contrat finit le %(day)s : d'ici là, décidez avec votre référent·e "
                     "de la suite.") % {"day": _long_date(current.last_day)}
        return _("Votre contrat finit le %(day)s. La suite est décidée : %(decision)s.") % {
            "day": _long_date(current.last_day), "decision": current.get_decision_display()}
    return ""


# -- public inscription ----------------------------------------------------------------------


@require_GET
def inscription_start(request: HttpRequest) -> HttpResponse:
    today = dates.local_today()
    kpas = list(selectors.open_kpas().order_by("city", "name"))
    assisted: set[int] = set()
    if request.user.is_authenticated:
        assisted = set(selectors.kpas_advanced(request.user, today=today)
                       .values_list("pk", flat=True))
    return render(request, "journey/inscription_start.html", {
        "kpas": [(kpa, kpa.pk in assisted) for kpa in kpas],
        "assists": bool(assisted),
    })


@require_http_methods(["GET", "POST"])
def inscription(request: HttpRequest, kpa_id: int) -> HttpResponse:
    today = dates.local_today()
    kpa = get_in_scope(selectors.open_kpas(), pk=kpa_id)
    assisting = permissions.can_advance_kpa(request.user, kpa, today=today)
    own_person_id = reach_of(request.user, today).person_id
    # A logged-in person registers themself: their name and contact are already known.
    identity = assisting or own_person_id is None
    form = InscriptionForm(request.POST if request.method == "POST" else None,
                           identity=identity)
    if request.method == "POST" and form.is_valid():
        try:
            who = form.identity_fields()
            journey = services.register(
                actor=request.user, kpa=kpa, today=today, first_name=who["first_name"],
                last_name=who["last_name"], email=who["email"], phone=who["phone"],
                **form.journey_fields())
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied:
            raise Http404 from None
        else:
            person = journey.person
            invited = bool(identity and person.user_id and person.email
                           and person.user_id != request.user.pk)
            if invited:
                transaction.on_commit(lambda: send_invitation(request, person, kpa))
            if assisting:
                messages.success(request, _("%(name)s est inscrit·e au %(kpa)s.")
                                 % {"name": person.full_name, "kpa": kpa.name})
                return redirect(journey)
            request.session[DONE_KEY] = {
                "kpa": kpa.pk, "invited": invited,
                "pieces": [[r.label, r.required]
                           for r in services.requirements_for(journey, today)],
            }
            return redirect("journey:inscription_done", kpa.pk)
    return render(request, "journey/inscription.html", {
        "kpa": kpa, "form": form, "assisting": assisting, "identity": identity,
        "purposes": purposes(),
    }, status=400 if request.method == "POST" else 200)


def purposes() -> list[tuple[str, str]]:
    """Each personal field's purpose, under the name a person knows the field by."""
    person_fields = {"first_name": _("Prénom"), "last_name": _("Nom"), "email": _("E-mail"),
                     "phone": _("Téléphone")}
    journey_fields = {f.name: f.verbose_name for f in Journey._meta.fields}
    named = []
    for name, purpose in PERSONAL_DATA_PURPOSES.items():
        if name in person_fields:
            label = person_fields[name]
        elif name in journey_fields:
            label = str(journey_fields[name]).capitalize()
        else:
            label = name
        named.append((label, str(purpose)))
    return named


@require_GET
def inscription_done(request: HttpRequest, kpa_id: int) -> HttpResponse:
    done = request.session.get(DONE_KEY)
    if not isinstance(done, dict) or done.get("kpa") != kpa_id:
        # Nothing was just sent from this browser: there is nothing to thank for.
        return redirect("journey:inscription_start")
    kpa = get_in_scope(selectors.open_kpas(), pk=kpa_id)
    return render(request, "journey/inscription_done.html", {
        "kpa": kpa, "invited": done.get("invited", False),
        "pieces": [label for label, required in done.get("pieces", []) if required],
        "optional_pieces": [label for label, required in done.get("pieces", [])
                            if not required],
    })


# -- the référent's board --------------------------------------------------------------------


@dataclass(frozen=True)
class BoardRow:
    journey: Journey
    progress: progress.Progress
    since: dt.date
    days: int


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    today = dates.local_today()
    kpas = list(selectors.kpas_followed(request.user, today=today))
    form = BoardFilterForm(request.GET, kpas=kpas)
    journeys = selectors.followed_journeys(request.user, today=today)
    kpa_id, status = form.value("kpa"), form.value("status")
    if kpa_id is not None:
        journeys = journeys.filter(kpa_id=kpa_id)
    counts = dict(journeys.order_by().prefetch_related(None).values_list("status")
                  .annotate(n=Count("pk")))
    if status is not None:
        journeys = journeys.filter(status=status)
    rows = []
    for journey in journeys:
        since = journey.status_since.date()
        rows.append(BoardRow(journey, progress.progress_of(journey, today), since,
                             (today - since).days))
    return render(request, "journey/board.html", {
        "form": form, "rows": rows, "follows": bool(kpas), "filtered": bool(kpa_id or status),
        "status_counts": [(value, label, counts.get(value, 0))
                          for value, label in JourneyStatus.choices],
        "total": sum(counts.values()),
        "structures": list(selectors.structures_configured_by(request.user, today=today)),
        "today": today,
    })


# -- "Mon parcours" --------------------------------------------------------------------------


@dataclass
class OwnJourney:
    journey: Journey
    words: str
    steps: list[Step]
    progress: progress.Progress
    missing: list[DocumentRequirement]
    optional: list[DocumentRequirement]
    contracts: list[Contract]
    to_sign: list[Contract]
    deadline: str
    can_upload: bool
    can_export: bool


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    today = dates.local_today()
    cards = []
    for journey in selectors.own_journeys(request.user, today=today):
        provided = {d.requirement_id for d in journey.documents.all()}
        contracts = progress.live_contracts(journey)
        can_sign = permissions.can_sign_contract(request.user, journey, today=today)
        cards.append(OwnJourney(
            journey=journey, words=str(PERSON_WORDS[journey.status]),
            steps=status_steps(journey), progress=progress.progress_of(journey, today),
            missing=services.missing_requirements(journey, today),
            optional=[r for r in services.requirements_for(journey, today)
                      if not r.required and r.pk not in provided],
            contracts=contracts,
            to_sign=[c for c in contracts if c.status == Contract.Status.SENT
                     and c.starts_on >= today] if can_sign else [],
            deadline=deadline_sentence(journey, today),
            can_upload=(journey.status != JourneyStatus.ENDED
                        and permissions.can_upload_document(request.user, journey,
                                                            today=today)),
            can_export=permissions.can_export_person_data(request.user, journey, today=today),
        ))
    return render(request, "journey/mine.html", {"cards": cards, "today": today})


# -- one journey -----------------------------------------------------------------------------


@dataclass
class ChecklistLine:
    requirement: DocumentRequirement
    documents: list[JourneyDocument] = field(default_factory=list)
    applies: bool = True


def checklist_of(journey: Journey, documents: list[JourneyDocument],
                 today: dt.date) -> list[ChecklistLine]:
    """Each piece asked, with what was given for it; a piece given for a line that no longer
    applies (a minor who came of age) is still listed."""
    lines = {r.pk: ChecklistLine(r) for r in services.requirements_for(journey, today)}
    for document in documents:
        line = lines.setdefault(document.requirement_id,
                                ChecklistLine(document.requirement, applies=False))
        line.documents.append(document)
    return list(lines.values())


def _history(journey: Journey, documents: list[JourneyDocument],
             contracts: list[Contract], steps: list[CareerStep]) -> list[AuditEvent]:
    events = events_for(journey) | events_for(journey.person)
    for target in [*documents, *contracts, *steps]:
        events = events | events_for(target)
    return list(events.select_related("actor__person").order_by("-at", "-id")[:100])


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    journey = selectors.journey_for(request.user, pk, today=today)
    return render(request, "journey/detail.html", _detail_context(request, journey, today))


def _detail_context(request: HttpRequest, journey: Journey, today: dt.date) -> dict[str, Any]:
    user = request.user
    reach = reach_of(user, today)
    staff = (reach.is_admin or journey.kpa_id in reach.staff_kpas
             or journey.structure_id in reach.managed_structures)
    can_advance = permissions.can_advance_journey(user, journey, today=today)
    can_upload = (journey.status != JourneyStatus.ENDED
                  and permissions.can_upload_document(user, journey, today=today))
    documents = list(journey.documents.select_related("requirement", "checked_by__person"))
    requirements = services.requirements_for(journey, today)
    contracts = sorted(journey.contracts.all(), key=lambda c: (c.issued_at, c.pk))
    steps = list(journey.steps.all())
    provided = {d.requirement_id for d in documents}
    missing = [r for r in requirements if r.pk not in provided]
    upload_form = UploadForm(requirements=requirements, auto_id="upload_%s",
                             initial={"requirement": missing[0].pk if missing else None})
    return {
        "journey": journey, "person": journey.person, "today": today, "staff": staff,
        "steps": status_steps(journey), "progress": progress.progress_of(journey, today),
        "checklist": checklist_of(journey, documents, today),
        "upload_form": upload_form if can_upload and requirements else None,
        "check_form": CheckForm(),
        "step_form": StepForm(auto_id="step_%s", initial={"on": today}),
        "career_steps": steps,
        "contracts": contracts,
        "can_advance": can_advance,
        "can_sign": permissions.can_sign_contract(user, journey, today=today),
        "can_edit": can_upload,
        "can_validate": (journey.status == JourneyStatus.COMPLETE
                         and permissions.can_validate_journey(user, journey, today=today)),
        "can_export": permissions.can_export_person_data(user, journey, today=today),
        "can_erase": (journey.status == JourneyStatus.ENDED and journey.erased_at is None
                      and permissions.can_erase_person_data(user, journey, today=today)),
        "history": _history(journey, documents, contracts, steps) if staff else None,
        "situation": [(f.verbose_name, getattr(journey, f.name)) for f in Journey._meta.fields
                      if f.name in SITUATION_FIELDS],
        "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
    }


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    journey = selectors.journey_for(request.user, pk, today=today)
    gate(permissions.can_upload_document(request.user, journey, today=today))
    form = InscriptionDetailsForm(request.POST if request.method == "POST" else None,
                                  initial=InscriptionDetailsForm.initial_from(journey))
    done = submit(request, form, lambda: services.update_inscription(
        actor=request.user, journey=journey, today=today, **form.journey_fields()),
        _("L'inscription est modifiée."))
    return done or form_page(request, "journey/edit.html", {"journey": journey, "form": form})


@login_required
@require_POST
def upload_document(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    journey = get_in_scope(selectors.journeys_for(request.user, today=today), pk=pk)
    gate(permissions.can_upload_document(request.user, journey, today=today))
    back = reverse("journey:mine") if _is_own(request, journey, today) else (
        journey.get_absolute_url())
    requirements = services.requirements_for(journey, today)
    form = UploadForm(request.POST, request.FILES, requirements=requirements)
    if not form.is_valid():
        _form_errors_as_messages(request, form)
        return redirect(back)
    upload = form.upload()
    # Refused on its announced size, before a byte is read into memory.
    if upload.size is None or upload.size > MAX_UPLOAD_BYTES:
        messages.error(request, _(
            "Ce fichier fait %(size)s Mo : 10 Mo au plus. Prenez une photo moins grande ou "
            "scannez en qualité « document »."
        ) % {"size": round((upload.size or 0) / 1024 / 1024)})
        return redirect(back)
    content = upload.read(MAX_UPLOAD_BYTES + 1)
    requirement = next(r for r in requirements if r.pk == form.cleaned_data["requirement"])
    acted(request, lambda: services.upload_document(
        actor=request.user, journey=journey, requirement=requirement, content=content,
        today=today), _("La pièce « %(piece)s » est déposée. Merci !")
        % {"piece": requirement.label})
    return redirect(back)


@login_required
@require_GET
def document_file(request: HttpRequest, pk: int) -> FileResponse:
    today = dates.local_today()
    document = get_in_scope(_documents_in_reach(request, today), pk=pk)
    if not document.has_file:
        raise Http404
    try:
        handle = document.file.open("rb")
    except OSError:
        raise Http404 from None
    extension = EXTENSIONS.get(document.content_type, "bin")
    response = FileResponse(handle, as_attachment=True,
                            filename=f"piece-{document.pk}.{extension}",
                            content_type=document.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def check_document(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    document = get_in_scope(_documents_in_reach(request, today), pk=pk)
    journey = document.journey
    gate(permissions.can_advance_journey(request.user, journey, today=today))
    form = CheckForm(request.POST)
    if not form.is_valid():
        _form_errors_as_messages(request, form)
        return redirect(journey)
    success = (_("Pièce vérifiée. La copie est supprimée ; votre note la remplace.")
               if document.requirement.is_deleted_once_checked else _("Pièce vérifiée."))
    acted(request, lambda: services.check_document(
        actor=request.user, document=document, note=form.cleaned_data["check_note"],
        today=today), success)
    return redirect(journey)


@login_required
@require_POST
def validate(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    journey = selectors.journey_for(request.user, pk, today=today)
    acted(request, lambda: services.validate_journey(actor=request.user, journey=journey,
                                                      today=today),
           _("L'inscription est validée. Prochaine étape : l'assurance."))
    return redirect(journey)


@login_required
@require_POST
def add_step(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    journey = selectors.journey_for(request.user, pk, today=today)
    gate(permissions.can_advance_journey(request.user, journey, today=today))
    form = StepForm(request.POST)
    if not form.is_valid():
        _form_errors_as_messages(request, form)
        return redirect(journey)
    acted(request, lambda: services.add_career_step(
        actor=request.user, journey=journey, kind=CareerStep.Kind.DIAGNOSTIC,
        on=form.cleaned_data["on"], note=form.cleaned_data["note"], today=today),
        _("Le diagnostic est noté."))
    return redirect(journey)


# -- the person's rights ---------------------------------------------------------------------


@login_required
@require_GET
def export_data(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    journey = selectors.journey_for(request.user, pk, today=today)
    # Gate before the service: the export is audited, a refused one must write nothing.
    gate(permissions.can_export_person_data(request.user, journey, today=today))
    try:
        data = privacy.export_person_data(actor=request.user, journey=journey, today=today)
    except PermissionDenied:
        raise Http404 from None
    body = json.dumps(data, ensure_ascii=False, indent=2, cls=DjangoJSONEncoder)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="donnees-{journey.person_id}.json"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def erase(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    journey = selectors.journey_for(request.user, pk, today=today)
    gate(permissions.can_erase_person_data(request.user, journey, today=today))
    form = EraseForm(request.POST if request.method == "POST" else None)
    done = submit(request, form, lambda: privacy.erase_person_data(
        actor=request.user, journey=journey, today=today),
        _("Les données de la personne sont effacées. Ce que la loi oblige à garder porte "
          "maintenant un pseudonyme."), then=journey.get_absolute_url())
    return done or form_page(request, "journey/erase.html", {
        "journey": journey, "form": form, "is_open": journey.status != JourneyStatus.ENDED,
    })


# -- the structure's settings ----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def policy_settings(request: HttpRequest, structure_id: int) -> HttpResponse:
    today = dates.local_today()
    structure = get_in_scope(selectors.structures_configured_by(request.user, today=today),
                             pk=structure_id)
    gate(permissions.can_configure_structure(request.user, structure, today=today))
    policy = JourneyPolicy.of(structure)  # the defaults, unsaved, until the first save
    which = request.POST.get("form") if request.method == "POST" else None
    policy_form = PolicyForm(request.POST if which == "policy" else None, instance=policy,
                             auto_id="policy_%s")
    requirement_form = RequirementForm(request.POST if which == "requirement" else None,
                                       auto_id="requirement_%s",
                                       initial={"required": True})
    here = reverse("journey:settings", args=[structure.pk])
    done = submit(request, policy_form, lambda: services.update_policy(
        actor=request.user, structure=structure, today=today, **policy_form.policy_fields()),
        _("Les réglages sont enregistrés."), then=here) or submit(
        request, requirement_form, lambda: services.add_requirement(
            actor=request.user, structure=structure, today=today,
            **requirement_form.cleaned_data),
        _("La pièce est ajoutée à la liste."), then=here)
    if done:
        return done
    requirements = list(structure.document_requirements.order_by("position", "id"))
    return render(request, "journey/settings.html", {
        "structure": structure, "policy_form": policy_form,
        "requirement_form": requirement_form, "requirements": requirements,
        "default_checklist": [label for _kind, label, _req, _minors in
                              services.DEFAULT_CHECKLIST] if not requirements else [],
    }, status=400 if request.method == "POST" else 200)
