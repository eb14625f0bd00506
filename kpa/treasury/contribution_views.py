"""The contribution pages:

- the structure's page (gestionnaire, comptable): its general schemes with their brackets, the
  particular ones, the overrides per activity, the months already counted;
- the scheme form (brackets typed one per row), the override form, ending an override;
- the month run: choose a finished month, see what would be booked account by account, then
  confirm; the month's charges afterwards;
- one charge's computation line by line in plain French, and the charges of one treasury
  account — both reachable by the account's coopérant.

Thin views: scope (out of reach is 404, never 403; a write refused by a gate is 404 too),
one service or read, render.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from kpa.core import dates
from kpa.core.forms import add_service_errors
from kpa.core.money import format_money
from kpa.core.tenancy import get_in_scope
from kpa.directory.models import Structure
from kpa.ledger.models import TreasuryAccount
from kpa.sales.view_helpers import acted, form_data, form_page, gate, submit
from kpa.treasury import contribution, permissions, schemes, selectors
from kpa.treasury.contribution_forms import (
    NEW,
    EndOverrideForm,
    MonthForm,
    OverrideForm,
    SchemeForm,
    bracket_formset,
)
from kpa.treasury.models import (
    ContributionBracket,
    ContributionOverride,
    ContributionScheme,
)

# What the override form calls the fields the services name after the scheme's.
SCALE_FIELDS = {"name": "scale_name", "base": "scale_base", "monthly_fee": "scale_fee",
                "brackets": "__all__"}


def _structure(request: HttpRequest, pk: int, today: dt.date) -> Structure:
    return get_in_scope(schemes.structures_for(request.user, today), pk=pk)


def _scheme_lines(brackets: list[ContributionBracket]) -> list[str]:
    """"De 0 à 30 000 € : 11,5 %", one per bracket."""
    lines = []
    for index, bracket in enumerate(brackets):
        values = {"lower": contribution.format_bound(bracket.lower_bound),
                  "rate": contribution.format_rate(bracket.rate)}
        if index + 1 < len(brackets):
            values["upper"] = contribution.format_bound(brackets[index + 1].lower_bound)
            lines.append(_("De %(lower)s à %(upper)s € : %(rate)s %%") % values)
        else:
            lines.append(_("Au-delà de %(lower)s € : %(rate)s %%") % values)
    return lines


@dataclass(frozen=True)
class SchemeRow:
    scheme: ContributionScheme
    lines: list[str]


# -- the structure's page --------------------------------------------------------------------

@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    today = dates.local_today()
    structures = list(schemes.structures_for(request.user, today))
    gate(bool(structures))
    if len(structures) == 1:
        return redirect("treasury:contribution_structure", pk=structures[0].pk)
    return render(request, "treasury/contribution/index.html", {"structures": structures})


@login_required
@require_GET
def structure_page(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    structure = _structure(request, pk, today)
    user = request.user
    brackets = schemes.brackets_of(structure)
    return render(request, "treasury/contribution/structure.html", {
        "structure": structure,
        "general": [SchemeRow(s, _scheme_lines(brackets.get(s.pk, [])))
                    for s in schemes.schemes_of(structure)],
        "particular": [SchemeRow(s, _scheme_lines(brackets.get(s.pk, [])))
                       for s in schemes.particular_schemes_of(structure)],
        "overrides": list(schemes.overrides_of(structure)),
        "months": list(contribution.months_run(structure)),
        "can_manage": permissions.can_manage_contribution(user, structure, today=today),
        "can_run": permissions.can_run_contribution(user, structure, today=today),
    })


# -- schemes ---------------------------------------------------------------------------------

def _scheme_page(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    return form_page(request, "treasury/contribution/scheme_form.html", context)


def _with_brackets(form: SchemeForm, formset: Any) -> bool:
    """Both valid; the formset's own refusal is shown above the rows."""
    return bool(form.is_valid() and formset.is_valid())


