"""Every write on expense claims ("notes de frais"), from the coopérant's draft to the
reimbursement, and the structure's deadlines.

- A current member of an activity drafts a claim for one month, adds lines (a receipt for each,
  except kilometres driven with their own car, whose amount comes from the official scale,
  `kilometric`), then submits it. A line dated in the future, or after its deadline, is refused
  with the dates.
- The structure's gestionnaire validates it (the OD entry: 6xx by category excl. VAT, 44566 the
  recoverable VAT, 425 the total owed back, every line on the activity's treasury account) or
  rejects it with a reason; the coopérant is told both ways.
- The gestionnaire or the comptable records the reimbursement (BQ1: 425 against 512), and the
  two 425 lines are lettered together when they sit in one fiscal year.

A mileage line's amount is fixed when the line is written, from the kilometres the person has
already claimed that year (claims not rejected): rejecting or deleting a line later does not
change the amounts of the others.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kpa.core import audit
from kpa.core.auth import AnyUser
from kpa.core.money import format_money, parse_amount, quantize
from kpa.core.notifications import notify
from kpa.directory.models import Activity, Person, Role, RoleKind, Structure
from kpa.directory.permissions import reach_of
from kpa.journey.uploads import check_upload
from kpa.ledger import charts
from kpa.ledger import services as ledger_services
from kpa.ledger.lettering import letter_settled
from kpa.ledger.models import Entry, EntryLine, Journal
from kpa.ledger.services import LineInput
from kpa.ledger.treasury_accounts import treasury_account_for
from kpa.purchases import kilometric, permissions
from kpa.purchases.accounts import ACCOUNT_OF, EXPENSE_CLAIMS_DUE, VAT_DEDUCTIBLE
from kpa.purchases.models import (
    ZERO,
    ExpenseCategory,
    ExpenseClaim,
    ExpenseDeadline,
    ExpenseLine,
)

SOURCE = "purchases.expense_claim"
MAX_DEADLINES = 60
MAX_REASON = 2000
MAX_DISTANCE = Decimal(100000)


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _signed_in(actor: AnyUser) -> User:
    if not isinstance(actor, User):
        raise PermissionDenied
    return actor


def _day(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def _month(value: dt.date) -> str:
    return value.strftime("%m/%Y")


def piece_ref(claim: ExpenseClaim) -> str:
    return f"NF-{claim.pk}"


def claim_url(claim: ExpenseClaim) -> str:
    return reverse("purchases:expense_claim", args=[claim.pk])


def _locked(claim: ExpenseClaim) -> ExpenseClaim:
    """The claim's row, locked for the write and read afresh (two clicks, two tabs)."""
    return ExpenseClaim.objects.select_for_update(of=("self",)).select_related(
        "structure", "person__user", "activity").get(pk=claim.pk)


def _tell_person(claim: ExpenseClaim, *, topic: str, subject: str, body: str) -> None:
    user = claim.person.user
    if user is not None:
        notify(recipients=[user], subject=subject, body=body, url=claim_url(claim), topic=topic)


def _managers(structure_id: int, today: dt.date) -> list[User]:
    roles = Role.objects.current(today).filter(
        kind=RoleKind.GESTIONNAIRE, structure_id=structure_id,
        person__user__isnull=False).select_related("person__user")
    return [r.person.user for r in roles if r.person.user is not None]


# -- deadlines ------------------------------------------------------------------------------

Deadline = tuple[dt.date, dt.date]  # (covers_before, closes_on)


def deadlines_of(structure_id: int) -> list[Deadline]:
    return list(ExpenseDeadline.objects.filter(structure_id=structure_id)
                .order_by("covers_before").values_list("covers_before", "closes_on"))


def deadline_for(day: dt.date, deadlines: Sequence[Deadline]) -> dt.date | None:
    """The date by which an expense dated `day` must be claimed: the first deadline whose
    period ends after it (None: no deadline covers it yet)."""
    for covers_before, closes_on in deadlines:
        if covers_before > day:
            return closes_on
    return None


