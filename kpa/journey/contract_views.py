"""The CAPE contract pages: issue, read, sign (typed name or scanned copy), reissue a late one,
renew, activate, exit, and the list of contracts ending soon.

Thin views: `dates.local_today()` (looked up on the module so tests can move the day), a scoped
selector (out of reach is 404), the `can_*` gate (a visible contract the user may not act on is
404 too), one service from `contracts.py`, then a redirect with a French message. A service's
ValidationError lands on the form; a button-only POST shows it as an error message instead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kpa.core import dates
from kpa.core.audit import events_for
from kpa.core.tenancy import get_in_scope
from kpa.journey import contracts, permissions, rules, selectors
from kpa.journey.contract_forms import (
    ONE_DAY,
    EndingSoonForm,
    ExitForm,
    PeriodForm,
    RenewForm,
    SignedCopyForm,
    SignForm,
    longest_last_day,
)
from kpa.journey.models import Contract, Journey, JourneyStatus
from kpa.journey.pdf import render_certificate_pdf
from kpa.journey.uploads import sniff_type
from kpa.journey.view_helpers import acted, add_errors, form_data, form_page, gate, submit

# The services speak of the exclusive end; the forms ask for the last day.
PERIOD_FIELDS = {"ends_on": "last_day"}
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png",
              "image/webp": "webp"}


def _contract(request: HttpRequest, pk: int, today: dt.date) -> Contract:
    return get_in_scope(selectors.contracts_for(request.user, today=today), pk=pk)


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# ---- issue and read -------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def issue(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    journey = selectors.journey_for(request.user, pk, today=today)
    gate(permissions.can_advance_journey(request.user, journey, today=today))
    form = PeriodForm(form_data(request),
                      initial={"starts_on": today, "last_day": longest_last_day(today)})
    done = submit(
        request, form,
        lambda: contracts.issue_contract(actor=request.user, journey=journey,
                                         starts_on=form.cleaned_data["starts_on"],
                                         ends_on=form.ends_on, today=today),
        _("Le contrat CAPE est émis. %(name)s peut le lire et le signer.")
        % {"name": journey.person.full_name},
        rename=PERIOD_FIELDS,
    )
    return done or form_page(request, "journey/contract_issue.html", {
        "journey": journey, "form": form,
        "ready": journey.status == JourneyStatus.INSURED,
    })


def _detail(request: HttpRequest, contract: Contract, today: dt.date, *,
            upload_form: SignedCopyForm | None = None, status: int = 200) -> HttpResponse:
    journey = contract.journey
    can_advance = permissions.can_advance_journey(request.user, journey, today=today)
    can_sign = permissions.can_sign_contract(request.user, journey, today=today)
    waiting = contract.status == Contract.Status.SENT
    late = waiting and today > contract.starts_on
    can_decide = (can_advance and journey.status == JourneyStatus.ACTIVE
                  and contract.status == Contract.Status.SIGNED and not contract.decision)
    replaced_by = (Contract.objects.filter(replaces=contract)
                   .only("pk", "starts_on", "ends_on", "issued_at").first())
    return render(request, "journey/contract_detail.html", {
        "contract": contract, "journey": journey, "today": today,
        "events": events_for(contract).select_related("actor__person").order_by("at", "pk"),
        "replaced_by": replaced_by,
        "late": late,
        "can_advance": can_advance,
        "sign_form": SignForm() if can_sign and waiting and not late else None,
        # A refused upload keeps its form, so its message shows even if the day has passed.
        "upload_form": upload_form if upload_form is not None
        else SignedCopyForm() if can_advance and waiting and not late else None,
        "can_reissue": can_advance and late,
        "can_decide": can_decide,
        "can_renew": can_decide and contract.period_number <= rules.MAX_RENEWALS,
        "can_activate": can_advance and journey.status == JourneyStatus.SIGNED,
        "can_exit": can_advance and journey.status == JourneyStatus.ACTIVE,
    }, status=status)


@login_required
@require_GET
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    return _detail(request, _contract(request, pk, today), today)


@login_required
@require_GET
def contract_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _contract(request, pk, dates.local_today())
    return _pdf(bytes(contract.pdf), f"contrat-cape-{contract.pk}.pdf")


@login_required
@require_GET
def signed_copy(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _contract(request, pk, dates.local_today())
    if not contract.signed_copy:
        raise Http404
    content = bytes(contract.signed_copy)
    mime = sniff_type(content) or "application/octet-stream"
    response = HttpResponse(content, content_type=mime)
    name = f"contrat-cape-{contract.pk}-signe.{EXTENSIONS.get(mime, 'bin')}"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@login_required
@require_GET
def certificate(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _contract(request, pk, dates.local_today())
    if contract.status != Contract.Status.SIGNED:
        raise Http404
    return _pdf(render_certificate_pdf(contract), f"certificat-signature-{contract.pk}.pdf")


# ---- signature --------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def sign(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    contract = _contract(request, pk, today)
    gate(permissions.can_sign_contract(request.user, contract.journey, today=today))
    form = SignForm(form_data(request))
    done = submit(
        request, form,
        lambda: contracts.sign_contract(actor=request.user, contract=contract,
                                        typed_name=form.cleaned_data["typed_name"], today=today),
        _("Merci : votre contrat est signé. Son certificat de signature est prêt."),
    )
    waiting = contract.status == Contract.Status.SENT
    return done or form_page(request, "journey/sign.html", {
        "contract": contract, "journey": contract.journey, "form": form,
        "signable": waiting and today <= contract.starts_on,
        "late": waiting and today > contract.starts_on,
    })


@login_required
@require_POST
def upload_signed_copy(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    contract = _contract(request, pk, today)
    gate(permissions.can_advance_journey(request.user, contract.journey, today=today))
    form = SignedCopyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            contracts.upload_signed_copy(actor=request.user, contract=contract,
                                         content=form.cleaned_data["file"].read(), today=today)
        except ValidationError as error:
            add_errors(form, error)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _("La copie signée est enregistrée : le contrat est signé."))
            return redirect(contract)
    return _detail(request, contract, today, upload_form=form, status=400)


# ---- reissue and renew ----------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def reissue(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    contract = _contract(request, pk, today)
    gate(permissions.can_advance_journey(request.user, contract.journey, today=today))
    # Same length as the late contract, within twelve months.
    same_length = today + (contract.ends_on - contract.starts_on) - ONE_DAY
    form = PeriodForm(form_data(request), initial={
        "starts_on": today, "last_day": min(same_length, longest_last_day(today))})
    done = submit(
        request, form,
        lambda: contracts.reissue_contract(actor=request.user, contract=contract,
                                           starts_on=form.cleaned_data["starts_on"],
                                           ends_on=form.ends_on, today=today),
        _("Le contrat est réémis avec les nouvelles dates ; l'ancien est annulé. Il reste à le "
          "signer."),
        rename=PERIOD_FIELDS,
    )
    return done or form_page(request, "journey/reissue.html", {
        "contract": contract, "journey": contract.journey, "form": form,
        "late": contract.status == Contract.Status.SENT and today > contract.starts_on,
    })


@login_required
@require_http_methods(["GET", "POST"])
def renew(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    contract = _contract(request, pk, today)
    journey = contract.journey
    gate(permissions.can_advance_journey(request.user, journey, today=today))
    chain = contracts.chain_of(journey)
    first_start = chain[0].starts_on if chain else contract.starts_on
    total_end = rules.add_months(first_start, rules.MAX_TOTAL_MONTHS)
    renewals_left = max(0, rules.MAX_RENEWALS - (len(chain) - 1))
    latest_end = min(rules.add_months(contract.ends_on, rules.MAX_PERIOD_MONTHS), total_end)
    renewable = (journey.status == JourneyStatus.ACTIVE
                 and contract.status == Contract.Status.SIGNED and not contract.decision
                 and renewals_left > 0 and latest_end > contract.ends_on)
    form = RenewForm(form_data(request), initial={"last_day": latest_end - ONE_DAY})
    done = submit(
        request, form,
        lambda: contracts.renew_contract(actor=request.user, contract=contract,
                                         ends_on=form.ends_on, today=today),
        _("Le renouvellement est émis. %(name)s peut le lire et le signer.")
        % {"name": journey.person.full_name},
        rename=PERIOD_FIELDS,
    )
    return done or form_page(request, "journey/renew.html", {
        "contract": contract, "journey": journey, "form": form, "chain": chain,
        "renewable": renewable, "renewals_left": renewals_left,
        "new_start": contract.ends_on, "latest_last_day": latest_end - ONE_DAY,
        "total_last_day": total_end - ONE_DAY,
    })


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Two buttons: at the end of this period the person leaves, or moves to a CESA."""
    today = dates.local_today()
    contract = _contract(request, pk, today)
    gate(permissions.can_advance_journey(request.user, contract.journey, today=today))
    acted(request, lambda: contracts.decide_next_step(
        actor=request.user, contract=contract, decision=request.POST.get("decision", ""),
        today=today), _("La suite est notée. Le jour venu, enregistrez la sortie du parcours."))
    return redirect(contract)


