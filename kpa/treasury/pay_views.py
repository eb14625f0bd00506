"""The pay pages, phone-first:

- the coopérant's "Demander ma rémunération" (available, the largest net, the cut-off, one
  amount, then a confirmation showing the estimate) and their requests;
- the référent's queue: the requests of their KPA to transmit or refuse;
- the gestionnaire's month: the cut-off, the requests, the CSV export, the summary import with
  its line-numbered report; the structure's pay settings (cut-off day, rates, reminder).

A request or a structure out of reach answers 404; so does a page whose gate refuses.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
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
from kpa.ledger.models import TreasuryAccount
from kpa.treasury import balances, pay, payroll
from kpa.treasury.models import PayRequest
from kpa.treasury.pay_forms import (
    CutoffForm,
    PayRequestForm,
    PayrollImportForm,
    PaySettingsForm,
    RefuseForm,
    parse_month,
)
from kpa.treasury.permissions import can_process_payroll


def _gate(allowed: bool) -> None:
    if not allowed:
        raise Http404


# -- the coopérant --------------------------------------------------------------------------

def _accounts(request: HttpRequest, today: dt.date
              ) -> tuple[list[TreasuryAccount], TreasuryAccount | None]:
    """The user's individual accounts and the one chosen (`compte`), the first by default."""
    accounts = pay.my_accounts(request.user, today)
    wanted = request.POST.get("compte") or request.GET.get("compte")
    if not wanted:
        return accounts, accounts[0] if accounts else None
    for account in accounts:
        if str(account.pk) == wanted:
            return accounts, account
    raise Http404