def _date_errors(day: dt.date, *, deadlines: Sequence[Deadline], today: dt.date) -> list[str]:
    if day > today:
        return [_("La dépense du %(day)s est à venir : on ne la déclare qu'une fois faite.")
                % {"day": _day(day)}]
    closes_on = deadline_for(day, deadlines)
    if closes_on is not None and closes_on < today:
        return [_("Cette dépense du %(day)s devait être déclarée au plus tard le %(closes)s.")
                % {"day": _day(day), "closes": _day(closes_on)}]
    return []


@transaction.atomic
def set_expense_deadlines(*, actor: AnyUser, structure: Structure,
                          deadlines: Iterable[Deadline], today: dt.date
                          ) -> list[ExpenseDeadline]:
    """Replace the structure's deadlines with `deadlines` (all or none)."""
    _require(permissions.can_configure_purchases(actor, structure, today=today))
    wanted = sorted(deadlines)
    errors: list[str] = []
    if len(wanted) > MAX_DEADLINES:
        errors.append(_("%(count)s dates limites au plus.") % {"count": MAX_DEADLINES})
    seen: set[dt.date] = set()
    for covers_before, closes_on in wanted:
        if covers_before in seen:
            errors.append(_("La période des dépenses d'avant le %(day)s est donnée deux fois : "
                            "gardez-en une.") % {"day": _day(covers_before)})
        seen.add(covers_before)
        if closes_on < covers_before:
            errors.append(_("Les dépenses d'avant le %(day)s ne peuvent pas avoir à être "
                            "déclarées dès le %(closes)s : choisissez une date limite après "
                            "la fin de la période.")
                          % {"day": _day(covers_before), "closes": _day(closes_on)})
    if errors:
        raise ValidationError(errors)
    ExpenseDeadline.objects.filter(structure=structure).delete()
    created = ExpenseDeadline.objects.bulk_create(
        ExpenseDeadline(structure=structure, covers_before=c, closes_on=d) for c, d in wanted)
    audit.record(actor=actor, action="purchases.expense_deadlines.set", target=structure,
                 data={"deadlines": [[c.isoformat(), d.isoformat()] for c, d in wanted]})
    return created


# -- claims ---------------------------------------------------------------------------------


@transaction.atomic
def create_claim(*, actor: AnyUser, activity: Activity, month: dt.date, today: dt.date,
                 note: str = "") -> ExpenseClaim:
    """A draft claim of the actor for one month's expenses spent for `activity`."""
    _require(permissions.can_claim_expenses_for(actor, activity, today=today))
    person_id = reach_of(actor, today).person_id
    assert person_id is not None  # a current member has a person
    first = month.replace(day=1)
    if first > today.replace(day=1):
        raise ValidationError({"month": _(
            "Le mois %(month)s n'a pas commencé : choisissez ce mois-ci ou un mois passé."
        ) % {"month": _month(first)}})
    draft = ExpenseClaim.objects.filter(person_id=person_id, activity=activity, month=first,
                                        status=ExpenseClaim.Status.DRAFT).first()
    if draft is not None:
        raise ValidationError({"month": _(
            "Vous avez déjà une note de frais en brouillon pour %(activity)s en %(month)s : "
            "complétez-la (n° %(id)s)."
        ) % {"activity": activity.name, "month": _month(first), "id": draft.pk}})
    claim = ExpenseClaim.objects.create(
        structure_id=activity.structure_id, person_id=person_id, activity=activity,
        month=first, note=note.strip(), created_by=_signed_in(actor))
    audit.record(actor=actor, action="purchases.expense_claim.created", target=claim,
                 data={"activity": activity.pk, "month": first.isoformat()})
    return claim


@transaction.atomic
def delete_claim(*, actor: AnyUser, claim: ExpenseClaim, today: dt.date) -> None:
    """A draft goes away with its lines."""
    claim = _locked(claim)
    _require(permissions.can_edit_claim(actor, claim, today=today))
    audit.record(actor=actor, action="purchases.expense_claim.deleted", target=claim,
                 data={"lines": claim.lines.count()})
    claim.delete()


