"""Pay requests and the pay calendar: what a coopérant may ask to be paid this month, and the
path of a request (requested → transmitted by the référent → exported to payroll → booked by
the payroll import, or refused, or cancelled by the coopérant while still requested).

- Estimates: gross = net / (1 - employee rate); full cost = gross * (1 + employer rate), each
  rounded half up to the cent, with the structure's `PaySettings` (defaults when it has none;
  the gestionnaire changes them with `update_settings`).
  `max_net` is the exact inverse: the largest net whose estimated cost fits what is available.
- Calendar: the gestionnaire may publish a cut-off date per month (`PayCutoff`); otherwise it
  is the settings' `cutoff_day`. Until the cut-off (included) requests are for this month;
  after it they are for the next month: a request is never refused for being late, it is
  taken for the next month, and the page says so before the coopérant confirms.
- A request must fit the account's `available` figure, which already deducts the other
  requests in progress and the open envelopes (`balances`, `commitments`).
- Reminders: `reminder_days` before the cut-off, every coopérant with an individual account,
  a running contract and no request for the month hears it once (an audit event per account
  and month records that it was sent).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from kpa.core import audit
from kpa.core.auth import AnyUser
from kpa.core.models import AuditEvent
from kpa.core.money import CENT, format_money, parse_amount, quantize
from kpa.core.notifications import notify
from kpa.directory.models import Role, RoleKind, Structure
from kpa.directory.permissions import reach_of
from kpa.journey.models import Contract, JourneyStatus
from kpa.journey.notices import person_users
from kpa.ledger.models import TreasuryAccount
from kpa.treasury import balances
from kpa.treasury.models import PayCutoff, PayRequest, PaySettings
from kpa.treasury.permissions import (
    account_kpa_id,
    can_process_payroll,
    can_request_pay,
    can_review_pay_request,
)

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
# A request for a month is "live" while it counts against the month: the database allows one.
LIVE_STATUSES = (*PayRequest.OPEN_STATUSES, PayRequest.Status.BOOKED)
NOTE_MAX_LENGTH = 1000
REMINDER_ACTION = "treasury.pay_reminder.sent"


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def signed_in(actor: AnyUser) -> User | None:
    return actor if isinstance(actor, User) else None


# -- months ---------------------------------------------------------------------------------

def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def last_day_of(month: dt.date) -> dt.date:
    return next_month(month) - dt.timedelta(days=1)


def month_name(month: dt.date) -> str:
    """"novembre 2026", in the active language."""
    return str(formats.date_format(month, "F Y"))


def short_date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


# -- estimates ------------------------------------------------------------------------------

def settings_of(structure: Structure) -> PaySettings:
    """The structure's pay settings, or the defaults (unsaved) when it has none."""
    found = PaySettings.objects.filter(structure=structure).first()
    return found if found is not None else PaySettings(structure=structure)


@dataclass(frozen=True)
class Estimate:
    net: Decimal
    gross: Decimal
    cost: Decimal


def estimate(net: Decimal, settings: PaySettings) -> Estimate:
    """The gross and the full cost of a net amount, with the settings' rates."""
    net = quantize(net)
    gross = quantize(net / (1 - Decimal(settings.employee_rate) / HUNDRED))
    cost = quantize(gross * (1 + Decimal(settings.employer_rate) / HUNDRED))
    return Estimate(net=net, gross=gross, cost=cost)


def max_net(available: Decimal, settings: PaySettings) -> Decimal:
    """The largest net (to the cent) whose estimated full cost is at most `available`; zero
    when nothing is available. Rounding makes the cost a non-decreasing step function of the
    net, so the answer starts from the exact ratio and moves by a few cents at most."""
    if available <= 0:
        return ZERO
    ratio = ((1 - Decimal(settings.employee_rate) / HUNDRED)
             / (1 + Decimal(settings.employer_rate) / HUNDRED))
    net = (available * ratio).quantize(CENT, rounding=ROUND_DOWN)
    while estimate(net + CENT, settings).cost <= available:
        net += CENT
    while net > 0 and estimate(net, settings).cost > available:
        net -= CENT
    return max(net, ZERO)