def _new(request: HttpRequest, accounts: list[TreasuryAccount], account: TreasuryAccount,
         today: dt.date, *, form: PayRequestForm | None = None,
         status: int = 200) -> HttpResponse:
    return render(request, "treasury/pay/request_new.html", {
        "allowance": pay.allowance_for(account, today=today), "form": form or PayRequestForm(),
        "accounts": accounts, "account": account,
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def pay_request_new(request: HttpRequest) -> HttpResponse:
    today = dates.local_today()
    accounts, account = _accounts(request, today)
    if account is None:
        return render(request, "treasury/pay/no_account.html")
    if request.method == "GET":
        return _new(request, accounts, account, today)
    form = PayRequestForm(request.POST)
    if not form.is_valid():
        return _new(request, accounts, account, today, form=form, status=400)
    net, note = form.cleaned_data["net_amount"], form.cleaned_data["note"]
    try:
        if request.POST.get("confirm") != "1":
            allowance, wanted = pay.check_request(account=account, net_amount=net, today=today)
            return render(request, "treasury/pay/request_confirm.html", {
                "allowance": allowance, "estimate": wanted, "note": note, "account": account,
                "left": allowance.available - wanted.cost,
            })
        created = pay.request_pay(actor=request.user, account=account, net_amount=net,
                                  note=note, today=today)
    except ValidationError as error:
        add_service_errors(form, error)
        return _new(request, accounts, account, today, form=form, status=400)
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, _(
        "C'est envoyé : tu demandes %(net)s € net pour %(month)s. Ton ou ta référent·e va "
        "regarder ta demande ; tu recevras un message.") % {
            "net": format_money(created.net_amount), "month": pay.month_name(created.month)})
    return redirect("treasury:pay_request_mine")


@login_required
@require_GET
def pay_request_mine(request: HttpRequest) -> HttpResponse:
    today = dates.local_today()
    return render(request, "treasury/pay/mine.html", {
        "requests": list(pay.my_requests(request.user, today).order_by("-month", "-pk")),
        "has_account": bool(pay.my_accounts(request.user, today)),
    })


@login_required
@require_POST
def pay_request_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    found = get_in_scope(pay.my_requests(request.user, today), pk=pk)
    try:
        pay.cancel_pay_request(actor=request.user, pay_request=found, today=today)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except PermissionDenied:
        raise Http404 from None
    else:
        messages.success(request, _("Ta demande est annulée."))
    return redirect("treasury:pay_request_mine")


# -- the référent ---------------------------------------------------------------------------

def _queue(request: HttpRequest, today: dt.date, *, failed: int | None = None,
           refuse_form: RefuseForm | None = None, status: int = 200) -> HttpResponse:
    waiting = list(pay.review_queue(request.user, today))
    by_structure: dict[int, list[int]] = {}
    structures: dict[int, Structure] = {}
    for item in waiting:
        by_structure.setdefault(item.structure_id, []).append(item.treasury_account_id)
        structures[item.structure_id] = item.structure
    figures: dict[int, balances.Figures] = {}
    for structure_id, account_ids in by_structure.items():
        figures.update(balances.figures_for(structures[structure_id], account_ids,
                                            today=today))
    rows = [{"request": item, "available": figures[item.treasury_account_id].available,
             "form": refuse_form if item.pk == failed and refuse_form else RefuseForm(
                 auto_id=f"refus-{item.pk}-%s")} for item in waiting]
    return render(request, "treasury/pay/queue.html", {"rows": rows}, status=status)


@login_required
@require_GET
def pay_review_queue(request: HttpRequest) -> HttpResponse:
    return _queue(request, dates.local_today())


def _reviewed(request: HttpRequest, pk: int, today: dt.date) -> PayRequest:
    return get_in_scope(pay.requests_for(request.user, today), pk=pk)


@login_required
@require_POST
def pay_request_transmit(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    found = _reviewed(request, pk, today)
    try:
        done = pay.transmit_pay_request(actor=request.user, pay_request=found, today=today)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except PermissionDenied:
        raise Http404 from None
    else:
        messages.success(request, _("La demande de %(name)s est transmise à la paie.")
                         % {"name": done.person})
    return redirect("treasury:pay_review_queue")


@login_required
@require_POST
def pay_request_refuse(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    found = _reviewed(request, pk, today)
    form = RefuseForm(request.POST, auto_id=f"refus-{pk}-%s")
    if form.is_valid():
        try:
            done = pay.refuse_pay_request(actor=request.user, pay_request=found,
                                          reason=form.cleaned_data["reason"], today=today)
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _("La demande de %(name)s est refusée ; elle ou il est "
                                        "prévenu·e.") % {"name": done.person})
            return redirect("treasury:pay_review_queue")
    elif not pay.requests_for(request.user, today).filter(pk=pk).exists():
        raise Http404
    return _queue(request, today, failed=pk, refuse_form=form, status=400)


# -- the gestionnaire -----------------------------------------------------------------------

def _payroll_structures(request: HttpRequest, today: dt.date) -> list[Structure]:
    reach = reach_of(request.user, today)
    structures = Structure.objects.order_by("name")
    if not reach.is_admin:
        structures = structures.filter(pk__in=reach.managed_structures)
    return list(structures)


def _structure(request: HttpRequest, pk: int, today: dt.date) -> Structure:
    structure = get_in_scope(Structure.objects.all(), pk=pk)
    _gate(can_process_payroll(request.user, structure, today=today))
    return structure


@login_required
@require_GET
def payroll_index(request: HttpRequest) -> HttpResponse:
    today = dates.local_today()
    structures = _payroll_structures(request, today)
    if len(structures) == 1:
        return redirect("treasury:payroll_month", structure_pk=structures[0].pk)
    return render(request, "treasury/pay/payroll_index.html", {"structures": structures})


def _month(request: HttpRequest, structure: Structure, today: dt.date) -> dt.date:
    chosen = parse_month(request.POST.get("mois") or request.GET.get("mois"))
    return chosen or pay.pay_month(structure, today).month


def _month_page(request: HttpRequest, structure: Structure, month: dt.date, today: dt.date,
                *, cutoff_form: CutoffForm | None = None,
                import_form: PayrollImportForm | None = None,
                status: int = 200) -> HttpResponse:
    settings = pay.settings_of(structure)
    cutoff_on = pay.cutoff_for(structure, month, settings)
    requests = payroll.month_requests(structure, month)
    counts = dict.fromkeys(PayRequest.Status.values, 0)
    for item in requests:
        counts[item.status] += 1
    return render(request, "treasury/pay/payroll_month.html", {
        "structure": structure, "month": month, "cutoff_on": cutoff_on,
        "previous": (month - dt.timedelta(days=1)).replace(day=1),
        "next": pay.next_month(month), "settings": settings,
        "requests": requests, "counts": [
            (label, counts[value]) for value, label in PayRequest.Status.choices],
        "exportable": counts["transmitted"] + counts["exported"],
        "imports": payroll.imports_of(structure, month),
        "cutoff_form": cutoff_form or CutoffForm(initial={"cutoff_on": cutoff_on}),
        "import_form": import_form or PayrollImportForm(),
        "can_publish": month >= pay.month_of(today),
    }, status=status)


@login_required
@require_GET
def payroll_month(request: HttpRequest, structure_pk: int) -> HttpResponse:
    today = dates.local_today()
    structure = _structure(request, structure_pk, today)
    return _month_page(request, structure, _month(request, structure, today), today)


def _back_to(structure: Structure, month: dt.date) -> HttpResponse:
    url = reverse("treasury:payroll_month", kwargs={"structure_pk": structure.pk})
    return redirect(f"{url}?mois={month:%Y-%m}")


@login_required
@require_POST
def payroll_cutoff(request: HttpRequest, structure_pk: int) -> HttpResponse:
    today = dates.local_today()
    structure = _structure(request, structure_pk, today)
    month = _month(request, structure, today)
    form = CutoffForm(request.POST)
    if form.is_valid():
        try:
            pay.publish_cutoff(actor=request.user, structure=structure, month=month,
                               cutoff_on=form.cleaned_data["cutoff_on"], today=today)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Date limite de %(month)s publiée : le %(day)s.") % {
                "month": pay.month_name(month),
                "day": pay.short_date(form.cleaned_data["cutoff_on"])})
            return _back_to(structure, month)
    return _month_page(request, structure, month, today, cutoff_form=form, status=400)