# -- lines ----------------------------------------------------------------------------------


def _amount(value: Decimal | str | int | None, field: str, errors: dict[str, list[str]],
            *, required: bool) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.setdefault(field, []).append(_("Indiquez le montant."))
        return None
    try:
        amount = value if isinstance(value, Decimal) else parse_amount(str(value))
    except ValueError:
        errors.setdefault(field, []).append(
            _("« %(value)s » n'est pas un montant : écrivez par exemple 12,50.")
            % {"value": value})
        return None
    if not amount.is_finite() or abs(amount) >= Decimal(10) ** 11:
        errors.setdefault(field, []).append(_("Ce montant est trop grand."))
        return None
    if amount != quantize(amount):
        errors.setdefault(field, []).append(_("Un montant s'écrit au centime près."))
        return None
    if amount < 0:
        errors.setdefault(field, []).append(_("Un montant n'est pas négatif."))
        return None
    return quantize(amount)


def _distance(value: Decimal | str | int | None, errors: dict[str, list[str]]
              ) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        errors.setdefault("distance_km", []).append(
            _("Indiquez les kilomètres parcourus pour l'activité."))
        return None
    try:
        distance = value if isinstance(value, Decimal) else parse_amount(str(value))
    except ValueError:
        errors.setdefault("distance_km", []).append(
            _("« %(value)s » n'est pas une distance : écrivez par exemple 42 ou 42,5.")
            % {"value": value})
        return None
    if not distance.is_finite() or distance <= 0 or distance >= MAX_DISTANCE:
        errors.setdefault("distance_km", []).append(
            _("Une distance est positive et de moins de 100 000 km."))
        return None
    if distance != distance.quantize(Decimal("0.1")):
        errors.setdefault("distance_km", []).append(
            _("Une distance s'écrit au dixième de kilomètre près."))
        return None
    return distance.quantize(Decimal("0.1"))


def km_claimed(person_id: int, year: int, *, excluding: int | None = None) -> Decimal:
    """Kilometres the person has claimed for `year` in claims not rejected."""
    lines = ExpenseLine.objects.filter(
        claim__person_id=person_id, category=ExpenseCategory.MILEAGE, spent_on__year=year,
    ).exclude(claim__status=ExpenseClaim.Status.REJECTED)
    if excluding is not None:
        lines = lines.exclude(pk=excluding)
    total = lines.aggregate(total=Sum("distance_km"))["total"]
    return total or Decimal(0)


