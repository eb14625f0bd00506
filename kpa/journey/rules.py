"""The CAPE rules as pure functions (Code de commerce L127-1 and R127-1, Code du travail L5142-1).

A CAPE lasts 12 months at most and may be renewed twice, 36 months in all; it may be signed from
16 years of age, a minor needing a parent's consent. Periods end exclusively, as everywhere in the
platform: a period of exactly twelve months from 1 March ends on the next 1 March. Each function
returns French messages keyed by field, so the services, the forms and the API say the same thing.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

MIN_AGE = 16
ADULT_AGE = 18
MAX_PERIOD_MONTHS = 12
MAX_RENEWALS = 2
MAX_TOTAL_MONTHS = 36

Problems = dict[str, list[str]]


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day when it has no such day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last_day))


def age_on(birth_date: dt.date, day: dt.date) -> int:
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - before_birthday


def is_minor(birth_date: dt.date, day: dt.date) -> bool:
    return age_on(birth_date, day) < ADULT_AGE


def birthday(birth_date: dt.date, age: int) -> dt.date:
    """The first day on which `age_on` reaches `age`. Someone born on 29 February has their
    birthday on 1 March in a common year, as `age_on` counts it (never a day too early)."""
    day = add_months(birth_date, age * 12)
    return day if day.day == birth_date.day else day + dt.timedelta(days=1)


def birth_date_problems(birth_date: dt.date, today: dt.date) -> Problems:
    if birth_date >= today:
        return {"birth_date": [_("La date de naissance doit être dans le passé.")]}
    if age_on(birth_date, today) < MIN_AGE:
        return {"birth_date": [_(
            "Un contrat CAPE se signe à partir de 16 ans. Revenez à partir du %(day)s, jour "
            "du 16e anniversaire."
        ) % {"day": birthday(birth_date, MIN_AGE).strftime("%d/%m/%Y")}]}
    return {}


@dataclass(frozen=True)
class Span:
    """A contract period already held with the structure: [starts_on, ends_on)."""

    starts_on: dt.date
    ends_on: dt.date


def period_problems(starts_on: dt.date, ends_on: dt.date) -> Problems:
    """One period: ends after it starts, and 12 months at most."""
    if ends_on <= starts_on:
        return {"ends_on": [_("La fin doit venir après le début du contrat.")]}
    longest = add_months(starts_on, MAX_PERIOD_MONTHS)
    if ends_on > longest:
        return {"ends_on": [_(
            "Une période de CAPE dure 12 mois au plus : le dernier jour est au plus tard le "
            "%(day)s. Renouvelez ensuite si besoin."
        ) % {"day": (longest - dt.timedelta(days=1)).strftime("%d/%m/%Y")}]}
    return {}


def chain_problems(*, starts_on: dt.date, ends_on: dt.date, chain: Sequence[Span],
                   reissue: bool = False) -> Problems:
    """A renewal of `chain` (the periods held so far, oldest first): at most two renewals,
    36 months in all, starting the day the previous period ends. A renewal reissued because it
    was not signed in time (`reissue`) cannot start that day any more: it starts on or after it,
    still within the 36 months counted from the first start."""
    problems = period_problems(starts_on, ends_on)
    if problems or not chain:
        return problems
    if len(chain) > MAX_RENEWALS:
        return {"__all__": [_(
            "Ce CAPE a déjà été renouvelé deux fois : il ne peut plus l'être. Décidez d'une "
            "sortie ou d'un passage en CESA."
        )]}
    if reissue and starts_on < chain[-1].ends_on:
        return {"starts_on": [_(
            "Un renouvellement commence au plus tôt le jour où la période précédente s'arrête "
            "(le %(day)s)."
        ) % {"day": chain[-1].ends_on.strftime("%d/%m/%Y")}]}
    if not reissue and starts_on != chain[-1].ends_on:
        return {"starts_on": [_(
            "Un renouvellement commence le jour où la période précédente s'arrête (le %(day)s)."
        ) % {"day": chain[-1].ends_on.strftime("%d/%m/%Y")}]}
    latest_end = add_months(chain[0].starts_on, MAX_TOTAL_MONTHS)
    if ends_on > latest_end:
        return {"ends_on": [_(
            "Un CAPE dure 36 mois au plus en tout : le dernier jour de cette période est au "
            "plus tard le %(day)s."
        ) % {"day": (latest_end - dt.timedelta(days=1)).strftime("%d/%m/%Y")}]}
    return {}


def overlaps(span: Span, others: Sequence[Span]) -> bool:
    return any(span.starts_on < o.ends_on and o.starts_on < span.ends_on for o in others)