@login_required
@require_POST
def payroll_export(request: HttpRequest, structure_pk: int) -> HttpResponse:
    today = dates.local_today()
    structure = _structure(request, structure_pk, today)
    month = _month(request, structure, today)
    try:
        exported = payroll.export_month(actor=request.user, structure=structure, month=month,
                                        today=today)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back_to(structure, month)
    response = HttpResponse(exported.content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{exported.file_name}"'
    return response


@login_required
@require_POST
def payroll_import(request: HttpRequest, structure_pk: int) -> HttpResponse:
    today = dates.local_today()
    structure = _structure(request, structure_pk, today)
    month = _month(request, structure, today)
    form = PayrollImportForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > payroll.MAX_FILE_BYTES:
                raise ValidationError({"file": _("Ce fichier fait plus de 2 Mo : un "
                                                 "récapitulatif de paie est bien plus petit.")})
            done = payroll.import_summary(actor=request.user, structure=structure,
                                          month=month, file_name=upload.name,
                                          content=upload.read(), today=today)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Paie de %(month)s comptabilisée : %(count)d "
                                        "rémunération(s).") % {
                "month": pay.month_name(month), "count": done.lines.count()})
            return _back_to(structure, month)
    return _month_page(request, structure, month, today, import_form=form, status=400)


EXAMPLE_NET = Decimal("1000.00")


@login_required
@require_http_methods(["GET", "POST"])
def payroll_settings(request: HttpRequest, structure_pk: int) -> HttpResponse:
    today = dates.local_today()
    structure = _structure(request, structure_pk, today)
    settings = pay.settings_of(structure)
    form = PaySettingsForm(request.POST if request.method == "POST" else None,
                           initial=PaySettingsForm.initial_of(settings))
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            pay.update_settings(actor=request.user, structure=structure,
                                cutoff_day=data["cutoff_day"],
                                employee_rate=data["employee_rate"],
                                employer_rate=data["employer_rate"],
                                reminder_days=data["reminder_days"], today=today)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Réglages de la paie enregistrés."))
            return redirect("treasury:payroll_month", structure_pk=structure.pk)
    return render(request, "treasury/pay/settings.html", {
        "structure": structure, "settings": settings, "form": form,
        "example": pay.estimate(EXAMPLE_NET, settings),
    }, status=400 if form.is_bound else 200)