def _fill_line(line: ExpenseLine, claim: ExpenseClaim, *, today: dt.date, spent_on: dt.date,
               category: str, description: str, amount_incl_vat: Decimal | str | int | None,
               recoverable_vat: Decimal | str | int | None,
               distance_km: Decimal | str | int | None, fiscal_horsepower: int | None,
               electric: bool, receipt: bytes | None, receipt_name: str) -> None:
    """Check every field and set them on `line` (not saved), or refuse with every error."""
    errors: dict[str, list[str]] = defaultdict(list)
    if category not in ExpenseCategory.values:
        errors["category"].append(_("Choisissez une catégorie de la liste."))
    description = " ".join(description.split())
    if not description:
        errors["description"].append(_("Dites en quelques mots ce que vous avez payé."))
    elif len(description) > 200:
        errors["description"].append(_("200 caractères au plus."))
    if not (claim.month <= spent_on < _next_month(claim.month)):
        errors["spent_on"].append(_(
            "Cette dépense est du %(day)s : elle va dans une note de frais de %(month)s, pas "
            "de %(claim)s."
        ) % {"day": _day(spent_on), "month": _month(spent_on), "claim": _month(claim.month)})
    errors["spent_on"].extend(
        _date_errors(spent_on, deadlines=deadlines_of(claim.structure_id), today=today))
    mileage = category == ExpenseCategory.MILEAGE
    vat = _amount(recoverable_vat, "recoverable_vat", errors, required=False) or ZERO
    franchise = claim.structure.vat_regime == Structure.VatRegime.FRANCHISE
    if vat and mileage:
        errors["recoverable_vat"].append(_("Des kilomètres n'ont pas de TVA : laissez 0."))
    elif vat and franchise:
        errors["recoverable_vat"].append(_(
            "La structure est en franchise de TVA : elle ne récupère pas de TVA. Laissez 0 et "
            "indiquez le montant TTC."))
    checked = None
    if receipt:
        try:
            checked = check_upload(receipt, field="receipt")
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors[field].extend(messages)
    elif not mileage and not line.receipt:
        errors["receipt"].append(_(
            "Joignez le justificatif : une photo du ticket ou de la facture, ou son PDF."))
    amount: Decimal | None = None
    distance: Decimal | None = None
    horsepower: int | None = None
    if mileage:
        distance = _distance(distance_km, errors)
        if fiscal_horsepower is None or not 1 <= fiscal_horsepower <= 99:
            errors["fiscal_horsepower"].append(_(
                "Indiquez la puissance fiscale du véhicule (en CV, sur la carte grise, "
                "case P.6)."))
        else:
            horsepower = fiscal_horsepower
    else:
        amount = _amount(amount_incl_vat, "amount_incl_vat", errors, required=True)
        if amount is not None and amount <= 0:
            errors["amount_incl_vat"].append(_("Un montant est plus grand que zéro."))
        elif amount is not None and vat >= amount:
            errors["recoverable_vat"].append(_(
                "La TVA récupérable (%(vat)s €) est une partie du montant TTC (%(amount)s €) : "
                "elle est plus petite.") % {"vat": format_money(vat),
                                           "amount": format_money(amount)})
    errors = {field: messages for field, messages in errors.items() if messages}
    if not errors and mileage:
        assert distance is not None
        assert horsepower is not None
        # Two lines of one person at once must not both start from the same kilometres.
        Person.objects.select_for_update().filter(pk=claim.person_id).first()
        before = km_claimed(claim.person_id, spent_on.year, excluding=line.pk)
        amount = kilometric.allowance(before, distance, horsepower, electric, spent_on.year)
    if errors:
        raise ValidationError(errors)
    assert amount is not None
    line.claim = claim
    line.spent_on, line.category, line.description = spent_on, category, description
    line.amount_incl_vat, line.recoverable_vat = amount, vat
    line.distance_km = distance
    line.fiscal_horsepower = horsepower
    line.electric = electric if mileage else False
    if checked is not None:
        line.receipt, line.receipt_type = checked.content, checked.content_type
        line.receipt_sha256 = checked.sha256
        line.receipt_name = (receipt_name.strip().replace("/", "_").replace("\\", "_")[:200]
                             or "justificatif")


def _next_month(first: dt.date) -> dt.date:
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _line_data(line: ExpenseLine) -> dict[str, Any]:
    return {"spent_on": line.spent_on.isoformat(), "category": line.category,
            "amount_incl_vat": str(line.amount_incl_vat),
            "recoverable_vat": str(line.recoverable_vat),
            "distance_km": None if line.distance_km is None else str(line.distance_km),
            "receipt_sha256": line.receipt_sha256}


@transaction.atomic
def add_line(*, actor: AnyUser, claim: ExpenseClaim, today: dt.date, spent_on: dt.date,
             category: str, description: str,
             amount_incl_vat: Decimal | str | int | None = None,
             recoverable_vat: Decimal | str | int | None = ZERO,
             distance_km: Decimal | str | int | None = None,
             fiscal_horsepower: int | None = None, electric: bool = False,
             receipt: bytes | None = None, receipt_name: str = "") -> ExpenseLine:
    """One expense on a draft claim. A mileage line gives `distance_km` and
    `fiscal_horsepower` (its amount is computed); every other line its amount incl. VAT and
    its receipt (a PDF or a photo, 10 MB at most)."""
    claim = _locked(claim)
    _require(permissions.can_edit_claim(actor, claim, today=today))
    line = ExpenseLine()
    _fill_line(line, claim, today=today, spent_on=spent_on, category=category,
               description=description, amount_incl_vat=amount_incl_vat,
               recoverable_vat=recoverable_vat, distance_km=distance_km,
               fiscal_horsepower=fiscal_horsepower, electric=electric, receipt=receipt,
               receipt_name=receipt_name)
    line.save()
    audit.record(actor=actor, action="purchases.expense_line.added", target=claim,
                 data={"line": line.pk, **_line_data(line)})
    return line


