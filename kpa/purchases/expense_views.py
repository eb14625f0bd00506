"""The expense pages: "Mes notes de frais", a claim and its lines (receipts taken with the
phone's camera), the structure's queue "Notes de frais à valider" and its deadlines.

A claim out of reach is 404, never 403; an action a service refuses with PermissionDenied on a
visible claim is 404 too; its French ValidationError comes back on the form or as a message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kpa.core import dates
from kpa.core.forms import add_service_errors
from kpa.core.money import format_money
from kpa.core.tenancy import get_in_scope
from kpa.directory.models import Structure
from kpa.directory.permissions import reach_of
from kpa.purchases import expense_selectors as selectors
from kpa.purchases import expenses, permissions
from kpa.purchases.expense_forms import (
    ClaimForm,
    DeadlineFormSet,
    LineForm,
    ReimburseForm,
    RejectForm,
)
from kpa.purchases.models import ZERO, ExpenseClaim, ExpenseLine

T = TypeVar("T")

RECEIPT_EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png",
                      "image/webp": "webp"}


def _claim_url(claim: ExpenseClaim) -> str:
    return reverse("purchases:expense_claim", args=[claim.pk])


def _run(request: HttpRequest, call: Callable[[], T], form: BaseForm | None = None
         ) -> T | None:
    """Call one service: its refusal goes on the form (or as messages); None when refused.
    A gate's refusal on a visible claim is 404, like an invisible one."""
    try:
        return call()
    except ValidationError as error:
        if form is not None:
            add_service_errors(form, error)
        else:
            for message in error.messages:
                messages.error(request, message)
        return None
    except PermissionDenied:
        raise Http404 from None


# -- "Mes notes de frais" -------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def expense_list(request: HttpRequest) -> HttpResponse:
    today = dates.local_today()
    activities = list(selectors.claimable_activities(request.user, today))
    form = ClaimForm(request.POST if request.method == "POST" else None,
                     activities=activities, initial={"month": today.replace(day=1)})
    if request.method == "POST" and form.is_valid():
        claim = _run(request, lambda: expenses.create_claim(
            actor=request.user, activity=form.cleaned_data["activity"],
            month=form.cleaned_data["month"], today=today), form)
        if claim is not None:
            messages.success(request, _("La note de frais est créée : ajoutez vos dépenses."))
            return redirect(_claim_url(claim))
    return render(request, "purchases/expenses/list.html", {
        "claims": list(selectors.my_claims(request.user, today)),
        "form": form if activities else None,
        "sees_queue": selectors.may_see_queue(request.user, today),
    }, status=400 if request.method == "POST" else 200)


# -- one claim ------------------------------------------------------------------------------


def _claim_context(request: HttpRequest, claim: ExpenseClaim, today: dt.date, *,
                   line_form: LineForm | None = None, reject_form: RejectForm | None = None,
                   reimburse_form: ReimburseForm | None = None) -> dict[str, Any]:
    user = request.user
    lines = list(selectors.lines_of(claim))
    franchise = claim.structure.vat_regime == Structure.VatRegime.FRANCHISE
    editable = permissions.can_edit_claim(user, claim, today=today)
    deciding = (claim.status == ExpenseClaim.Status.SUBMITTED
                and permissions.can_decide_claim(user, claim, today=today))
    reimbursing = (claim.status == ExpenseClaim.Status.VALIDATED
                   and permissions.can_record_reimbursement(user, claim.structure, today=today))
    deadlines = expenses.deadlines_of(claim.structure_id) if editable else []
    next_deadline = None
    if editable:
        next_deadline = expenses.deadline_for(claim.month, deadlines)
    return {
        "claim": claim, "lines": lines, "franchise": franchise, "today": today,
        "total": sum((line.amount_incl_vat for line in lines), ZERO),
        "vat": sum((line.recoverable_vat for line in lines), ZERO),
        "editable": editable, "next_deadline": next_deadline,
        "line_form": (line_form or LineForm(franchise=franchise, auto_id="ligne_%s",
                                            initial={"spent_on": min(today, _last_day(claim))})
                      ) if editable else None,
        "reject_form": (reject_form or RejectForm(auto_id="refus_%s")) if deciding else None,
        "reimburse_form": (reimburse_form or ReimburseForm(
            auto_id="remboursement_%s", initial={"paid_on": today})) if reimbursing else None,
        "deciding": deciding, "mine": claim.person_id == reach_of(user, today).person_id,
    }