@login_required
@require_http_methods(["GET", "POST"])
def scheme_new(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    structure = _structure(request, pk, today)
    gate(permissions.can_manage_contribution(request.user, structure, today=today))
    form = SchemeForm(form_data(request))
    formset = bracket_formset(form_data(request))
    back = reverse("treasury:contribution_structure", args=[structure.pk])
    if request.method == "POST" and _with_brackets(form, formset):
        done = submit(request, form, lambda: schemes.create_scheme(
            actor=request.user, structure=structure, brackets=formset.brackets(), today=today,
            **form.scheme_fields()), _("Le barème est enregistré."), lambda _s: back)
        if done:
            return done
    return _scheme_page(request, {"structure": structure, "form": form, "formset": formset,
                                  "scheme": None, "back": back})


@login_required
@require_http_methods(["GET", "POST"])
def scheme_edit(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    structures = schemes.structures_for(request.user, today)
    scheme = get_in_scope(ContributionScheme.objects.filter(structure__in=structures)
                          .select_related("structure").prefetch_related("brackets"), pk=pk)
    structure = scheme.structure
    gate(permissions.can_manage_contribution(request.user, structure, today=today))
    form = SchemeForm(form_data(request), initial=SchemeForm.initial_from(scheme))
    formset = bracket_formset(form_data(request), scheme)
    back = reverse("treasury:contribution_structure", args=[structure.pk])
    if request.method == "POST" and _with_brackets(form, formset):
        done = submit(request, form, lambda: schemes.update_scheme(
            actor=request.user, scheme=scheme, brackets=formset.brackets(), today=today,
            **form.scheme_fields()), _("Le barème est modifié."), lambda _s: back)
        if done:
            return done
    return _scheme_page(request, {"structure": structure, "form": form, "formset": formset,
                                  "scheme": scheme, "back": back,
                                  "used": schemes.last_charged_month(scheme)})


# -- overrides -------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def override_new(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    structure = _structure(request, pk, today)
    gate(permissions.can_manage_contribution(request.user, structure, today=today))
    form = OverrideForm(form_data(request), activities=schemes.activities_of(structure),
                        particular=schemes.particular_schemes_of(structure))
    formset = bracket_formset(form_data(request))
    back = reverse("treasury:contribution_structure", args=[structure.pk])
    if request.method == "POST" and form.is_valid():
        new_scale = form.cleaned_data["mode"] == NEW
        if not new_scale or formset.is_valid():
            try:
                schemes.create_override(actor=request.user, today=today,
                                        **form.override_fields(formset.brackets()
                                                               if new_scale else []))
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    error = ValidationError({SCALE_FIELDS.get(key, key): value
                                             for key, value in error.error_dict.items()})
                add_service_errors(form, error)
            except PermissionDenied:
                raise Http404 from None
            else:
                messages.success(request, _("La dérogation est enregistrée."))
                return redirect(back)
    return form_page(request, "treasury/contribution/override_form.html", {
        "structure": structure, "form": form, "formset": formset, "back": back})


@login_required
@require_http_methods(["GET", "POST"])
def override_end(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    structures = schemes.structures_for(request.user, today)
    override = get_in_scope(ContributionOverride.objects
                            .filter(treasury_account__structure__in=structures)
                            .select_related("treasury_account__structure", "scheme"), pk=pk)
    structure = override.treasury_account.structure
    gate(permissions.can_manage_contribution(request.user, structure, today=today))
    form = EndOverrideForm(form_data(request))
    back = reverse("treasury:contribution_structure", args=[structure.pk])
    done = submit(request, form, lambda: schemes.end_override(
        actor=request.user, override=override, ends_on=form.cleaned_data["ends_on"],
        today=today), _("La dérogation s'arrête à la date choisie."), lambda _o: back)
    return done or form_page(request, "treasury/contribution/override_end.html", {
        "override": override, "form": form, "back": back})


# -- the monthly run -------------------------------------------------------------------------

def _run_message(result: contribution.RunResult) -> str:
    plan = result.plan
    text = ngettext(
        "Contribution de %(month)s comptée : %(count)d compte, %(entries)d écriture(s), "
        "total %(total)s €.",
        "Contribution de %(month)s comptée : %(count)d comptes, %(entries)d écriture(s), "
        "total %(total)s €.", result.created) % {
        "month": contribution.month_code(plan.month), "count": result.created,
        "entries": result.booked, "total": format_money(plan.total)}
    if result.skipped:
        text += " " + ngettext(
            "%(count)d compte était déjà compté : laissé tel quel.",
            "%(count)d comptes étaient déjà comptés : laissés tels quels.",
            result.skipped) % {"count": result.skipped}
    return text


@login_required
@require_http_methods(["GET", "POST"])
def run_page(request: HttpRequest, pk: int) -> HttpResponse:
    """GET without a month: choose it; GET with a month: the preview; POST: run it."""
    today = dates.local_today()
    structure = _structure(request, pk, today)
    gate(permissions.can_run_contribution(request.user, structure, today=today))
    source = request.POST if request.method == "POST" else (
        request.GET if "month" in request.GET else None)
    form = MonthForm(source, today=today)
    month = form.chosen
    if month is not None and request.method == "POST":
        result = acted(request, lambda: contribution.run_month(
            actor=request.user, structure=structure, month=month, today=today), _run_message)
        if result is not None:
            return redirect("treasury:contribution_month", pk=structure.pk, year=month.year,
                            month=month.month)
    plan = None
    if month is not None and request.method == "GET":
        try:
            plan = contribution.preview_month(actor=request.user, structure=structure,
                                              month=month, today=today)
        except ValidationError as error:
            add_service_errors(form, error)
    return render(request, "treasury/contribution/run.html", {
        "structure": structure, "form": form, "plan": plan,
        "month_name": contribution.month_name(month) if month else "",
    })


@login_required
@require_GET
def month_page(request: HttpRequest, pk: int, year: int, month: int) -> HttpResponse:
    today = dates.local_today()
    structure = _structure(request, pk, today)
    try:
        first = dt.date(year, month, 1)
    except ValueError:
        raise Http404 from None
    charges = list(contribution.charges_of_month(structure, first))
    return render(request, "treasury/contribution/month.html", {
        "structure": structure, "month": first, "month_name": contribution.month_name(first),
        "charges": charges, "total": sum((c.amount for c in charges), contribution.ZERO),
        "can_run": permissions.can_run_contribution(request.user, structure, today=today),
    })


# -- what a coopérant sees -------------------------------------------------------------------

@login_required
@require_GET
def charge_page(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    charge = get_in_scope(contribution.charges_for(request.user, today).select_related(
        "treasury_account__activity", "treasury_account__structure", "entry__journal",
        "scheme"), pk=pk)
    gate(permissions.can_view_account(request.user, charge.treasury_account, today=today))
    return render(request, "treasury/contribution/charge.html", {
        "charge": charge, "account": charge.treasury_account,
        "month_name": contribution.month_name(charge.month),
        "lines": contribution.describe(charge.detail),
        "refund": -charge.amount if charge.amount < 0 else None,
        "keeps_books": permissions.keeps_books_of(request.user, charge.structure_id,
                                                  today=today),
    })


@login_required
@require_GET
def account_page(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    account = get_in_scope(selectors.accounts_for(request.user, today), pk=pk)
    gate(permissions.can_view_account(request.user, account, today=today))
    charges = list(contribution.charges_of_account(account))
    return render(request, "treasury/contribution/account.html", {
        "account": account, "charges": charges,
        "rows": [(c, contribution.month_name(c.month)) for c in charges],
        "individual": account.kind == TreasuryAccount.Kind.INDIVIDUAL,
    })