@transaction.atomic
def update_line(*, actor: AnyUser, line: ExpenseLine, today: dt.date, spent_on: dt.date,
                category: str, description: str,
                amount_incl_vat: Decimal | str | int | None = None,
                recoverable_vat: Decimal | str | int | None = ZERO,
                distance_km: Decimal | str | int | None = None,
                fiscal_horsepower: int | None = None, electric: bool = False,
                receipt: bytes | None = None, receipt_name: str = "") -> ExpenseLine:
    """Change a line of a draft; without a new receipt the line keeps its own."""
    claim = _locked(line.claim)
    _require(permissions.can_edit_claim(actor, claim, today=today))
    line = ExpenseLine.objects.get(pk=line.pk, claim=claim)
    _fill_line(line, claim, today=today, spent_on=spent_on, category=category,
               description=description, amount_incl_vat=amount_incl_vat,
               recoverable_vat=recoverable_vat, distance_km=distance_km,
               fiscal_horsepower=fiscal_horsepower, electric=electric, receipt=receipt,
               receipt_name=receipt_name)
    line.save()
    audit.record(actor=actor, action="purchases.expense_line.updated", target=claim,
                 data={"line": line.pk, **_line_data(line)})
    return line


@transaction.atomic
def delete_line(*, actor: AnyUser, line: ExpenseLine, today: dt.date) -> None:
    claim = _locked(line.claim)
    _require(permissions.can_edit_claim(actor, claim, today=today))
    line = ExpenseLine.objects.get(pk=line.pk, claim=claim)
    audit.record(actor=actor, action="purchases.expense_line.deleted", target=claim,
                 data={"line": line.pk, **_line_data(line)})
    line.delete()


# -- the claim's way ------------------------------------------------------------------------


@transaction.atomic
def submit_claim(*, actor: AnyUser, claim: ExpenseClaim, today: dt.date) -> ExpenseClaim:
    """Send a draft to the structure: every line must be past and on time."""
    claim = _locked(claim)
    _require(permissions.can_edit_claim(actor, claim, today=today))
    lines = list(claim.lines.order_by("spent_on", "pk"))
    if not lines:
        raise ValidationError(_("Ajoutez au moins une dépense avant d'envoyer la note de "
                                "frais."))
    deadlines = deadlines_of(claim.structure_id)
    errors: list[str] = []
    for line in lines:
        errors.extend(_date_errors(line.spent_on, deadlines=deadlines, today=today))
    if errors:
        raise ValidationError(errors)
    claim.status = ExpenseClaim.Status.SUBMITTED
    claim.submitted_at = timezone.now()
    claim.save(update_fields=["status", "submitted_at"])
    total = sum((line.amount_incl_vat for line in lines), ZERO)
    notify(recipients=_managers(claim.structure_id, today),
           subject=_("Note de frais à valider : %(person)s") % {"person": claim.person},
           body=_("%(person)s envoie une note de frais de %(total)s € pour %(activity)s "
                  "(%(month)s).") % {"person": claim.person, "total": format_money(total),
                                     "activity": claim.activity.name,
                                     "month": _month(claim.month)},
           url=reverse("purchases:expense_queue"), topic="purchases.expense_claim.submitted")
    audit.record(actor=actor, action="purchases.expense_claim.submitted", target=claim,
                 data={"lines": len(lines), "total": str(total)})
    return claim


