"""The contributory budget ("budget contributif"): envelopes, their tasks and the rewards each
contributor declares for themself.

- An envelope reserves funds on a collective treasury or a KPA's common pot: while open, its
  amount counts in the source's committed figure (`commitments`), so it is refused above what
  the source has available. It may come from an issued invoice of the collective activity:
  the amount then defaults to the invoice's amount excl. VAT minus what other envelopes
  already took from it, and may not exceed that.
- Each member declares their own reward per task (a task may stay empty in free mode): in free
  mode an amount, with optional hours checked against the hourly ceiling (0: no ceiling); in
  grid mode the task's planned amount. Only people holding a role in the KPA declare. The
  rewards never add up to more than the envelope. Everyone who sees the envelope sees every
  reward: transparency is how the group regulates itself.
- Closing (the KPA's référent or animateur, or the gestionnaire) posts one OD entry through
  `transfers`: each contributor's total to their individual treasury and, when the rest goes
  to another account (the KPA's common pot), the rest there; then the contributors are told.

Services are keyword-only, take the acting user and `today`, check their gate and audit; the
reads at the end are scoped to what the user may see.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _

from kpa.core import audit
from kpa.core.auth import AnyUser
from kpa.core.money import format_money, parse_amount, quantize
from kpa.core.notifications import notify
from kpa.directory.models import ActivityMembership, Kpa, Person, Role
from kpa.directory.permissions import reach_of
from kpa.ledger.models import TreasuryAccount
from kpa.ledger.treasury_accounts import common_account_for, individual_account_for
from kpa.sales.models import Invoice
from kpa.treasury import permissions, transfers
from kpa.treasury.models import Envelope, EnvelopeReward, EnvelopeTask

ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal(10) ** 12
MAX_HOURS = Decimal("9999.99")
SOURCE_KINDS = (TreasuryAccount.Kind.COLLECTIVE, TreasuryAccount.Kind.COMMON)


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


# -- input -----------------------------------------------------------------------------------


def money(value: Decimal | str | int, field_name: str, *, allow_zero: bool = False) -> Decimal:
    """An amount as typed ("1 234,50") or sent (Decimal), refused in French when it is not a
    positive amount to the cent."""
    try:
        amount = (value if isinstance(value, Decimal)
                  else parse_amount("".join(str(value).split())))
        if not amount.is_finite():
            raise ValueError(value)
    except ValueError:
        raise ValidationError({field_name: _("« %(value)s » n'est pas un montant : écrivez par "
                                             "exemple 120,50.") % {"value": value}}) from None
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ValidationError({field_name: _("Le montant doit être positif.")})
    if amount >= MAX_AMOUNT or amount != quantize(amount):
        raise ValidationError({field_name: _("Un montant s'écrit au centime près, avec 12 "
                                             "chiffres au plus.")})
    return quantize(amount)


def hours_of(value: Decimal | str | int | None) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        hours = (value if isinstance(value, Decimal)
                 else parse_amount(str(value).strip()))
        if not hours.is_finite():
            raise ValueError(value)
    except ValueError:
        raise ValidationError({"hours": _("« %(value)s » n'est pas un nombre d'heures : écrivez "
                                          "par exemple 2,5.") % {"value": value}}) from None
    if hours <= 0 or hours > MAX_HOURS or hours != hours.quantize(Decimal("0.01")):
        raise ValidationError({"hours": _("Un nombre d'heures est positif, avec deux décimales "
                                          "au plus (2,5 pour deux heures et demie).")})
    return hours.quantize(Decimal("0.01"))


def _person_of(actor: AnyUser, today: dt.date) -> Person:
    person_id = reach_of(actor, today).person_id
    if person_id is None:
        raise PermissionDenied
    return Person.objects.get(pk=person_id)


def kpa_of(account: TreasuryAccount) -> Kpa | None:
    kpa_id = permissions.account_kpa_id(account)
    return Kpa.objects.filter(pk=kpa_id).first() if kpa_id is not None else None


def _locked(envelope: Envelope) -> Envelope:
    locked = (Envelope.objects.select_for_update(of=("self",))
              .select_related("source_account__structure", "pot_account").get(pk=envelope.pk))
    if locked.status != Envelope.Status.OPEN:
        raise ValidationError(_("Ce budget est clôturé depuis le %(day)s : il ne change plus.")
                              % {"day": _day(locked.closed_on)})
    return locked


def _day(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def declared_total(envelope: Envelope, *, excluding: EnvelopeReward | None = None) -> Decimal:
    rewards = EnvelopeReward.objects.filter(envelope=envelope)
    if excluding is not None:
        rewards = rewards.exclude(pk=excluding.pk)
    total: Decimal | None = rewards.aggregate(total=Sum("amount"))["total"]
    return total or ZERO


def invoice_room(invoice: Invoice) -> Decimal:
    """What an invoice may still fund: its amount excl. VAT minus the envelopes it funds."""
    taken: Decimal | None = Envelope.objects.filter(source_invoice=invoice).aggregate(
        total=Sum("amount"))["total"]
    return invoice.total_excl_vat - (taken or ZERO)


# -- opening and tasks -----------------------------------------------------------------------


def _check_invoice(invoice: Invoice, source: TreasuryAccount) -> Decimal:
    if (source.kind != TreasuryAccount.Kind.COLLECTIVE
            or invoice.activity_id != source.activity_id
            or invoice.structure_id != source.structure_id):
        raise ValidationError({"source_invoice": _(
            "Cette facture n'est pas une facture de l'activité collective qui finance le "
            "budget.")})
    if not invoice.is_issued or invoice.kind == Invoice.Kind.CREDIT_NOTE:
        raise ValidationError({"source_invoice": _(
            "Un budget se finance par une facture émise (pas un brouillon ni un avoir).")})
    room = invoice_room(invoice)
    if room <= 0:
        raise ValidationError({"source_invoice": _(
            "La facture %(number)s finance déjà d'autres budgets pour tout son montant HT.")
            % {"number": invoice.number}})
    return room


@transaction.atomic
def open_envelope(*, actor: AnyUser, source: TreasuryAccount, title: str, today: dt.date,
                  amount: Decimal | str | None = None, description: str = "",
                  source_invoice: Invoice | None = None, mode: str = Envelope.Mode.FREE,
                  hourly_ceiling: Decimal | str = Decimal("30.00"),
                  rest_to_common_pot: bool = False) -> Envelope:
    """Reserve `amount` on `source` (a collective treasury or a KPA's common pot) for one
    mission. The rest goes back to the source at closing, or to the KPA's common pot."""
    require(permissions.can_open_envelope(actor, source, today=today))
    source = transfers.lock(source)
    errors: dict[str, list[str]] = defaultdict(list)
    if source.kind not in SOURCE_KINDS or not source.is_active:
        raise ValidationError(_("Un budget contributif se finance sur une trésorerie "
                                "collective ou la caisse commune d'un KPA, encore ouverte."))
    if not title.strip():
        errors["title"].append(_("Donnez un nom à la mission (par exemple « Stand du marché "
                                 "de Noël »)."))
    if mode not in Envelope.Mode.values:
        errors["mode"].append(_("Choisissez comment chacun·e est rétribué·e : librement ou "
                                "selon un montant fixé par tâche."))
    ceiling = ZERO
    try:
        ceiling = money(hourly_ceiling, "hourly_ceiling", allow_zero=True)
    except ValidationError as error:
        errors["hourly_ceiling"].extend(error.messages)
    room: Decimal | None = None
    if source_invoice is not None:
        try:
            room = _check_invoice(source_invoice, source)
        except ValidationError as error:
            errors["source_invoice"].extend(error.messages)
    value: Decimal | None = None
    if amount is None or (isinstance(amount, str) and not amount.strip()):
        if source_invoice is None:
            errors["amount"].append(_("Indiquez le montant de l'enveloppe."))
        value = room
    else:
        try:
            value = money(amount, "amount")
        except ValidationError as error:
            errors["amount"].extend(error.messages)
    if value is not None and room is not None and value > room:
        errors["amount"].append(_(
            "La facture %(number)s peut encore financer %(room)s € (son montant HT moins les "
            "autres budgets) : réduisez le montant.")
            % {"number": source_invoice.number if source_invoice else "",
               "room": format_money(room)})
    if errors:
        raise ValidationError(dict(errors))
    assert value is not None
    available = transfers.available_of(source, today=today)
    if value > available:
        raise ValidationError({"amount": _(
            "« %(account)s » n'a que %(available)s € disponibles : l'enveloppe ne peut pas "
            "dépasser ce montant.") % {"account": source.label,
                                       "available": format_money(max(available, ZERO))}})
    pot = source
    if rest_to_common_pot and source.kind != TreasuryAccount.Kind.COMMON:
        kpa = kpa_of(source)
        if kpa is None:
            raise ValidationError({"rest_to_common_pot": _(
                "Cette trésorerie n'appartient à aucun KPA : le reste lui revient.")})
        pot = common_account_for(kpa, actor=actor)
    envelope = Envelope.objects.create(
        structure=source.structure, title=title.strip()[:150], description=description.strip(),
        source_account=source, pot_account=pot, source_invoice=source_invoice, amount=value,
        mode=mode, hourly_ceiling=ceiling, opened_by=actor if actor.is_authenticated else None)
    audit.record(actor=actor, action="treasury.envelope.opened", target=envelope, data={
        "source": source.code, "pot": pot.code, "amount": str(value), "mode": mode,
        "hourly_ceiling": str(ceiling),
        "invoice": source_invoice.number if source_invoice else None})
    return envelope


@transaction.atomic
def add_task(*, actor: AnyUser, envelope: Envelope, title: str, today: dt.date,
             grid_amount: Decimal | str | None = None) -> EnvelopeTask:
    """A task of the mission; in grid mode, with the reward it brings."""
    require(permissions.can_open_envelope(actor, envelope.source_account, today=today))
    envelope = _locked(envelope)
    errors: dict[str, list[str]] = defaultdict(list)
    if not title.strip():
        errors["title"].append(_("Dites en quelques mots ce qu'il y a à faire."))
    planned = ZERO
    if grid_amount is not None and str(grid_amount).strip():
        try:
            planned = money(grid_amount, "grid_amount", allow_zero=True)
        except ValidationError as error:
            errors["grid_amount"].extend(error.messages)
    if envelope.mode == Envelope.Mode.GRID and planned <= 0 and not errors["grid_amount"]:
        errors["grid_amount"].append(_("Dans ce budget, chaque tâche a sa rétribution : "
                                       "indiquez-la."))
    if planned > envelope.amount:
        errors["grid_amount"].append(_("Une tâche ne peut pas rapporter plus que l'enveloppe "
                                       "(%(amount)s €).")
                                     % {"amount": format_money(envelope.amount)})
    if errors:
        raise ValidationError(dict(errors))
    task = EnvelopeTask.objects.create(envelope=envelope, title=title.strip()[:150],
                                       grid_amount=planned)
    audit.record(actor=actor, action="treasury.envelope_task.added", target=envelope,
                 data={"task": task.pk, "title": task.title, "grid_amount": str(planned)})
    return task


# -- rewards ---------------------------------------------------------------------------------


def _reward_amount(envelope: Envelope, task: EnvelopeTask | None,
                   amount: Decimal | str | None, hours: Decimal | None) -> Decimal:
    if envelope.mode == Envelope.Mode.GRID:
        if task is None:
            raise ValidationError({"task": _("Choisissez la tâche que vous avez faite : sa "
                                             "rétribution est fixée d'avance.")})
        if task.grid_amount <= 0:
            raise ValidationError({"task": _("Cette tâche n'a pas de rétribution prévue.")})
        return task.grid_amount
    if amount is None or (isinstance(amount, str) and not amount.strip()):
        raise ValidationError({"amount": _("Indiquez la rétribution que vous demandez.")})
    value = money(amount, "amount")
    if hours is not None and envelope.hourly_ceiling > 0:
        ceiling = quantize(hours * envelope.hourly_ceiling)
        if value > ceiling:
            raise ValidationError({"amount": _(
                "Au plafond de %(rate)s € de l'heure, %(hours)s h font au plus %(max)s €.")
                % {"rate": format_money(envelope.hourly_ceiling),
                   "hours": f"{hours.normalize():f}".replace(".", ","),
                   "max": format_money(ceiling)}})
    return value


def _check_room(envelope: Envelope, value: Decimal, *,
                excluding: EnvelopeReward | None = None) -> None:
    left = envelope.amount - declared_total(envelope, excluding=excluding)
    if value > left:
        raise ValidationError({"amount": _(
            "Il ne reste que %(left)s € dans l'enveloppe de %(amount)s € : demandez au plus "
            "%(left)s €, ou discutez-en avec le groupe.")
            % {"left": format_money(max(left, ZERO)), "amount": format_money(envelope.amount)}})


def _task_of(envelope: Envelope, task: EnvelopeTask | None) -> EnvelopeTask | None:
    if task is not None and task.envelope_id != envelope.pk:
        raise ValidationError({"task": _("Cette tâche n'est pas une tâche de ce budget.")})
    return task


@transaction.atomic
def declare_reward(*, actor: AnyUser, envelope: Envelope, today: dt.date,
                   task: EnvelopeTask | None = None, amount: Decimal | str | None = None,
                   hours: Decimal | str | None = None, note: str = "") -> EnvelopeReward:
    """The acting person declares what they did and the reward they take for it."""
    require(permissions.can_declare_reward(actor, envelope.source_account, today=today))
    person = _person_of(actor, today)
    envelope = _locked(envelope)
    kpa = kpa_of(envelope.source_account)
    if kpa is None or not Role.objects.current(today).filter(person=person, kpa=kpa).exists():
        raise ValidationError(_("Seules les personnes qui ont un rôle dans le KPA (coopérant·e, "
                                "bénévole, équipe) déclarent une rétribution dans ses "
                                "budgets."))
    task = _task_of(envelope, task)
    if EnvelopeReward.objects.filter(envelope=envelope, person=person, task=task).exists():
        raise ValidationError({"task": _("Vous avez déjà déclaré une rétribution pour cette "
                                         "tâche : modifiez-la plutôt.")})
    spent = hours_of(hours)
    value = _reward_amount(envelope, task, amount, spent)
    _check_room(envelope, value)
    reward = EnvelopeReward.objects.create(envelope=envelope, task=task, person=person,
                                           hours=spent, amount=value, note=note.strip()[:300])
    audit.record(actor=actor, action="treasury.envelope_reward.declared", target=envelope,
                 data={"reward": reward.pk, "person": person.pk, "task": task.pk if task else None,
                       "amount": str(value), "hours": str(spent) if spent else None})
    return reward


def _own_reward(actor: AnyUser, reward: EnvelopeReward, today: dt.date) -> Envelope:
    require(permissions.can_declare_reward(actor, reward.envelope.source_account, today=today))
    if reach_of(actor, today).person_id != reward.person_id:
        raise PermissionDenied
    return _locked(reward.envelope)


@transaction.atomic
def update_reward(*, actor: AnyUser, reward: EnvelopeReward, today: dt.date,
                  amount: Decimal | str | None = None, hours: Decimal | str | None = None,
                  note: str | None = None) -> EnvelopeReward:
    """Change one's own reward while the envelope is open. What is not given (None) stays;
    empty hours ("") clear them."""
    envelope = _own_reward(actor, reward, today)
    reward = EnvelopeReward.objects.select_related("task").get(pk=reward.pk)
    spent = reward.hours if hours is None else hours_of(hours)
    value = _reward_amount(envelope, reward.task, reward.amount if amount is None else amount,
                           spent)
    _check_room(envelope, value, excluding=reward)
    before = str(reward.amount)
    reward.amount, reward.hours = value, spent
    if note is not None:
        reward.note = note.strip()[:300]
    reward.save()
    audit.record(actor=actor, action="treasury.envelope_reward.updated", target=envelope,
                 data={"reward": reward.pk, "before": before, "amount": str(value),
                       "hours": str(spent) if spent else None})
    return reward


@transaction.atomic
def withdraw_reward(*, actor: AnyUser, reward: EnvelopeReward, today: dt.date) -> Envelope:
    envelope = _own_reward(actor, reward, today)
    audit.record(actor=actor, action="treasury.envelope_reward.withdrawn", target=envelope,
                 data={"reward": reward.pk, "amount": str(reward.amount)})
    reward.delete()
    return envelope


# -- closing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    person: Person
    amount: Decimal
    hours: Decimal | None


@dataclass(frozen=True)
class ClosingPlan:
    """What closing moves: each contributor's total, and the rest (to `rest_to`, or staying
    on the source when `rest_to` is None)."""

    shares: list[Share]
    rest: Decimal
    rest_to: TreasuryAccount | None

    @property
    def moved(self) -> Decimal:
        return sum((s.amount for s in self.shares), ZERO) + (self.rest if self.rest_to else ZERO)


def shares_of(rewards: list[EnvelopeReward]) -> list[Share]:
    """Each contributor's total, in the order they first declared."""
    totals: dict[int, Decimal] = {}
    hours: dict[int, Decimal | None] = {}
    people: dict[int, Person] = {}
    for reward in rewards:
        people.setdefault(reward.person_id, reward.person)
        totals[reward.person_id] = totals.get(reward.person_id, ZERO) + reward.amount
        if reward.hours is not None:
            hours[reward.person_id] = (hours.get(reward.person_id) or ZERO) + reward.hours
    return [Share(people[pk], totals[pk], hours.get(pk)) for pk in totals]


def closing_plan(envelope: Envelope) -> ClosingPlan:
    rewards = list(EnvelopeReward.objects.filter(envelope=envelope).select_related("person")
                   .order_by("pk"))
    shares = shares_of(rewards)
    rest = envelope.amount - sum((s.amount for s in shares), ZERO)
    rest_to = envelope.pot_account if envelope.pot_account_id != envelope.source_account_id \
        else None
    return ClosingPlan(shares=shares, rest=rest, rest_to=rest_to if rest > 0 else None)


def _recipients(person: Person) -> list[User]:
    if person.user is not None:
        return [person.user]
    if person.proxy is not None and person.proxy.user is not None:
        return [person.proxy.user]
    return []


@transaction.atomic
def close_envelope(*, actor: AnyUser, envelope: Envelope, today: dt.date) -> Envelope:
    """One OD entry: each contributor's total to their individual treasury, the rest to the
    pot when it is another account; the funds are released from the source's commitments."""
    require(permissions.can_close_envelope(actor, envelope.source_account, today=today))
    envelope = _locked(envelope)
    source = envelope.source_account
    plan = closing_plan(envelope)
    kpa = kpa_of(source)
    moves = [transfers.Move(individual_account_for(share.person, source.structure,
                                                   actor=actor, kpa=kpa),
                            share.amount,
                            _("Budget « %(title)s » — %(name)s")
                            % {"title": envelope.title, "name": share.person.full_name})
             for share in plan.shares]
    if plan.rest_to is not None:
        moves.append(transfers.Move(plan.rest_to, plan.rest,
                                    _("Budget « %(title)s » — reste")
                                    % {"title": envelope.title}))
    entry = None
    if moves:
        entry = transfers.post_moves(
            actor=actor, source=source, moves=moves,
            label=_("Budget contributif « %(title)s »") % {"title": envelope.title},
            today=today, source_ref=f"BC-{envelope.pk}", also_available=envelope.amount,
            origin="treasury.envelope")
    envelope.status = Envelope.Status.CLOSED
    envelope.closed_on = today
    envelope.closing_entry = entry
    envelope.save(update_fields=["status", "closed_on", "closing_entry"])
    audit.record(actor=actor, action="treasury.envelope.closed", target=envelope, data={
        "entry": entry.pk if entry else None, "rest": str(plan.rest),
        "rest_to": plan.rest_to.code if plan.rest_to else source.code,
        "shares": {str(s.person.pk): str(s.amount) for s in plan.shares}})
    url = reverse("treasury:envelope_detail", args=[envelope.pk])
    for share in plan.shares:
        notify(recipients=_recipients(share.person), topic="treasury.envelope.closed",
               subject=_("Budget « %(title)s » clôturé") % {"title": envelope.title},
               body=_("Le budget « %(title)s » est clôturé : %(amount)s € de rétribution pour "
                      "%(name)s arrivent sur sa trésorerie individuelle.")
               % {"title": envelope.title, "amount": format_money(share.amount),
                  "name": share.person.full_name}, url=url)
    return envelope


# -- reads -----------------------------------------------------------------------------------


def _reach_q(user: AnyUser, today: dt.date, prefix: str = "") -> Q:
    """Which treasury accounts' envelopes the user sees, the same rule as
    `permissions.can_view_envelope`: members of the collective or of the KPA (its pot), the
    KPA's staff, the structure's gestionnaire and comptable."""
    reach = reach_of(user, today)
    kinds = Q(**{f"{prefix}kind__in": SOURCE_KINDS})
    if reach.is_admin:
        return kinds
    scope = (Q(**{f"{prefix}structure_id__in": reach.structures})
             | Q(**{f"{prefix}kpa_id__in": reach.staff_kpas})
             | Q(**{f"{prefix}activity__kpa_id__in": reach.staff_kpas})
             | Q(**{f"{prefix}kind": TreasuryAccount.Kind.COMMON,
                    f"{prefix}kpa_id__in": reach.member_kpas}))
    if reach.person_id is not None:
        activities = ActivityMembership.objects.current(today).filter(
            person_id=reach.person_id).values("activity_id")
        scope |= Q(**{f"{prefix}kind": TreasuryAccount.Kind.COLLECTIVE,
                      f"{prefix}activity_id__in": activities})
    return kinds & scope


def envelope_accounts_for(user: AnyUser, today: dt.date) -> QuerySet[TreasuryAccount]:
    """The collective treasuries and common pots whose budgets the user sees, with how many
    envelopes are open on each."""
    return (TreasuryAccount.objects.filter(_reach_q(user, today)).select_related("structure")
            .order_by("structure__name", "label", "pk"))


def envelopes_for(user: AnyUser, today: dt.date) -> QuerySet[Envelope]:
    return (Envelope.objects.filter(_reach_q(user, today, prefix="source_account__"))
            .select_related("source_account", "pot_account", "source_invoice"))


def with_totals(envelopes: QuerySet[Envelope]) -> QuerySet[Envelope]:
    """Each envelope with what is declared and by how many people (one query for a list)."""
    return envelopes.annotate(
        declared=Coalesce(Sum("rewards__amount"), Value(ZERO),
                          output_field=DecimalField(max_digits=14, decimal_places=2)),
        contributor_count=Count("rewards__person", distinct=True),
    )


def open_count_by_account(account_ids: list[int]) -> dict[int, int]:
    rows = (Envelope.objects.filter(source_account_id__in=account_ids,
                                    status=Envelope.Status.OPEN)
            .values_list("source_account_id").annotate(n=Count("pk")).order_by())
    return dict(rows)


@dataclass
class Sheet:
    """Everything the envelope page shows: tasks with their rewards, every reward, each
    contributor's total, what is declared and what is left."""

    envelope: Envelope
    tasks: list[EnvelopeTask]
    rewards: list[EnvelopeReward]
    shares: list[Share]
    declared: Decimal
    left: Decimal
    by_task: dict[int | None, list[EnvelopeReward]] = field(default_factory=dict)

    @property
    def untasked(self) -> list[EnvelopeReward]:
        return self.by_task.get(None, [])


def sheet_of(envelope: Envelope) -> Sheet:
    """Two queries: the tasks, then every reward with its person."""
    tasks = list(EnvelopeTask.objects.filter(envelope=envelope).order_by("pk"))
    rewards = list(EnvelopeReward.objects.filter(envelope=envelope)
                   .select_related("person").order_by("pk"))
    by_task: dict[int | None, list[EnvelopeReward]] = defaultdict(list)
    for reward in rewards:
        by_task[reward.task_id].append(reward)
    declared = sum((r.amount for r in rewards), ZERO)
    for task in tasks:
        task.reward_list = by_task.get(task.pk, [])  # type: ignore[attr-defined]
    return Sheet(envelope=envelope, tasks=tasks, rewards=rewards, shares=shares_of(rewards),
                 declared=declared, left=envelope.amount - declared, by_task=dict(by_task))
