"""Contribution schemes, their brackets and the overrides per activity: the gestionnaire's
writes (keyword-only, the acting user, atomic, audited) and the reads the pages need.

A structure's general schemes run from the first day of a month (inclusive) to the first day of
a later month (exclusive, open when empty) and never overlap, so exactly one (or none) is in
force on a month's first day. Once a scheme has served for a month's charges its computation
never changes: only its name and its end may.

An override puts one activity's treasury account (the coopérant's individual account for an
individual activity) under a particular scheme, or exempts it, for a period; two overrides of
one account never overlap. A particular scheme is born with its first override (and may then
serve other activities): the schemes no override names are the general ones. The model holds
no flag for it, so this is how the two kinds are told apart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kpa.core import audit
from kpa.core.auth import AnyUser
from kpa.core.dates import Period
from kpa.core.money import format_money, parse_amount
from kpa.directory.models import Activity, Structure
from kpa.directory.permissions import reach_of
from kpa.ledger.treasury_accounts import treasury_account_for
from kpa.treasury import permissions
from kpa.treasury.contribution import format_rate, month_code, next_month
from kpa.treasury.models import (
    ContributionBracket,
    ContributionCharge,
    ContributionOverride,
    ContributionScheme,
)

ZERO = Decimal("0.00")
MAX_BRACKETS = 20


@dataclass(frozen=True)
class BracketInput:
    """One bracket as a form or the API gives it: "30000" and "10,5"."""

    lower_bound: Decimal | str | int
    rate: Decimal | str | int


# -- reads -----------------------------------------------------------------------------------

def structures_for(user: AnyUser, today: dt.date) -> QuerySet[Structure]:
    """The structures whose contribution the user follows: gestionnaire or comptable."""
    reach = reach_of(user, today)
    if reach.is_admin:
        return Structure.objects.order_by("name", "pk")
    return Structure.objects.filter(pk__in=reach.structures).order_by("name", "pk")


def schemes_of(structure: Structure) -> QuerySet[ContributionScheme]:
    """The general schemes (no override names them), the latest first."""
    return (ContributionScheme.objects.filter(structure=structure, overrides__isnull=True)
            .order_by("-starts_on", "-pk"))


def particular_schemes_of(structure: Structure) -> QuerySet[ContributionScheme]:
    """The schemes made for overrides."""
    return (ContributionScheme.objects.filter(structure=structure, overrides__isnull=False)
            .distinct().order_by("name", "pk"))


def brackets_of(structure: Structure) -> dict[int, list[ContributionBracket]]:
    """{scheme id: its brackets, lowest first} for every scheme of the structure: one query
    whatever the number of schemes."""
    found: dict[int, list[ContributionBracket]] = {}
    for bracket in ContributionBracket.objects.filter(scheme__structure=structure).order_by(
            "scheme_id", "lower_bound"):
        found.setdefault(bracket.scheme_id, []).append(bracket)
    return found


def is_particular(scheme: ContributionScheme) -> bool:
    return ContributionOverride.objects.filter(scheme=scheme).exists()


def overrides_of(structure: Structure) -> QuerySet[ContributionOverride]:
    return (ContributionOverride.objects.filter(treasury_account__structure=structure)
            .select_related("treasury_account", "scheme")
            .order_by("-starts_on", "treasury_account__code", "-pk"))


def activities_of(structure: Structure) -> QuerySet[Activity]:
    """The activities an override may name: the structure's."""
    return (Activity.objects.filter(structure=structure)
            .select_related("kpa").order_by("name", "pk"))


# -- checks ----------------------------------------------------------------------------------

def _gate(actor: AnyUser, structure: Structure, today: dt.date) -> None:
    if not permissions.can_manage_contribution(actor, structure, today=today):
        raise PermissionDenied