def _last_day(claim: ExpenseClaim) -> dt.date:
    return (claim.month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(
        days=1)


@login_required
@require_GET
def expense_claim(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    claim = selectors.claim_in_reach(request.user, pk, today)
    return render(request, "purchases/expenses/claim.html",
                  _claim_context(request, claim, today))


@login_required
@require_POST
def expense_line_add(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    claim = selectors.claim_in_reach(request.user, pk, today)
    if not permissions.can_edit_claim(request.user, claim, today=today):
        raise Http404
    franchise = claim.structure.vat_regime == Structure.VatRegime.FRANCHISE
    form = LineForm(request.POST, request.FILES, franchise=franchise, auto_id="ligne_%s")
    if form.is_valid():
        line = _run(request, lambda: expenses.add_line(
            actor=request.user, claim=claim, today=today, **form.service_values()), form)
        if line is not None:
            messages.success(request, _("Dépense ajoutée : %(amount)s €.")
                             % {"amount": format_money(line.amount_incl_vat)})
            return redirect(_claim_url(claim))
    return render(request, "purchases/expenses/claim.html",
                  _claim_context(request, claim, today, line_form=form), status=400)


@login_required
@require_http_methods(["GET", "POST"])
def expense_line_edit(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    line = selectors.line_in_reach(request.user, pk, today)
    claim = line.claim
    if not permissions.can_edit_claim(request.user, claim, today=today):
        raise Http404
    franchise = claim.structure.vat_regime == Structure.VatRegime.FRANCHISE
    initial = {"spent_on": line.spent_on, "category": line.category,
               "description": line.description,
               "amount_incl_vat": "" if line.distance_km else str(line.amount_incl_vat),
               "recoverable_vat": str(line.recoverable_vat),
               "distance_km": "" if line.distance_km is None else str(line.distance_km),
               "fiscal_horsepower": line.fiscal_horsepower, "electric": line.electric}
    form = LineForm(request.POST if request.method == "POST" else None,
                    request.FILES if request.method == "POST" else None,
                    franchise=franchise, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = _run(request, lambda: expenses.update_line(
            actor=request.user, line=line, today=today, **form.service_values()), form)
        if saved is not None:
            messages.success(request, _("Dépense modifiée."))
            return redirect(_claim_url(claim))
    return render(request, "purchases/expenses/line_edit.html",
                  {"claim": claim, "line": line, "form": form},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def expense_line_delete(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    line = selectors.line_in_reach(request.user, pk, today)
    if _run(request, lambda: expenses.delete_line(actor=request.user, line=line, today=today)
            or True):
        messages.success(request, _("Dépense retirée."))
    return redirect(_claim_url(line.claim))


@login_required
@require_GET
def expense_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """The receipt as it was sent, shown in the browser, for those who see the claim."""
    today = dates.local_today()
    line = selectors.line_in_reach(request.user, pk, today, with_receipt=True)
    if not line.receipt:
        raise Http404
    return receipt_response(line)


def receipt_response(line: ExpenseLine) -> HttpResponse:
    """The receipt's bytes with the type its first bytes gave when it was checked."""
    extension = RECEIPT_EXTENSIONS.get(line.receipt_type, "bin")
    response = HttpResponse(bytes(line.receipt or b""),
                            content_type=line.receipt_type or "application/octet-stream")
    response["Content-Disposition"] = (
        f'inline; filename="justificatif-NF{line.claim_id}-{line.pk}.{extension}"')
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def expense_submit(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    claim = selectors.claim_in_reach(request.user, pk, today)
    if _run(request, lambda: expenses.submit_claim(actor=request.user, claim=claim,
                                                   today=today)):
        messages.success(request, _("La note de frais est envoyée à la structure. Vous serez "
                                    "prévenu·e quand elle sera validée."))
    return redirect(_claim_url(claim))


@login_required
@require_POST
def expense_delete(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    claim = selectors.claim_in_reach(request.user, pk, today)
    if _run(request, lambda: expenses.delete_claim(actor=request.user, claim=claim,
                                                   today=today) or True):
        messages.success(request, _("Le brouillon est supprimé."))
        return redirect("purchases:expense_list")
    return redirect(_claim_url(claim))


def _back(request: HttpRequest, claim: ExpenseClaim) -> HttpResponse:
    """The queue sends people back to itself."""
    if request.POST.get("next") == "queue":
        return redirect("purchases:expense_queue")
    return redirect(_claim_url(claim))


@login_required
@require_POST
def expense_validate(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    claim = selectors.claim_in_reach(request.user, pk, today)
    if _run(request, lambda: expenses.validate_claim(actor=request.user, claim=claim,
                                                     today=today)):
        messages.success(request, _("Note de frais NF-%(id)s validée et passée en "
                                    "comptabilité.") % {"id": claim.pk})
    return _back(request, claim)


@login_required
@require_POST
def expense_reject(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    claim = selectors.claim_in_reach(request.user, pk, today)
    if not permissions.can_decide_claim(request.user, claim, today=today):
        raise Http404
    form = RejectForm(request.POST, auto_id="refus_%s")
    if form.is_valid() and _run(request, lambda: expenses.reject_claim(
            actor=request.user, claim=claim, reason=form.cleaned_data["reason"],
            today=today), form) is not None:
        messages.success(request, _("Note de frais NF-%(id)s refusée ; la personne est "
                                    "prévenue.") % {"id": claim.pk})
        return _back(request, claim)
    return render(request, "purchases/expenses/claim.html",
                  _claim_context(request, claim, today, reject_form=form), status=400)


@login_required
@require_POST
def expense_reimburse(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    claim = selectors.claim_in_reach(request.user, pk, today)
    if not permissions.can_record_reimbursement(request.user, claim.structure, today=today):
        raise Http404
    form = ReimburseForm(request.POST, auto_id="remboursement_%s")
    if form.is_valid() and _run(request, lambda: expenses.record_reimbursement(
            actor=request.user, claim=claim, paid_on=form.cleaned_data["paid_on"],
            today=today), form) is not None:
        messages.success(request, _("Remboursement de la note NF-%(id)s enregistré.")
                         % {"id": claim.pk})
        return _back(request, claim)
    return render(request, "purchases/expenses/claim.html",
                  _claim_context(request, claim, today, reimburse_form=form), status=400)


# -- the structure's side -------------------------------------------------------------------


@login_required
@require_GET
def expense_queue(request: HttpRequest) -> HttpResponse:
    today = dates.local_today()
    if not selectors.may_see_queue(request.user, today):
        raise Http404
    claims = list(selectors.queue_for(request.user, today))
    submitted = [c for c in claims if c.status == ExpenseClaim.Status.SUBMITTED]
    validated = [c for c in claims if c.status == ExpenseClaim.Status.VALIDATED]
    return render(request, "purchases/expenses/queue.html", {
        "submitted": submitted, "validated": validated, "today": today,
        "deciders": {c.structure_id for c in submitted
                     if permissions.manages_structure(request.user, c.structure_id,
                                                      today=today)},
        "configures": selectors.configurable_structures(request.user, today).exists(),
    })


@login_required
@require_GET
def expense_deadline_structures(request: HttpRequest) -> HttpResponse:
    today = dates.local_today()
    structures = list(selectors.configurable_structures(request.user, today))
    if not structures:
        raise Http404
    if len(structures) == 1:
        return redirect("purchases:expense_deadlines", pk=structures[0].pk)
    return render(request, "purchases/expenses/deadline_structures.html",
                  {"structures": structures})


@login_required
@require_http_methods(["GET", "POST"])
def expense_deadlines(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    structure = get_in_scope(selectors.configurable_structures(request.user, today), pk=pk)
    initial = [{"covers_before": c, "closes_on": d}
               for c, d in expenses.deadlines_of(structure.pk)]
    formset = DeadlineFormSet(request.POST if request.method == "POST" else None,
                              initial=initial, prefix="dates")
    refusals: list[str] = []
    if request.method == "POST" and formset.is_valid():
        pairs = [p for form in formset.forms if (p := form.pair()) is not None]
        try:
            expenses.set_expense_deadlines(actor=request.user, structure=structure,
                                           deadlines=pairs, today=today)
        except ValidationError as error:
            refusals = error.messages
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _("Les dates limites sont enregistrées."))
            return redirect("purchases:expense_deadlines", pk=structure.pk)
    return render(request, "purchases/expenses/deadlines.html",
                  {"structure": structure, "formset": formset, "refusals": refusals},
                  status=400 if request.method == "POST" else 200)
