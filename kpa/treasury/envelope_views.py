"""Pages of the contributory budget (envelopes of a collective treasury or a KPA's pot, the
envelope with everyone's rewards, closing) and of the exit settlement.

Thin views: gate → one service or selector → render. Out of reach is 404, never 403; a write
refused by a service's gate is 404 too, and its French refusals land on the form's fields.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kpa.core import dates
from kpa.core.tenancy import get_in_scope
from kpa.directory.permissions import reach_of
from kpa.ledger.models import TreasuryAccount
from kpa.sales.models import Invoice
from kpa.sales.view_helpers import acted, form_data, form_page, gate, submit
from kpa.treasury import balances, envelopes, exits, permissions
from kpa.treasury.envelope_forms import EnvelopeForm, ExitForm, RewardForm, TaskForm
from kpa.treasury.models import Envelope, EnvelopeReward


def envelope_url(envelope: Envelope) -> str:
    return reverse("treasury:envelope_detail", args=[envelope.pk])


def _account(request: HttpRequest, pk: int, today: dt.date) -> TreasuryAccount:
    return get_in_scope(envelopes.envelope_accounts_for(request.user, today), pk=pk)


def _envelope(request: HttpRequest, pk: int, today: dt.date) -> Envelope:
    return get_in_scope(envelopes.envelopes_for(request.user, today), pk=pk)


def _manages_some_structure(request: HttpRequest, today: dt.date) -> bool:
    reach = reach_of(request.user, today)
    return bool(reach.is_admin or reach.managed_structures)


# -- envelopes -------------------------------------------------------------------------------


@login_required
@require_GET
def envelope_index(request: HttpRequest) -> HttpResponse:
    """The treasuries whose budgets the user sees, and the budgets open on them."""
    today = dates.local_today()
    accounts = list(envelopes.envelope_accounts_for(request.user, today))
    counts = envelopes.open_count_by_account([a.pk for a in accounts])
    for account in accounts:
        account.open_envelopes = counts.get(account.pk, 0)  # type: ignore[attr-defined]
    opened = list(envelopes.with_totals(
        envelopes.envelopes_for(request.user, today).filter(status=Envelope.Status.OPEN)
    ).order_by("-opened_at", "-pk"))
    return render(request, "treasury/envelopes/index.html", {
        "accounts": accounts, "opened": opened,
        "settles_exits": _manages_some_structure(request, today)})


@login_required
@require_GET
def account_envelopes(request: HttpRequest, account_pk: int) -> HttpResponse:
    today = dates.local_today()
    account = _account(request, account_pk, today)
    rows = list(envelopes.with_totals(Envelope.objects.filter(source_account=account))
                .select_related("pot_account").order_by("status", "-opened_at", "-pk"))
    figures = balances.figures_of(account.pk, account.structure, today=today)
    return render(request, "treasury/envelopes/account.html", {
        "account": account, "envelopes": rows, "figures": figures,
        "can_open": account.is_active and permissions.can_open_envelope(
            request.user, account, today=today)})


@login_required
@require_http_methods(["GET", "POST"])
def envelope_open(request: HttpRequest, account_pk: int) -> HttpResponse:
    today = dates.local_today()
    account = _account(request, account_pk, today)
    gate(permissions.can_open_envelope(request.user, account, today=today))
    invoices = (Invoice.objects.filter(activity=account.activity,
                                       structure_id=account.structure_id,
                                       status=Invoice.Status.ISSUED)
                .exclude(kind=Invoice.Kind.CREDIT_NOTE).select_related("customer")
                .order_by("-issued_on", "-pk")
                ) if account.kind == TreasuryAccount.Kind.COLLECTIVE else None
    form = EnvelopeForm(form_data(request), invoices=invoices)

    def save() -> Envelope:
        data = form.cleaned_data
        return envelopes.open_envelope(
            actor=request.user, source=account, title=data["title"], today=today,
            amount=data["amount"], description=data["description"],
            source_invoice=data.get("source_invoice"), mode=data["mode"],
            hourly_ceiling=data["hourly_ceiling"],
            rest_to_common_pot=bool(data.get("rest_to_common_pot")))

    done = submit(request, form, save, _("Le budget est ouvert : ajoutez ses tâches."),
                  envelope_url)
    if done is not None:
        return done
    figures = balances.figures_of(account.pk, account.structure, today=today)
    return form_page(request, "treasury/envelopes/open.html",
                     {"account": account, "form": form, "figures": figures})


def _detail_page(request: HttpRequest, envelope: Envelope, today: dt.date, *,
                 reward_form: RewardForm | None = None,
                 task_form: TaskForm | None = None) -> HttpResponse:
    user, source = request.user, envelope.source_account
    is_open = envelope.status == Envelope.Status.OPEN
    sheet = envelopes.sheet_of(envelope)
    reach = reach_of(user, today)
    can_declare = is_open and permissions.can_declare_reward(user, source, today=today)
    if can_declare and reward_form is None:
        reward_form = RewardForm(envelope=envelope, tasks=envelope.tasks.all())
    can_add_task = is_open and permissions.can_open_envelope(user, source, today=today)
    if can_add_task and task_form is None:
        task_form = TaskForm()
    context: dict[str, Any] = {
        "envelope": envelope, "sheet": sheet, "me": reach.person_id,
        "reward_form": reward_form if can_declare else None,
        "task_form": task_form if can_add_task else None,
        "can_close": is_open and permissions.can_close_envelope(user, source, today=today),
    }
    bound = (reward_form is not None and reward_form.is_bound) or (
        task_form is not None and task_form.is_bound)
    return render(request, "treasury/envelopes/detail.html", context,
                  status=400 if bound else 200)


@login_required
@require_GET
def envelope_detail(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    return _detail_page(request, _envelope(request, pk, today), today)


@login_required
@require_POST
def envelope_task_add(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    envelope = _envelope(request, pk, today)
    gate(permissions.can_open_envelope(request.user, envelope.source_account, today=today))
    form = TaskForm(request.POST)
    done = submit(request, form, lambda: envelopes.add_task(
        actor=request.user, envelope=envelope, title=form.cleaned_data["title"],
        grid_amount=form.cleaned_data["grid_amount"], today=today),
        _("Tâche ajoutée."), lambda task: envelope_url(envelope))
    return done or _detail_page(request, envelope, today, task_form=form)


@login_required
@require_POST
def envelope_reward_new(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    envelope = _envelope(request, pk, today)
    gate(permissions.can_declare_reward(request.user, envelope.source_account, today=today))
    form = RewardForm(request.POST, envelope=envelope, tasks=envelope.tasks.all())
    done = submit(request, form, lambda: envelopes.declare_reward(
        actor=request.user, envelope=envelope, task=form.cleaned_data.get("task"),
        amount=form.cleaned_data.get("amount"), hours=form.cleaned_data["hours"],
        note=form.cleaned_data["note"], today=today),
        _("Votre rétribution est notée : tout le groupe la voit."),
        lambda reward: envelope_url(envelope))
    return done or _detail_page(request, envelope, today, reward_form=form)


def _own_reward(request: HttpRequest, pk: int, today: dt.date) -> EnvelopeReward:
    visible = envelopes.envelopes_for(request.user, today)
    reward = get_in_scope(EnvelopeReward.objects.filter(envelope__in=visible)
                          .select_related("envelope__source_account", "task"), pk=pk)
    gate(reward.person_id == reach_of(request.user, today).person_id)
    return reward


@login_required
@require_http_methods(["GET", "POST"])
def envelope_reward_edit(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    reward = _own_reward(request, pk, today)
    envelope = reward.envelope
    gate(envelope.status == Envelope.Status.OPEN)
    initial = {"amount": reward.amount, "note": reward.note,
               "hours": str(reward.hours).replace(".", ",") if reward.hours else ""}
    form = RewardForm(form_data(request), initial=initial, envelope=envelope,
                      tasks=envelope.tasks.none(), editing=True)
    done = submit(request, form, lambda: envelopes.update_reward(
        actor=request.user, reward=reward, amount=form.cleaned_data.get("amount"),
        hours=form.cleaned_data["hours"], note=form.cleaned_data["note"], today=today),
        _("Votre rétribution est changée."), lambda saved: envelope_url(envelope))
    return done or form_page(request, "treasury/envelopes/reward_edit.html",
                             {"reward": reward, "envelope": envelope, "form": form})


@login_required
@require_POST
def envelope_reward_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    reward = _own_reward(request, pk, today)
    envelope = reward.envelope
    acted(request, lambda: envelopes.withdraw_reward(actor=request.user, reward=reward,
                                                     today=today),
          _("Votre rétribution est retirée."))
    return redirect(envelope_url(envelope))


@login_required
@require_http_methods(["GET", "POST"])
def envelope_close(request: HttpRequest, pk: int) -> HttpResponse:
    """The moves closing will post, then the confirmation."""
    today = dates.local_today()
    envelope = _envelope(request, pk, today)
    gate(envelope.status == Envelope.Status.OPEN
         and permissions.can_close_envelope(request.user, envelope.source_account, today=today))
    if request.method == "POST":
        closed = acted(request, lambda: envelopes.close_envelope(
            actor=request.user, envelope=envelope, today=today),
            _("Le budget est clôturé : les rétributions sont sur les trésoreries "
              "individuelles."))
        if closed is not None:
            return redirect(envelope_url(closed))
    plan = envelopes.closing_plan(envelope)
    return render(request, "treasury/envelopes/close.html",
                  {"envelope": envelope, "plan": plan},
                  status=400 if request.method == "POST" else 200)


# -- exit ------------------------------------------------------------------------------------


@login_required
@require_GET
def exit_list(request: HttpRequest) -> HttpResponse:
    """The leaving coopérants' treasuries still to settle, with their balance."""
    today = dates.local_today()
    if not _manages_some_structure(request, today):
        raise Http404
    accounts = list(exits.exits_to_settle(request.user, today))
    by_structure: dict[int, list[TreasuryAccount]] = {}
    for account in accounts:
        by_structure.setdefault(account.structure_id, []).append(account)
    for group in by_structure.values():
        figures = balances.figures_for(group[0].structure, [a.pk for a in group], today=today)
        for account in group:
            account.figures = figures[account.pk]  # type: ignore[attr-defined]
    return render(request, "treasury/exit/list.html", {"accounts": accounts})