# -- settings -------------------------------------------------------------------------------

RATE_PLACES = Decimal("0.001")
MAX_EMPLOYER_RATE = Decimal(200)
MAX_REMINDER_DAYS = 20


def _rate(value: Decimal | str, *, below: Decimal | None = None,
          at_most: Decimal | None = None) -> Decimal | None:
    """A percentage (three decimals at most) from 0 to its bound; None when it is not one."""
    try:
        rate = value if isinstance(value, Decimal) else parse_amount(
            str(value).replace("%", "").strip())
    except ValueError:
        return None
    if not rate.is_finite() or rate < 0:
        return None
    if (below is not None and rate >= below) or (at_most is not None and rate > at_most):
        return None
    quantized = rate.quantize(RATE_PLACES)
    return quantized if quantized == rate else None


def _whole(value: int, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return None
    return value


def _settings_data(settings: PaySettings) -> dict[str, str | int]:
    return {"cutoff_day": settings.cutoff_day, "employee_rate": str(settings.employee_rate),
            "employer_rate": str(settings.employer_rate),
            "reminder_days": settings.reminder_days}


@transaction.atomic
def update_settings(*, actor: AnyUser, structure: Structure, cutoff_day: int,
                    employee_rate: Decimal | str, employer_rate: Decimal | str,
                    reminder_days: int, today: dt.date) -> PaySettings:
    """The gestionnaire sets the usual cut-off day, the rates of the estimates and when the
    reminder leaves. Months whose cut-off was published keep it; requests already made keep
    their estimate."""
    require(can_process_payroll(actor, structure, today=today))
    day = _whole(cutoff_day, 1, 28)
    employee = _rate(employee_rate, below=HUNDRED)
    employer = _rate(employer_rate, at_most=MAX_EMPLOYER_RATE)
    reminder = _whole(reminder_days, 0, MAX_REMINDER_DAYS)
    errors: dict[str, str] = {}
    if day is None:
        errors["cutoff_day"] = _("Choisissez un jour entre le 1 et le 28, pour qu'il existe "
                                 "tous les mois.")
    if employee is None:
        errors["employee_rate"] = _(
            "Les cotisations salariales sont un pourcentage du brut, de 0 à moins de 100 "
            "(trois décimales au plus, par exemple 22 ou 22,5).")
    if employer is None:
        errors["employer_rate"] = _(
            "Les cotisations patronales sont un pourcentage du brut, de 0 à 200 (trois "
            "décimales au plus, par exemple 30 ou 42,5).")
    if reminder is None:
        errors["reminder_days"] = _("Le rappel part de 0 (le jour même) à %(max)d jours avant "
                                    "la date limite.") % {"max": MAX_REMINDER_DAYS}
    if day is None or employee is None or employer is None or reminder is None:
        raise ValidationError(errors)
    settings, _created = PaySettings.objects.select_for_update().get_or_create(
        structure=structure)
    before = _settings_data(settings)
    settings.cutoff_day, settings.reminder_days = day, reminder
    settings.employee_rate, settings.employer_rate = employee, employer
    settings.save()
    audit.record(actor=actor, action="treasury.pay_settings.updated", target=settings,
                 data={"before": before, "after": _settings_data(settings)})
    return settings


# -- calendar -------------------------------------------------------------------------------

def cutoff_for(structure: Structure, month: dt.date,
               settings: PaySettings | None = None) -> dt.date:
    """The last day on which requests for `month` are taken: the published one, else the
    settings' usual day of that month."""
    month = month_of(month)
    published = (PayCutoff.objects.filter(structure=structure, month=month).order_by("pk")
                 .values_list("cutoff_on", flat=True).first())
    if published is not None:
        return published
    day = (settings or settings_of(structure)).cutoff_day
    return month.replace(day=min(day, last_day_of(month).day))


@dataclass(frozen=True)
class PayMonth:
    month: dt.date
    cutoff_on: dt.date
    late_for: dt.date | None  # the calendar month whose cut-off has passed, if any


def pay_month(structure: Structure, today: dt.date,
              settings: PaySettings | None = None) -> PayMonth:
    """The month a request made today is for: this month until its cut-off (included), the
    next one after it."""
    settings = settings or settings_of(structure)
    month = month_of(today)
    cutoff = cutoff_for(structure, month, settings)
    if today <= cutoff:
        return PayMonth(month=month, cutoff_on=cutoff, late_for=None)
    following = next_month(month)
    return PayMonth(month=following, cutoff_on=cutoff_for(structure, following, settings),
                    late_for=month)


@transaction.atomic
def publish_cutoff(*, actor: AnyUser, structure: Structure, month: dt.date,
                   cutoff_on: dt.date, today: dt.date) -> PayCutoff:
    """The gestionnaire sets the cut-off date of a month (this month or a later one)."""
    require(can_process_payroll(actor, structure, today=today))
    month = month_of(month)
    if month < month_of(today):
        raise ValidationError({"month": _(
            "%(month)s est passé : son calendrier ne change plus.") % {
                "month": month_name(month).capitalize()}})
    if not month <= cutoff_on <= last_day_of(month):
        raise ValidationError({"cutoff_on": _(
            "La date limite de %(month)s tombe dans ce mois : entre le %(first)s et le "
            "%(last)s.") % {"month": month_name(month), "first": short_date(month),
                            "last": short_date(last_day_of(month))}})
    if cutoff_on < today:
        raise ValidationError({"cutoff_on": _(
            "Choisissez une date à partir d'aujourd'hui (%(today)s) : les coopérant·es doivent "
            "pouvoir encore demander.") % {"today": short_date(today)}})
    cutoff, _created = PayCutoff.objects.update_or_create(
        structure=structure, month=month, defaults={"cutoff_on": cutoff_on})
    audit.record(actor=actor, action="treasury.pay_cutoff.published", target=cutoff,
                 data={"month": month.isoformat(), "cutoff_on": cutoff_on.isoformat()})
    return cutoff


# -- what one may ask -----------------------------------------------------------------------

def has_running_contract(person_id: int, structure_id: int, today: dt.date) -> bool:
    return bool(running_contract_holders(structure_id, [person_id], today))


def running_contract_holders(structure_id: int, person_ids: Iterable[int] | None,
                             today: dt.date) -> set[int]:
    """The people (among `person_ids`, or all) holding a signed contract with the structure
    that runs today, on an active journey."""
    contracts = Contract.objects.filter(
        journey__structure_id=structure_id, journey__status=JourneyStatus.ACTIVE,
        status=Contract.Status.SIGNED, starts_on__lte=today, ends_on__gt=today)
    if person_ids is not None:
        contracts = contracts.filter(journey__person_id__in=list(person_ids))
    return set(contracts.values_list("journey__person_id", flat=True))


@dataclass(frozen=True)
class Allowance:
    """What the coopérant sees before asking: the month, its cut-off, what is available and
    the largest net that fits, and the request already made for the month, if any."""

    account: TreasuryAccount
    settings: PaySettings
    pay_month: PayMonth
    available: Decimal
    max_net: Decimal
    current: PayRequest | None

    @property
    def month(self) -> dt.date:
        return self.pay_month.month

    @property
    def cutoff_on(self) -> dt.date:
        return self.pay_month.cutoff_on


def allowance_for(account: TreasuryAccount, *, today: dt.date) -> Allowance:
    structure = account.structure
    settings = settings_of(structure)
    when = pay_month(structure, today, settings)
    available = balances.figures_of(account.pk, structure, today=today).available
    current = (PayRequest.objects.filter(treasury_account=account, month=when.month,
                                         status__in=LIVE_STATUSES).first())
    return Allowance(account=account, settings=settings, pay_month=when, available=available,
                     max_net=max_net(available, settings), current=current)


def _net(value: Decimal | str) -> Decimal:
    try:
        amount = value if isinstance(value, Decimal) else parse_amount(str(value))
        if not amount.is_finite():
            raise ValueError(value)
    except ValueError:
        raise ValidationError({"net_amount": _(
            "Écris le montant net en euros, par exemple 800 ou 812,40.")}) from None
    if amount <= 0:
        raise ValidationError({"net_amount": _("Le montant net demandé est positif.")})
    if amount != quantize(amount):
        raise ValidationError({"net_amount": _("Un montant s'écrit au centime près.")})
    if amount >= Decimal(10) ** 9:
        raise ValidationError({"net_amount": _("Ce montant est trop grand.")})
    return amount


def check_request(*, account: TreasuryAccount, net_amount: Decimal | str, today: dt.date,
                  month: dt.date | None = None) -> tuple[Allowance, Estimate]:
    """Every rule of a request, without writing: the month, the contract, one request per
    month, and the cost within what is available. Returns what the confirmation shows."""
    net = _net(net_amount)
    allowance = allowance_for(account, today=today)
    when = allowance.pay_month
    if month is not None and month_of(month) != when.month:
        if month_of(month) < when.month:
            message = _("Les demandes pour %(month)s sont closes depuis le %(cutoff)s. Tu peux "
                        "demander pour %(next)s, jusqu'au %(next_cutoff)s.") % {
                "month": month_name(month_of(month)),
                "cutoff": short_date(cutoff_for(account.structure, month)),
                "next": month_name(when.month), "next_cutoff": short_date(when.cutoff_on)}
        else:
            message = _("Pour l'instant, on demande la rémunération de %(next)s (jusqu'au "
                        "%(next_cutoff)s).") % {"next": month_name(when.month),
                                                "next_cutoff": short_date(when.cutoff_on)}
        raise ValidationError({"month": message})
    if account.person_id is None or not has_running_contract(account.person_id,
                                                             account.structure_id, today):
        raise ValidationError(_("Une rémunération se demande pendant un contrat en cours avec "
                                "%(structure)s.") % {"structure": account.structure.name})
    current = allowance.current
    if current is not None:
        if current.status == PayRequest.Status.BOOKED:
            message = _("Ta rémunération de %(month)s est déjà payée.")
        elif current.status == PayRequest.Status.REQUESTED:
            message = _("Tu as déjà demandé %(net)s € net pour %(month)s. Annule cette demande "
                        "d'abord si tu veux changer le montant.")
        else:
            message = _("Ta demande de %(net)s € net pour %(month)s est déjà transmise à la "
                        "paie : parles-en à ton ou ta référent·e pour la changer.")
        raise ValidationError(message % {"month": month_name(when.month),
                                         "net": format_money(current.net_amount)})
    wanted = estimate(net, allowance.settings)
    if wanted.cost > allowance.available:
        if allowance.max_net > 0:
            message = _("%(net)s € net coûteraient %(cost)s € à ta trésorerie (cotisations "
                        "comprises) et il reste %(available)s € disponibles. Tu peux demander "
                        "au plus %(max)s € net ce mois-ci.")
        else:
            message = _("Il reste %(available)s € disponibles dans ta trésorerie : pas assez "
                        "pour te verser une rémunération ce mois-ci.")
        raise ValidationError({"net_amount": message % {
            "net": format_money(net), "cost": format_money(wanted.cost),
            "available": format_money(allowance.available),
            "max": format_money(allowance.max_net)}})
    return allowance, wanted


def _reviewers(account: TreasuryAccount, today: dt.date) -> list[User]:
    """The référents of the account's KPA, or the structure's gestionnaires when it has
    none."""
    roles = Role.objects.current(today).filter(person__user__isnull=False).select_related(
        "person__user")
    kpa_id = account_kpa_id(account)
    users = ([r.person.user for r in roles.filter(kind=RoleKind.REFERENT, kpa_id=kpa_id)]
             if kpa_id is not None else [])
    if not users:
        users = [r.person.user for r in roles.filter(kind=RoleKind.GESTIONNAIRE,
                                                      structure_id=account.structure_id)]
    return [user for user in users if user is not None]


@transaction.atomic
def request_pay(*, actor: AnyUser, account: TreasuryAccount, net_amount: Decimal | str,
                today: dt.date, month: dt.date | None = None, note: str = "") -> PayRequest:
    """The coopérant asks to be paid `net_amount` net for the current pay month (after this
    month's cut-off, that is the next month: `month` may be left out)."""
    require(can_request_pay(actor, account, today=today))
    note = note.strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError({"note": _("Le message fait %(n)d caractères au plus.")
                               % {"n": NOTE_MAX_LENGTH}})
    # Two requests at once from the same account would each see the other's money as free.
    account = TreasuryAccount.objects.select_for_update(of=("self",)).select_related(
        "structure", "person").get(pk=account.pk)
    allowance, wanted = check_request(account=account, net_amount=net_amount, month=month,
                                      today=today)
    assert account.person is not None
    request = PayRequest.objects.create(
        structure=account.structure, treasury_account=account, person=account.person,
        month=allowance.month, net_amount=wanted.net, estimated_gross=wanted.gross,
        estimated_cost=wanted.cost, note=note, created_by=signed_in(actor))
    audit.record(actor=actor, action="treasury.pay_request.created", target=request, data={
        "month": allowance.month.isoformat(), "net": str(wanted.net),
        "estimated_cost": str(wanted.cost)})
    notify(recipients=_reviewers(account, today), topic="treasury.pay_request.created",
           subject=_("Demande de rémunération de %(name)s") % {"name": account.person},
           body=_("%(name)s demande %(net)s € net pour %(month)s (coût total estimé "
                  "%(cost)s €). Transmets-la à la paie ou refuse-la avant le %(cutoff)s.") % {
               "name": account.person, "net": format_money(wanted.net),
               "month": month_name(allowance.month), "cost": format_money(wanted.cost),
               "cutoff": short_date(allowance.cutoff_on)},
           url=reverse("treasury:pay_review_queue"))
    return request


def _locked(pay_request: PayRequest) -> PayRequest:
    return PayRequest.objects.select_for_update(of=("self",)).select_related(
        "treasury_account", "person__user", "person__proxy__user", "structure").get(
            pk=pay_request.pk)


def _tell_person(pay_request: PayRequest, *, topic: str, subject: str, body: str) -> None:
    notify(recipients=person_users(pay_request.person), topic=topic, subject=subject,
           body=body, url=reverse("treasury:pay_request_mine"))


@transaction.atomic
def cancel_pay_request(*, actor: AnyUser, pay_request: PayRequest,
                       today: dt.date) -> PayRequest:
    """The coopérant takes back a request nobody has transmitted yet."""
    require(can_request_pay(actor, pay_request.treasury_account, today=today))
    pay_request = _locked(pay_request)
    if pay_request.status != PayRequest.Status.REQUESTED:
        raise ValidationError(_("Cette demande est « %(status)s » : elle ne s'annule plus. "
                                "Parles-en à ton ou ta référent·e.")
                              % {"status": pay_request.get_status_display()})
    pay_request.status = PayRequest.Status.CANCELLED
    pay_request.save(update_fields=["status"])
    audit.record(actor=actor, action="treasury.pay_request.cancelled", target=pay_request)
    return pay_request


def _reviewable(actor: AnyUser, pay_request: PayRequest, today: dt.date,
                statuses: tuple[str, ...]) -> PayRequest:
    require(can_review_pay_request(actor, pay_request.treasury_account, today=today))
    pay_request = _locked(pay_request)
    if pay_request.person_id == reach_of(actor, today).person_id:
        raise ValidationError(_("On ne traite pas sa propre demande : une autre personne "
                                "(référent·e ou gestionnaire) s'en charge."))
    if pay_request.status not in statuses:
        raise ValidationError(_("Cette demande est déjà « %(status)s ».")
                              % {"status": pay_request.get_status_display()})
    return pay_request


@transaction.atomic
def transmit_pay_request(*, actor: AnyUser, pay_request: PayRequest,
                         today: dt.date) -> PayRequest:
    """The référent (or the gestionnaire) sends the request on to the payroll."""
    pay_request = _reviewable(actor, pay_request, today, (PayRequest.Status.REQUESTED,))
    pay_request.status = PayRequest.Status.TRANSMITTED
    pay_request.reviewed_by = signed_in(actor)
    pay_request.reviewed_at = timezone.now()
    pay_request.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    audit.record(actor=actor, action="treasury.pay_request.transmitted", target=pay_request)
    _tell_person(pay_request, topic="treasury.pay_request.transmitted",
                 subject=_("Ta demande de rémunération est transmise"),
                 body=_("Ta demande de %(net)s € net pour %(month)s est transmise à la paie.")
                 % {"net": format_money(pay_request.net_amount),
                    "month": month_name(pay_request.month)})
    return pay_request


@transaction.atomic
def refuse_pay_request(*, actor: AnyUser, pay_request: PayRequest, reason: str,
                       today: dt.date) -> PayRequest:
    """The référent (or the gestionnaire) refuses, saying why; the coopérant may ask again.
    Until the payroll books it: a request the payroll software left out is refused too, so
    that it stops holding the money it committed."""
    reason = reason.strip()
    pay_request = _reviewable(actor, pay_request, today, PayRequest.OPEN_STATUSES)
    if not reason:
        raise ValidationError({"reason": _("Dis en quelques mots pourquoi : la personne lira "
                                           "ce motif.")})
    pay_request.status = PayRequest.Status.REFUSED
    pay_request.refusal_reason = reason[:NOTE_MAX_LENGTH]
    pay_request.reviewed_by = signed_in(actor)
    pay_request.reviewed_at = timezone.now()
    pay_request.save(update_fields=["status", "refusal_reason", "reviewed_by", "reviewed_at"])
    audit.record(actor=actor, action="treasury.pay_request.refused", target=pay_request,
                 data={"reason": pay_request.refusal_reason})
    _tell_person(pay_request, topic="treasury.pay_request.refused",
                 subject=_("Ta demande de rémunération est refusée"),
                 body=_("Ta demande de %(net)s € net pour %(month)s est refusée : %(reason)s "
                        "Tu peux en faire une autre.")
                 % {"net": format_money(pay_request.net_amount),
                    "month": month_name(pay_request.month), "reason": pay_request.refusal_reason})
    return pay_request


# -- reads ----------------------------------------------------------------------------------

def my_accounts(user: AnyUser, today: dt.date) -> list[TreasuryAccount]:
    """The user's own active individual accounts (usually one)."""
    person_id = reach_of(user, today).person_id
    if person_id is None:
        return []
    return list(TreasuryAccount.objects.filter(
        person_id=person_id, kind=TreasuryAccount.Kind.INDIVIDUAL, is_active=True,
    ).select_related("structure", "person").order_by("pk"))


def requests_for(user: AnyUser, today: dt.date) -> QuerySet[PayRequest]:
    """The requests the user sees: their own, those of the KPAs they lead (référent,
    animateur), those of the structures whose books they keep."""
    reach = reach_of(user, today)
    requests = PayRequest.objects.select_related("person", "treasury_account", "structure")
    if reach.is_admin:
        return requests
    seen = Q(structure_id__in=reach.structures) | Q(
        treasury_account__kpa_id__in=reach.inviter_kpas)
    if reach.person_id is not None:
        seen |= Q(person_id=reach.person_id)
    return requests.filter(seen)


def my_requests(user: AnyUser, today: dt.date) -> QuerySet[PayRequest]:
    person_id = reach_of(user, today).person_id
    return PayRequest.objects.filter(person_id=person_id).select_related(
        "person", "structure", "treasury_account") if person_id else PayRequest.objects.none()


def review_queue(user: AnyUser, today: dt.date) -> QuerySet[PayRequest]:
    """The requests waiting for this user's review (never their own)."""
    reach = reach_of(user, today)
    waiting = PayRequest.objects.filter(status=PayRequest.Status.REQUESTED).select_related(
        "person", "treasury_account", "structure").order_by("month", "created_at", "pk")
    if not reach.is_admin:
        waiting = waiting.filter(Q(structure_id__in=reach.managed_structures)
                                 | Q(treasury_account__kpa_id__in=reach.inviter_kpas))
    if reach.person_id is not None:
        waiting = waiting.exclude(person_id=reach.person_id)
    return waiting


# -- reminders ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reminder:
    account: TreasuryAccount
    month: dt.date
    cutoff_on: dt.date
    available: Decimal


def _already_reminded(account_ids: list[int], month: dt.date) -> set[int]:
    events = AuditEvent.objects.filter(
        action=REMINDER_ACTION, target_type=TreasuryAccount._meta.label_lower,
        target_id__in=[str(pk) for pk in account_ids]).values_list("target_id", "data")
    return {int(target) for target, data in events
            if isinstance(data, dict) and data.get("month") == month.isoformat()}


def _reminders_of(structure: Structure, today: dt.date) -> list[Reminder]:
    settings = settings_of(structure)
    when = pay_month(structure, today, settings)
    if not 0 <= (when.cutoff_on - today).days <= settings.reminder_days:
        return []
    accounts = list(TreasuryAccount.objects.filter(
        structure=structure, kind=TreasuryAccount.Kind.INDIVIDUAL, is_active=True,
        person__isnull=False,
    ).exclude(pk__in=PayRequest.objects.filter(
        month=when.month, status__in=LIVE_STATUSES).values("treasury_account_id"))
        .select_related("person__user", "person__proxy__user", "structure"))
    holders = running_contract_holders(structure.pk, None, today)
    accounts = [a for a in accounts if a.person is not None and a.person_id in holders
                and person_users(a.person)]
    done = _already_reminded([a.pk for a in accounts], when.month)
    accounts = [a for a in accounts if a.pk not in done]
    figures = balances.figures_for(structure, [a.pk for a in accounts], today=today)
    sent = []
    for account in accounts:
        available = figures[account.pk].available
        assert account.person is not None
        notify(recipients=person_users(account.person), topic="treasury.pay.reminder",
               subject=_("Demande ta rémunération avant le %(cutoff)s")
               % {"cutoff": short_date(when.cutoff_on)},
               body=_("Les demandes de rémunération pour %(month)s sont ouvertes jusqu'au "
                      "%(cutoff)s. Disponible dans ta trésorerie : %(available)s € ; tu peux "
                      "demander jusqu'à %(max)s € net.")
               % {"month": month_name(when.month), "cutoff": short_date(when.cutoff_on),
                  "available": format_money(available),
                  "max": format_money(max_net(available, settings))},
               url=reverse("treasury:pay_request_new"))
        audit.record(actor=None, action=REMINDER_ACTION, target=account,
                     data={"month": when.month.isoformat()})
        sent.append(Reminder(account=account, month=when.month, cutoff_on=when.cutoff_on,
                             available=available))
    return sent


@transaction.atomic
def send_pay_reminders(*, today: dt.date) -> list[Reminder]:
    """Remind, once per month, each coopérant who has not asked yet, from `reminder_days`
    before the cut-off to the cut-off itself (a missed daily run is caught up)."""
    structures = Structure.objects.filter(
        treasury_accounts__kind=TreasuryAccount.Kind.INDIVIDUAL).distinct().order_by("pk")
    sent: list[Reminder] = []
    for structure in structures:
        sent += _reminders_of(structure, today)
    return sent
