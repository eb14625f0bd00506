"""The contributory budget and exit API, under /api/v1/treasury/: `/envelopes` (list by
account, get, open, add a task, declare a reward, closing preview, close),
`/envelope-rewards/{id}` (change or withdraw one's own reward), `/exits/{account}` (where a
leaving coopérant's treasury stands, settle it).

An envelope, a treasury account, an invoice or a task out of the token user's reach does not
exist (404), also when its id comes in a body; one they see but may not change answers 403;
refused input answers 422 with the services' French messages.
"""

# No `from __future__ import annotations`: ninja reads the query schemas' annotations through
# the paginator's wrapper, whose module cannot resolve names imported in this one.
import datetime as dt

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Query, Router, Status
from ninja.errors import AuthenticationError
from ninja.pagination import LimitOffsetPagination, paginate

from kpa.core import dates
from kpa.core.tenancy import get_in_scope
from kpa.directory.schemas import ErrorOut
from kpa.ledger.models import TreasuryAccount
from kpa.sales.models import Invoice
from kpa.treasury import envelopes, exits, permissions
from kpa.treasury.envelope_schemas import (
    ClosingOut,
    EnvelopeDetailOut,
    EnvelopeFilters,
    EnvelopeIn,
    EnvelopeOut,
    ExitOut,
    ExitSettleIn,
    RewardIn,
    RewardOut,
    RewardPatch,
    TaskIn,
    TaskOut,
)
from kpa.treasury.models import Envelope, EnvelopeReward, EnvelopeTask

router = Router()

NOT_FOUND = {404: ErrorOut}
WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut}


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise AuthenticationError
    return user


def _envelope(user: User, envelope_id: int, today: dt.date) -> Envelope:
    return get_in_scope(envelopes.envelopes_for(user, today), pk=envelope_id)


def with_sheet(envelope: Envelope) -> Envelope:
    """The envelope carrying its tasks, every reward and each person's total."""
    sheet = envelopes.sheet_of(envelope)
    envelope.sheet = sheet  # type: ignore[attr-defined]
    envelope.declared = sheet.declared  # type: ignore[attr-defined]
    return envelope


@router.get("/envelopes", response=list[EnvelopeOut],
            summary="Les budgets contributifs que vous voyez (par trésorerie, par état)")
@paginate(LimitOffsetPagination)
def list_envelopes(request: HttpRequest, filters: Query[EnvelopeFilters]) -> QuerySet[Envelope]:
    found = envelopes.envelopes_for(_user(request), dates.local_today())
    if filters.account is not None:
        found = found.filter(source_account_id=filters.account)
    if filters.status:
        found = found.filter(status=filters.status)
    return envelopes.with_totals(found).order_by("-opened_at", "-pk")


@router.get("/envelopes/{int:envelope_id}", response={200: EnvelopeDetailOut, **NOT_FOUND},
            summary="Un budget : ses tâches et les rétributions de chacun·e")
def get_envelope(request: HttpRequest, envelope_id: int) -> Envelope:
    user, today = _user(request), dates.local_today()
    return with_sheet(_envelope(user, envelope_id, today))


@router.post("/envelopes", response={201: EnvelopeDetailOut, **WRITE_ERRORS},
             summary="Ouvrir un budget sur une trésorerie collective ou une caisse commune")
def open_envelope(request: HttpRequest, payload: EnvelopeIn) -> Status[Envelope]:
    user, today = _user(request), dates.local_today()
    source = get_in_scope(envelopes.envelope_accounts_for(user, today),
                          pk=payload.source_account_id)
    invoice = None
    if payload.source_invoice_id is not None:
        invoice = get_in_scope(Invoice.objects.filter(activity=source.activity,
                                                      structure_id=source.structure_id),
                               pk=payload.source_invoice_id)
    envelope = envelopes.open_envelope(
        actor=user, source=source, title=payload.title, today=today, amount=payload.amount,
        description=payload.description, source_invoice=invoice, mode=payload.mode,
        hourly_ceiling=payload.hourly_ceiling, rest_to_common_pot=payload.rest_to_common_pot)
    return Status(201, with_sheet(envelope))


@router.post("/envelopes/{int:envelope_id}/tasks", response={201: TaskOut, **WRITE_ERRORS},
             summary="Ajouter une tâche à un budget ouvert")
def add_task(request: HttpRequest, envelope_id: int, payload: TaskIn) -> Status[EnvelopeTask]:
    user, today = _user(request), dates.local_today()
    task = envelopes.add_task(actor=user, envelope=_envelope(user, envelope_id, today),
                              title=payload.title, grid_amount=payload.grid_amount,
                              today=today)
    return Status(201, task)