@login_required
@require_http_methods(["GET", "POST"])
def exit_settle(request: HttpRequest, account_pk: int) -> HttpResponse:
    today = dates.local_today()
    reach = reach_of(request.user, today)
    accounts = TreasuryAccount.objects.filter(kind=TreasuryAccount.Kind.INDIVIDUAL)
    if not reach.is_admin:
        accounts = accounts.filter(structure_id__in=reach.managed_structures)
    account = get_in_scope(accounts.select_related("structure", "person"), pk=account_pk)
    gate(permissions.can_settle_exit(request.user, account, today=today))
    targets = (TreasuryAccount.objects.filter(structure_id=account.structure_id,
                                              is_active=True)
               .exclude(pk=account.pk).order_by("kind", "label"))
    form = ExitForm(form_data(request), targets=targets)
    done = submit(request, form, lambda: exits.settle_exit(
        actor=request.user, account=account, kind=form.cleaned_data["kind"],
        target=form.cleaned_data["target"], today=today),
        _("Le solde de sortie est réglé et la trésorerie fermée."),
        lambda settlement: reverse("treasury:exit_settle", args=[account.pk]))
    if done is not None:
        return done
    state = exits.preview(account, today=today)
    return form_page(request, "treasury/exit/settle.html",
                     {"account": account, "state": state, "form": form})