def _journal(structure_id: int, code: str) -> Journal:
    return Journal.objects.get(structure_id=structure_id, code=code)


def _validation_lines(claim: ExpenseClaim, lines: Sequence[ExpenseLine],
                      actor: AnyUser) -> list[LineInput]:
    treasury = treasury_account_for(claim.activity, actor=actor)
    by_account: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        by_account[ACCOUNT_OF[line.category]] += line.amount_excl_vat
    vat = sum((line.recoverable_vat for line in lines), ZERO)
    total = sum((line.amount_incl_vat for line in lines), ZERO)
    label = f"{piece_ref(claim)} {claim.person}"[:200]
    posted = [LineInput(account, debit=amount, label=label, treasury_account=treasury)
              for account, amount in sorted(by_account.items())]
    if vat:
        posted.append(LineInput(VAT_DEDUCTIBLE, debit=vat, label=label,
                                treasury_account=treasury))
    posted.append(LineInput(EXPENSE_CLAIMS_DUE, credit=total, label=label,
                            treasury_account=treasury))
    return posted


@transaction.atomic
def validate_claim(*, actor: AnyUser, claim: ExpenseClaim, today: dt.date) -> ExpenseClaim:
    """The gestionnaire accepts a submitted claim: it enters the books (OD) on the activity's
    treasury account, and the coopérant is told."""
    claim = _locked(claim)
    _require(permissions.can_decide_claim(actor, claim, today=today))
    if claim.status != ExpenseClaim.Status.SUBMITTED:
        raise ValidationError(_("Seule une note de frais envoyée se valide ; celle-ci est « "
                                "%(status)s ».") % {"status": claim.get_status_display()})
    lines = list(claim.lines.order_by("spent_on", "pk"))
    if (claim.structure.vat_regime == Structure.VatRegime.FRANCHISE
            and any(line.recoverable_vat for line in lines)):
        raise ValidationError(_("La structure est en franchise de TVA : refusez cette note "
                                "pour que la TVA soit retirée des lignes."))
    entry = ledger_services.post_entry(
        actor=actor, structure=claim.structure, journal=_journal(claim.structure_id, "OD"),
        date=today, label=_("Note de frais %(ref)s - %(person)s")
        % {"ref": piece_ref(claim), "person": claim.person},
        lines=_validation_lines(claim, lines, actor), piece_ref=piece_ref(claim),
        piece_date=max(line.spent_on for line in lines), source=SOURCE, validate=True,
        today=today)
    claim.status = ExpenseClaim.Status.VALIDATED
    claim.decided_at, claim.decided_by, claim.entry = timezone.now(), _signed_in(actor), entry
    claim.save(update_fields=["status", "decided_at", "decided_by", "entry"])
    total = sum((line.amount_incl_vat for line in lines), ZERO)
    _tell_person(claim, topic="purchases.expense_claim.validated",
                 subject=_("Note de frais validée"),
                 body=_("Votre note de frais de %(month)s pour %(activity)s (%(total)s €) est "
                        "validée. Le remboursement suivra.")
                 % {"month": _month(claim.month), "activity": claim.activity.name,
                    "total": format_money(total)})
    audit.record(actor=actor, action="purchases.expense_claim.validated", target=claim,
                 data={"entry": entry.pk, "total": str(total)})
    return claim