def _day(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def _check_period(starts_on: dt.date, ends_on: dt.date | None) -> None:
    errors: dict[str, str] = {}
    if starts_on.day != 1:
        errors["starts_on"] = _("Commencez le 1er d'un mois (la contribution se compte par "
                                "mois), par exemple le %(day)s.") % {
            "day": _day(next_month(starts_on))}
    if ends_on is not None:
        if ends_on.day != 1:
            errors["ends_on"] = _("Arrêtez le 1er d'un mois (premier jour sans), par exemple "
                                  "le %(day)s.") % {"day": _day(next_month(ends_on))}
        elif ends_on <= starts_on:
            errors["ends_on"] = _("La fin (premier jour sans) vient après le début.")
    if errors:
        raise ValidationError(errors)


def _decimal(text: Decimal | str | int, places: int) -> Decimal:
    value = text if isinstance(text, Decimal) else parse_amount(str(text))
    if not value.is_finite() or value != round(value, places):
        raise ValueError(text)
    return value


def clean_brackets(brackets: Sequence[BracketInput]) -> list[tuple[Decimal, Decimal]]:
    """(lower bound, rate) sorted; French refusals keyed "brackets", one per bad line."""
    errors: list[str] = []
    cleaned: list[tuple[Decimal, Decimal]] = []
    if not brackets:
        raise ValidationError({"brackets": _(
            "Donnez au moins une tranche : « à partir de 0 €, 11,5 % » par exemple.")})
    if len(brackets) > MAX_BRACKETS:
        raise ValidationError({"brackets": _("%(n)d tranches au plus.") % {"n": MAX_BRACKETS}})
    for number, bracket in enumerate(brackets, start=1):
        try:
            lower = _decimal(bracket.lower_bound, 2)
            if lower < 0 or lower >= Decimal(10) ** 12:
                raise ValueError(lower)
        except ValueError:
            errors.append(_("Tranche %(n)d : « %(value)s » n'est pas un montant en euros "
                            "(par exemple 30000 ou 30000,00).")
                          % {"n": number, "value": str(bracket.lower_bound)[:30]})
            continue
        try:
            rate = _decimal(bracket.rate, 3)
            if not 0 <= rate <= 100:
                raise ValueError(rate)
        except ValueError:
            errors.append(_("Tranche %(n)d : « %(value)s » n'est pas un taux entre 0 et 100 %% "
                            "(trois décimales au plus, par exemple 11,5).")
                          % {"n": number, "value": str(bracket.rate)[:30]})
            continue
        cleaned.append((lower, rate))
    if errors:
        raise ValidationError({"brackets": errors})
    cleaned.sort()
    bounds = [lower for lower, _rate in cleaned]
    if bounds[0] != 0:
        errors.append(_("La première tranche commence à 0 € (ici à %(amount)s €).")
                      % {"amount": format_money(bounds[0])})
    doubled = sorted({b for b in bounds if bounds.count(b) > 1})
    if doubled:
        errors.append(_("Deux tranches commencent à %(amount)s € : gardez-en une.")
                      % {"amount": format_money(doubled[0])})
    if errors:
        raise ValidationError({"brackets": errors})
    return cleaned


def _clean_scheme(*, name: str, base: str, monthly_fee: Decimal | str | int,
                  starts_on: dt.date, ends_on: dt.date | None) -> tuple[str, Decimal]:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = _("Donnez un nom au barème, par exemple « Barème 2026 ».")
    if base not in ContributionScheme.Base.values:
        errors["base"] = _("Choisissez l'assiette : marge brute ou chiffre d'affaires HT.")
    fee = ZERO
    try:
        fee = _decimal(monthly_fee if monthly_fee != "" else "0", 2)
        if fee < 0 or fee >= Decimal(10) ** 12:
            raise ValueError(fee)
    except ValueError:
        errors["monthly_fee"] = _("Le forfait mensuel est un montant positif en euros, par "
                                  "exemple 20 ou 20,00 (0 pour aucun).")
    try:
        _check_period(starts_on, ends_on)
    except ValidationError as error:
        errors.update({key: value[0] for key, value in error.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    return name.strip()[:100], fee


def _clean_all(*, name: str, base: str, monthly_fee: Decimal | str | int, starts_on: dt.date,
               ends_on: dt.date | None, brackets: Sequence[BracketInput]
               ) -> tuple[str, Decimal, list[tuple[Decimal, Decimal]]]:
    """Every refusal at once, keyed by field."""
    errors: dict[str, list[str]] = {}
    clean_name, fee = "", ZERO
    cleaned: list[tuple[Decimal, Decimal]] = []
    try:
        clean_name, fee = _clean_scheme(name=name, base=base, monthly_fee=monthly_fee,
                                        starts_on=starts_on, ends_on=ends_on)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        cleaned = clean_brackets(brackets)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    return clean_name, fee, cleaned


def _check_no_overlap(structure: Structure, starts_on: dt.date, ends_on: dt.date | None,
                      *, excluding: ContributionScheme | None = None) -> None:
    period = Period(starts_on, ends_on)
    others = ContributionScheme.objects.filter(structure=structure, overrides__isnull=True)
    if excluding is not None:
        others = others.exclude(pk=excluding.pk)
    for other in others:
        if period.overlaps(Period(other.starts_on, other.ends_on)):
            if other.ends_on is None:
                when = _("depuis le %(start)s, sans fin") % {"start": _day(other.starts_on)}
            else:
                when = _("du %(start)s au %(end)s exclu") % {"start": _day(other.starts_on),
                                                             "end": _day(other.ends_on)}
            raise ValidationError({"starts_on": _(
                "Le barème « %(name)s » s'applique déjà %(when)s : donnez-lui d'abord une fin, "
                "ou faites commencer celui-ci après.") % {"name": other.name, "when": when}})


def _write_brackets(scheme: ContributionScheme, brackets: list[tuple[Decimal, Decimal]]) -> None:
    ContributionBracket.objects.filter(scheme=scheme).delete()
    ContributionBracket.objects.bulk_create(
        ContributionBracket(scheme=scheme, lower_bound=lower, rate=rate)
        for lower, rate in brackets)


def _brackets_data(brackets: list[tuple[Decimal, Decimal]]) -> list[str]:
    return [f"{format_money(lower)} → {format_rate(rate)} %" for lower, rate in brackets]


# -- schemes ---------------------------------------------------------------------------------

@transaction.atomic
def create_scheme(*, actor: AnyUser, structure: Structure, name: str, starts_on: dt.date,
                  brackets: Sequence[BracketInput], base: str = "gross_margin",
                  ends_on: dt.date | None = None, monthly_fee: Decimal | str | int = ZERO,
                  fee_waived_for_rsa: bool = False, today: dt.date) -> ContributionScheme:
    _gate(actor, structure, today)
    clean_name, fee, cleaned = _clean_all(name=name, base=base, monthly_fee=monthly_fee,
                                          starts_on=starts_on, ends_on=ends_on,
                                          brackets=brackets)
    Structure.objects.select_for_update().filter(pk=structure.pk).first()
    _check_no_overlap(structure, starts_on, ends_on)
    scheme = ContributionScheme.objects.create(
        structure=structure, name=clean_name, base=base, starts_on=starts_on, ends_on=ends_on,
        monthly_fee=fee, fee_waived_for_rsa=fee_waived_for_rsa)
    _write_brackets(scheme, cleaned)
    audit.record(actor=actor, action="treasury.contribution_scheme.created", target=scheme,
                 data={"base": base, "starts_on": starts_on.isoformat(),
                       "ends_on": ends_on.isoformat() if ends_on else None,
                       "monthly_fee": f"{fee:.2f}", "fee_waived_for_rsa": fee_waived_for_rsa,
                       "brackets": _brackets_data(cleaned)})
    return scheme


def last_charged_month(scheme: ContributionScheme) -> dt.date | None:
    return (ContributionCharge.objects.filter(scheme=scheme).order_by("-month")
            .values_list("month", flat=True).first())


@transaction.atomic
def update_scheme(*, actor: AnyUser, scheme: ContributionScheme, name: str,
                  starts_on: dt.date, brackets: Sequence[BracketInput],
                  base: str = "gross_margin", ends_on: dt.date | None = None,
                  monthly_fee: Decimal | str | int = ZERO, fee_waived_for_rsa: bool = False,
                  today: dt.date) -> ContributionScheme:
    """Change a scheme. Once it served for a month, only its name and end may change (and
    the end stays after that month): its computation is part of the books' history."""
    structure = scheme.structure
    _gate(actor, structure, today)
    Structure.objects.select_for_update().filter(pk=structure.pk).first()
    scheme = ContributionScheme.objects.prefetch_related("brackets").get(pk=scheme.pk)
    clean_name, fee, cleaned = _clean_all(name=name, base=base, monthly_fee=monthly_fee,
                                          starts_on=starts_on, ends_on=ends_on,
                                          brackets=brackets)
    used = last_charged_month(scheme)
    if used is not None:
        stored = [(b.lower_bound, b.rate) for b in scheme.brackets.all()]
        changed = (base != scheme.base or starts_on != scheme.starts_on
                   or fee != scheme.monthly_fee
                   or fee_waived_for_rsa != scheme.fee_waived_for_rsa or cleaned != stored)
        if changed:
            raise ValidationError(_(
                "Ce barème a servi pour la contribution de %(month)s : son calcul ne change "
                "plus. Donnez-lui une fin (le %(day)s au plus tôt) et créez un nouveau barème "
                "qui commence ce jour-là.") % {"month": month_code(used),
                                               "day": _day(next_month(used))})
        if ends_on is not None and ends_on <= used:
            raise ValidationError({"ends_on": _(
                "Ce barème a servi pour %(month)s : il s'arrête le %(day)s au plus tôt.")
                % {"month": month_code(used), "day": _day(next_month(used))}})
    if not is_particular(scheme):
        _check_no_overlap(structure, starts_on, ends_on, excluding=scheme)
    scheme.name, scheme.base, scheme.starts_on, scheme.ends_on = (clean_name, base, starts_on,
                                                                  ends_on)
    scheme.monthly_fee, scheme.fee_waived_for_rsa = fee, fee_waived_for_rsa
    scheme.save()
    if used is None:
        _write_brackets(scheme, cleaned)
        scheme = ContributionScheme.objects.prefetch_related("brackets").get(pk=scheme.pk)
    audit.record(actor=actor, action="treasury.contribution_scheme.updated", target=scheme,
                 data={"base": base, "starts_on": starts_on.isoformat(),
                       "ends_on": ends_on.isoformat() if ends_on else None,
                       "monthly_fee": f"{fee:.2f}", "fee_waived_for_rsa": fee_waived_for_rsa,
                       "brackets": _brackets_data(cleaned)})
    return scheme


# -- overrides -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scale:
    """A particular scheme made together with its first override."""

    name: str
    brackets: Sequence[BracketInput]
    base: str = "gross_margin"
    monthly_fee: Decimal | str | int = ZERO
    fee_waived_for_rsa: bool = False


@transaction.atomic
def create_override(*, actor: AnyUser, activity: Activity, reason: str, starts_on: dt.date,
                    exempt: bool = False, scheme: ContributionScheme | None = None,
                    new_scale: Scale | None = None, ends_on: dt.date | None = None,
                    today: dt.date) -> ContributionOverride:
    """Exempt the activity's treasury account for a period, or put it under a particular
    scheme: an existing one (`scheme`) or a new one (`new_scale`, which then runs over the
    override's period)."""
    structure = activity.structure
    _gate(actor, structure, today)
    errors: dict[str, list[str]] = {}
    if [exempt, scheme is not None, new_scale is not None].count(True) != 1:
        errors["scheme"] = [_("Choisissez : exonérer l'activité, ou lui appliquer un barème "
                              "particulier (un seul des deux).")]
    elif scheme is not None and scheme.structure_id != structure.pk:
        errors["scheme"] = [_("Ce barème est celui d'une autre structure : choisissez un "
                              "barème de %(structure)s.") % {"structure": structure.name}]
    elif scheme is not None and not is_particular(scheme):
        errors["scheme"] = [_("« %(name)s » est un barème général de la structure : pour une "
                              "activité, choisissez un barème particulier ou créez-en un.")
                            % {"name": scheme.name}]
    if not reason.strip():
        errors["reason"] = [_("Dites pourquoi (il s'affiche sur le calcul du coopérant), par "
                              "exemple « Allocataire du RSA, premiers mois ».")]
    try:
        _check_period(starts_on, ends_on)
    except ValidationError as error:
        errors.update(error.message_dict)
    cleaned: tuple[str, Decimal, list[tuple[Decimal, Decimal]]] | None = None
    if new_scale is not None:
        try:
            cleaned = _clean_all(name=new_scale.name, base=new_scale.base,
                                 monthly_fee=new_scale.monthly_fee, starts_on=starts_on,
                                 ends_on=ends_on, brackets=new_scale.brackets)
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                errors.setdefault(key, []).extend(m for m in messages
                                                  if m not in errors.get(key, []))
    if errors:
        raise ValidationError(errors)
    account = treasury_account_for(activity, actor=actor)
    period = Period(starts_on, ends_on)
    for other in ContributionOverride.objects.select_for_update().filter(
            treasury_account=account).order_by("pk"):
        if period.overlaps(Period(other.starts_on, other.ends_on)):
            raise ValidationError({"starts_on": _(
                "Une dérogation s'applique déjà à cette trésorerie à partir du %(start)s "
                "(« %(reason)s ») : arrêtez-la d'abord.")
                % {"start": _day(other.starts_on), "reason": other.reason}})
    charged = (ContributionCharge.objects.filter(treasury_account=account, month__gte=starts_on)
               .order_by("-month").values_list("month", flat=True).first())
    if charged is not None:
        raise ValidationError({"starts_on": _(
            "La contribution de %(month)s est déjà comptée pour cette trésorerie : la "
            "dérogation commence le %(day)s au plus tôt.")
            % {"month": month_code(charged), "day": _day(next_month(charged))}})
    if new_scale is not None and cleaned is not None:
        name, fee, brackets = cleaned
        scheme = ContributionScheme.objects.create(
            structure=structure, name=name, base=new_scale.base, starts_on=starts_on,
            ends_on=ends_on, monthly_fee=fee, fee_waived_for_rsa=new_scale.fee_waived_for_rsa)
        _write_brackets(scheme, brackets)
        audit.record(actor=actor, action="treasury.contribution_scheme.created", target=scheme,
                     data={"base": new_scale.base, "particular": True,
                           "monthly_fee": f"{fee:.2f}",
                           "fee_waived_for_rsa": new_scale.fee_waived_for_rsa,
                           "brackets": _brackets_data(brackets)})
    override = ContributionOverride.objects.create(
        treasury_account=account, scheme=scheme, exempt=exempt, reason=reason.strip()[:200],
        starts_on=starts_on, ends_on=ends_on)
    audit.record(actor=actor, action="treasury.contribution_override.created", target=override,
                 data={"activity": activity.pk, "account": account.code, "exempt": exempt,
                       "scheme": scheme.pk if scheme else None,
                       "starts_on": starts_on.isoformat(),
                       "ends_on": ends_on.isoformat() if ends_on else None})
    return override


@transaction.atomic
def end_override(*, actor: AnyUser, override: ContributionOverride, ends_on: dt.date,
                 today: dt.date) -> ContributionOverride:
    """Stop an override from `ends_on` (a month's first day, after the months it served)."""
    override = (ContributionOverride.objects.select_for_update(of=("self",))
                .select_related("treasury_account__structure").get(pk=override.pk))
    _gate(actor, override.treasury_account.structure, today)
    _check_period(override.starts_on, ends_on)
    account_id, period = override.treasury_account_id, Period(override.starts_on, ends_on)
    for other in ContributionOverride.objects.filter(treasury_account_id=account_id).exclude(
            pk=override.pk):
        if period.overlaps(Period(other.starts_on, other.ends_on)):
            raise ValidationError({"ends_on": _(
                "Une autre dérogation commence le %(start)s : arrêtez celle-ci avant.")
                % {"start": _day(other.starts_on)}})
    charged = (ContributionCharge.objects
               .filter(treasury_account_id=override.treasury_account_id,
                       month__gte=override.starts_on)
               .filter(Q(month__lt=override.ends_on) if override.ends_on else Q())
               .order_by("-month").values_list("month", flat=True).first())
    if charged is not None and ends_on <= charged:
        raise ValidationError({"ends_on": _(
            "Cette dérogation a servi pour %(month)s : elle s'arrête le %(day)s au plus tôt.")
            % {"month": month_code(charged), "day": _day(next_month(charged))}})
    override.ends_on = ends_on
    override.save(update_fields=["ends_on"])
    audit.record(actor=actor, action="treasury.contribution_override.ended", target=override,
                 data={"ends_on": ends_on.isoformat()})
    return override