# ---- activation and exit --------------------------------------------------------------------

@login_required
@require_POST
def activate(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    journey = selectors.journey_for(request.user, pk, today=today)
    gate(permissions.can_advance_journey(request.user, journey, today=today))
    acted(request, lambda: contracts.activate(actor=request.user, journey=journey, today=today),
          _("%(name)s commence son activité.") % {"name": journey.person.full_name})
    return redirect(journey)


@login_required
@require_http_methods(["GET", "POST"])
def exit_journey(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    journey = selectors.journey_for(request.user, pk, today=today)
    gate(permissions.can_advance_journey(request.user, journey, today=today))
    form = ExitForm(form_data(request), initial={"exited_on": today})
    done = submit(
        request, form,
        lambda: contracts.record_exit(actor=request.user, journey=journey,
                                      exited_on=form.cleaned_data["exited_on"],
                                      exit_kind=form.cleaned_data["exit_kind"],
                                      destination=form.cleaned_data["destination"],
                                      today=today),
        _("La sortie de %(name)s est enregistrée.") % {"name": journey.person.full_name},
    )
    # The period running today, not a signed renewal that has not begun.
    signed = [c for c in contracts.chain_of(journey)
              if c.status == Contract.Status.SIGNED and c.starts_on <= today]
    return done or form_page(request, "journey/exit.html", {
        "journey": journey, "form": form, "last_signed": signed[-1] if signed else None,
        "ended": journey.status == JourneyStatus.ENDED,
    })


# ---- contracts ending soon ------------------------------------------------------------------

@dataclass(frozen=True)
class EndingRow:
    contract: Contract
    journey: Journey
    days_left: int


@login_required
@require_GET
def ending_soon(request: HttpRequest) -> HttpResponse:
    today = dates.local_today()
    within_days = EndingSoonForm(request.GET).within_days
    form = EndingSoonForm(initial={"within": within_days})
    # Only what a row shows: the selector also joins the replaced contract, PDF included.
    found = (selectors.contracts_ending_soon(request.user, today=today, within_days=within_days)
             .select_related(None).select_related("journey__person", "journey__kpa"))
    rows = [EndingRow(contract=c, journey=c.journey, days_left=(c.last_day - today).days)
            for c in found]
    return render(request, "journey/ending_soon.html", {
        "form": form, "rows": rows, "within_days": within_days, "today": today,
        "max_periods": rules.MAX_RENEWALS + 1,
    })
