"""The insurance lists ("fiches navettes"): the lists of the KPAs one follows, a new list per
KPA, one list's people as a page, CSV or PDF, the day it was sent and the insurer's answer.

A list is reached through its KPA (`selectors.insurance_lists_for`): out of reach is 404. Only
who moves the KPA's journeys forward (`permissions.can_advance_kpa`) prepares, sends and records
answers; the KPA's other staff read.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kpa.core import dates
from kpa.core.forms import add_service_errors
from kpa.core.tenancy import get_in_scope
from kpa.journey import permissions, selectors, services
from kpa.journey.contract_forms import (
    InsuranceAnswerForm,
    InsuranceCreateForm,
    InsuranceSentForm,
)
from kpa.journey.models import InsuranceEntry, InsuranceList, JourneyPolicy, JourneyStatus
from kpa.journey.pdf import insurance_list_rows, render_insurance_list_pdf
from kpa.journey.view_helpers import gate
from kpa.ledger.rendering import csv_response, wanted_format

PERSON_ORDER = ("journey__person__last_name", "journey__person__first_name", "pk")


def _list(request: HttpRequest, pk: int, today: dt.date) -> InsuranceList:
    return get_in_scope(selectors.insurance_lists_for(request.user, today=today), pk=pk)


def _entries(insurance_list: InsuranceList) -> list[InsuranceEntry]:
    return list(insurance_list.entries.select_related("journey__person").order_by(*PERSON_ORDER))


@login_required
@require_GET
def insurance_lists(request: HttpRequest) -> HttpResponse:
    today = dates.local_today()
    followed = list(selectors.kpas_followed(request.user, today=today))
    if not followed:
        raise Http404
    lists = (selectors.insurance_lists_for(request.user, today=today)
             .annotate(entry_count=Count("entries")).order_by("-created_at", "-id"))
    kpas = selectors.kpas_advanced(request.user, today=today)
    advanced = list(kpas)
    insurers = dict(JourneyPolicy.objects.filter(
        structure_id__in={k.carrying_structure_id for k in advanced}
    ).values_list("structure_id", "insurer"))
    fallback = str(JourneyPolicy._meta.get_field("insurer").get_default())
    # People validated and not yet on a list that waits or said yes: what a new list would hold.
    waiting = dict(
        selectors.journeys_for(request.user, today=today).prefetch_related(None)
        .filter(kpa__in=[k.pk for k in advanced], status=JourneyStatus.VALIDATED)
        .exclude(insurance_entries__answer__in=[InsuranceEntry.Answer.PENDING,
                                                InsuranceEntry.Answer.ACCEPTED])
        .order_by().values("kpa_id").annotate(n=Count("pk", distinct=True))
        .values_list("kpa_id", "n")
    )
    creators = [
        (kpa, waiting.get(kpa.pk, 0), InsuranceCreateForm(
            kpas=kpas, auto_id=f"id_kpa{kpa.pk}_%s", initial={"kpa": kpa.pk},
            default_insurer=insurers.get(kpa.carrying_structure_id, fallback)))
        for kpa in advanced
    ]
    return render(request, "journey/insurance_lists.html", {
        "lists": lists, "creators": creators,
    })


@login_required
@require_POST
def insurance_create(request: HttpRequest) -> HttpResponse:
    today = dates.local_today()
    form = InsuranceCreateForm(request.POST,
                               kpas=selectors.kpas_advanced(request.user, today=today))
    if not form.is_valid():
        if "kpa" in form.errors:
            raise Http404  # a KPA out of reach, or junk
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
        return redirect("journey:insurance_lists")
    try:
        insurance_list = services.create_insurance_list(
            actor=request.user, kpa=form.cleaned_data["kpa"], today=today,
            insurer=form.cleaned_data["insurer"])
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("journey:insurance_lists")
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, _("La fiche navette est prête : téléchargez-la, envoyez-la à "
                                "l'assureur, puis notez ici le jour de l'envoi."))
    return redirect(insurance_list)


def _detail(request: HttpRequest, insurance_list: InsuranceList, today: dt.date, *,
            sent_form: InsuranceSentForm | None = None, status: int = 200) -> HttpResponse:
    can_advance = permissions.can_advance_kpa(request.user, insurance_list.kpa, today=today)
    draft = insurance_list.status == InsuranceList.Status.DRAFT
    return render(request, "journey/insurance_detail.html", {
        "insurance_list": insurance_list, "entries": _entries(insurance_list),
        "can_advance": can_advance,
        "sent_form": (sent_form or InsuranceSentForm(initial={"sent_on": today}))
        if can_advance and draft else None,
        "can_answer": can_advance and insurance_list.status == InsuranceList.Status.SENT,
    }, status=status)


@login_required
@require_GET
def insurance_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    today = dates.local_today()
    insurance_list = _list(request, pk, today)
    fmt = wanted_format(request)
    if fmt == "csv":
        return csv_response(f"fiche-navette-{insurance_list.pk}.csv",
                            insurance_list_rows(insurance_list))
    if fmt == "pdf":
        response = HttpResponse(render_insurance_list_pdf(insurance_list),
                                content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="fiche-navette-{insurance_list.pk}.pdf"')
        return response
    return _detail(request, insurance_list, today)


@login_required
@require_POST
def insurance_sent(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    insurance_list = _list(request, pk, today)
    gate(permissions.can_advance_kpa(request.user, insurance_list.kpa, today=today))
    form = InsuranceSentForm(request.POST)
    if form.is_valid():
        try:
            services.mark_insurance_list_sent(actor=request.user, insurance_list=insurance_list,
                                              sent_on=form.cleaned_data["sent_on"], today=today)
        except ValidationError as error:
            if insurance_list.status != InsuranceList.Status.DRAFT:
                # Already sent: no form to show the message on.
                messages.error(request, " ".join(error.messages))
                return redirect(insurance_list)
            add_service_errors(form, error)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _("La fiche est notée comme envoyée. Notez la réponse de "
                                        "l'assureur quand elle arrive."))
            return redirect(insurance_list)
    return _detail(request, insurance_list, today, sent_form=form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def insurance_answer(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    insurance_list = _list(request, pk, today)
    gate(permissions.can_advance_kpa(request.user, insurance_list.kpa, today=today))
    posted = request.method == "POST"
    form = InsuranceAnswerForm(request.POST if posted else None, insurance_list=insurance_list,
                               entries=_entries(insurance_list), initial={"answered_on": today})
    if posted and form.is_valid():
        try:
            services.record_insurance_answer(
                actor=request.user, insurance_list=insurance_list, answers=form.answers,
                answered_on=form.cleaned_data["answered_on"], today=today)
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _("La réponse de l'assureur est notée. Les personnes "
                                        "acceptées peuvent recevoir leur contrat CAPE."))
            return redirect(insurance_list)
    context: dict[str, Any] = {
        "insurance_list": insurance_list, "form": form,
        "open": insurance_list.status == InsuranceList.Status.SENT,
    }
    return render(request, "journey/insurance_answer.html", context, status=400 if posted else 200)