@router.post("/envelopes/{int:envelope_id}/rewards", response={201: RewardOut, **WRITE_ERRORS},
             summary="Déclarer sa rétribution (pour une tâche ou toute la mission)")
def declare_reward(request: HttpRequest, envelope_id: int,
                   payload: RewardIn) -> Status[EnvelopeReward]:
    user, today = _user(request), dates.local_today()
    envelope = _envelope(user, envelope_id, today)
    task = (get_in_scope(EnvelopeTask.objects.filter(envelope=envelope), pk=payload.task_id)
            if payload.task_id is not None else None)
    reward = envelopes.declare_reward(actor=user, envelope=envelope, task=task,
                                      amount=payload.amount, hours=payload.hours,
                                      note=payload.note, today=today)
    return Status(201, EnvelopeReward.objects.select_related("person").get(pk=reward.pk))


def _reward(user: User, reward_id: int, today: dt.date) -> EnvelopeReward:
    visible = envelopes.envelopes_for(user, today)
    return get_in_scope(EnvelopeReward.objects.filter(envelope__in=visible)
                        .select_related("envelope__source_account", "person", "task"),
                        pk=reward_id)


@router.patch("/envelope-rewards/{int:reward_id}", response={200: RewardOut, **WRITE_ERRORS},
              summary="Changer sa rétribution tant que le budget est ouvert")
def update_reward(request: HttpRequest, reward_id: int, payload: RewardPatch) -> EnvelopeReward:
    user, today = _user(request), dates.local_today()
    reward = _reward(user, reward_id, today)
    envelopes.update_reward(actor=user, reward=reward, amount=payload.amount,
                            hours=payload.hours, note=payload.note, today=today)
    return EnvelopeReward.objects.select_related("person").get(pk=reward.pk)


@router.delete("/envelope-rewards/{int:reward_id}", response={204: None, **WRITE_ERRORS},
               summary="Retirer sa rétribution tant que le budget est ouvert")
def withdraw_reward(request: HttpRequest, reward_id: int) -> Status[None]:
    user, today = _user(request), dates.local_today()
    envelopes.withdraw_reward(actor=user, reward=_reward(user, reward_id, today), today=today)
    return Status(204, None)


@router.get("/envelopes/{int:envelope_id}/closing", response={200: ClosingOut, **NOT_FOUND},
            summary="Ce que la clôture versera, à qui")
def closing_preview(request: HttpRequest, envelope_id: int) -> envelopes.ClosingPlan:
    user, today = _user(request), dates.local_today()
    return envelopes.closing_plan(_envelope(user, envelope_id, today))


@router.post("/envelopes/{int:envelope_id}/close",
             response={200: EnvelopeDetailOut, **WRITE_ERRORS},
             summary="Clôturer : chaque rétribution va sur la trésorerie individuelle")
def close_envelope(request: HttpRequest, envelope_id: int) -> Envelope:
    user, today = _user(request), dates.local_today()
    envelope = envelopes.close_envelope(actor=user, envelope=_envelope(user, envelope_id, today),
                                        today=today)
    return with_sheet(envelope)


# -- exit ------------------------------------------------------------------------------------


def _individual(user: User, account_id: int, today: dt.date) -> TreasuryAccount:
    accounts = TreasuryAccount.objects.filter(kind=TreasuryAccount.Kind.INDIVIDUAL)
    account = get_in_scope(accounts.select_related("structure", "person"), pk=account_id)
    if not permissions.can_view_account(user, account, today=today):
        raise Http404
    return account


@router.get("/exits/{int:account_id}", response={200: ExitOut, **NOT_FOUND},
            summary="Où en est la trésorerie d'une personne qui sort")
def exit_state(request: HttpRequest, account_id: int) -> exits.ExitPreview:
    user, today = _user(request), dates.local_today()
    return exits.preview(_individual(user, account_id, today), today=today)


@router.post("/exits/{int:account_id}/settle", response={200: ExitOut, **WRITE_ERRORS},
             summary="Verser le solde à la personne ou le transférer, puis fermer la trésorerie")
def settle_exit(request: HttpRequest, account_id: int, payload: ExitSettleIn) -> exits.ExitPreview:
    user, today = _user(request), dates.local_today()
    account = _individual(user, account_id, today)
    target = None
    if payload.target_account_id is not None:
        target = get_in_scope(TreasuryAccount.objects.filter(structure_id=account.structure_id),
                              pk=payload.target_account_id)
    exits.settle_exit(actor=user, account=account, kind=payload.kind, target=target,
                      today=today)
    account.refresh_from_db()
    return exits.preview(account, today=today)