@transaction.atomic
def reject_claim(*, actor: AnyUser, claim: ExpenseClaim, reason: str,
                 today: dt.date) -> ExpenseClaim:
    """The gestionnaire sends a submitted claim back for good, saying why."""
    claim = _locked(claim)
    _require(permissions.can_decide_claim(actor, claim, today=today))
    if claim.status != ExpenseClaim.Status.SUBMITTED:
        raise ValidationError(_("Seule une note de frais envoyée se refuse ; celle-ci est « "
                                "%(status)s ».") % {"status": claim.get_status_display()})
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Dites pourquoi vous refusez : la personne doit "
                                           "savoir quoi corriger.")})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": _("%(count)s caractères au plus.")
                               % {"count": MAX_REASON}})
    claim.status = ExpenseClaim.Status.REJECTED
    claim.decided_at, claim.decided_by = timezone.now(), _signed_in(actor)
    claim.rejection_reason = reason
    claim.save(update_fields=["status", "decided_at", "decided_by", "rejection_reason"])
    _tell_person(claim, topic="purchases.expense_claim.rejected",
                 subject=_("Note de frais refusée"),
                 body=_("Votre note de frais de %(month)s pour %(activity)s est refusée : "
                        "%(reason)s\nVous pouvez en faire une nouvelle.")
                 % {"month": _month(claim.month), "activity": claim.activity.name,
                    "reason": reason})
    audit.record(actor=actor, action="purchases.expense_claim.rejected", target=claim,
                 data={"reason": reason})
    return claim


@transaction.atomic
def record_reimbursement(*, actor: AnyUser, claim: ExpenseClaim, paid_on: dt.date,
                         today: dt.date) -> ExpenseClaim:
    """The structure paid the coopérant back (BQ1: 425 against 512 on the treasury account
    the claim was posted on)."""
    claim = _locked(claim)
    _require(permissions.can_record_reimbursement(actor, claim.structure, today=today))
    if claim.status != ExpenseClaim.Status.VALIDATED or claim.entry_id is None:
        raise ValidationError(_("Seule une note de frais validée se rembourse ; celle-ci est « "
                                "%(status)s ».") % {"status": claim.get_status_display()})
    if paid_on > today:
        raise ValidationError({"paid_on": _("Un remboursement ne se note pas à l'avance.")})
    # The day the books received it (the service's `today`), not the clock's stamp.
    assert claim.entry is not None
    decided_on = claim.entry.date
    if paid_on < decided_on:
        raise ValidationError({"paid_on": _(
            "La note a été validée le %(day)s : elle n'a pas pu être remboursée avant."
        ) % {"day": _day(decided_on)}})
    owed = EntryLine.objects.select_related("treasury_account").get(
        entry_id=claim.entry_id, account__number=EXPENSE_CLAIMS_DUE)
    label = f"{piece_ref(claim)} {claim.person}"[:200]
    entry: Entry = ledger_services.post_entry(
        actor=actor, structure=claim.structure, journal=_journal(claim.structure_id, "BQ1"),
        date=paid_on, label=_("Remboursement de la note de frais %(ref)s - %(person)s")
        % {"ref": piece_ref(claim), "person": claim.person},
        lines=[LineInput(EXPENSE_CLAIMS_DUE, debit=owed.credit, label=label,
                         treasury_account=owed.treasury_account),
               LineInput(charts.BANK, credit=owed.credit, label=label,
                         treasury_account=owed.treasury_account)],
        piece_ref=piece_ref(claim), source=SOURCE, validate=True, today=today)
    paying = EntryLine.objects.get(entry=entry, account__number=EXPENSE_CLAIMS_DUE)
    if paying.fiscal_year_id == owed.fiscal_year_id:
        letter_settled(actor=actor, lines=[owed, paying], today=today)
    claim.status, claim.paid_on, claim.payment_entry = (ExpenseClaim.Status.PAID, paid_on,
                                                        entry)
    claim.save(update_fields=["status", "paid_on", "payment_entry"])
    _tell_person(claim, topic="purchases.expense_claim.reimbursed",
                 subject=_("Note de frais remboursée"),
                 body=_("Votre note de frais de %(month)s pour %(activity)s est remboursée "
                        "(%(total)s €, le %(day)s).")
                 % {"month": _month(claim.month), "activity": claim.activity.name,
                    "total": format_money(owed.credit), "day": _day(paid_on)})
    audit.record(actor=actor, action="purchases.expense_claim.reimbursed", target=claim,
                 data={"entry": entry.pk, "paid_on": paid_on.isoformat(),
                       "amount": str(owed.credit)})
    return claim
