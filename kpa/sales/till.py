"""The shop till ("caisse") of a friperie or a grocery: quick sales, tickets, the daily closing
(Z) posted to the books as one entry, and the hash chain that detects any alteration.

The French rule for cash systems (CGI art. 286, I-3° bis) asks for inalterability, security,
keeping and archiving. Here:

- a ticket is never changed nor deleted by the platform; its `hash` is the SHA-256 of a canonical
  JSON of its content and of the previous ticket's hash (64 zeros for the first), so altering,
  removing or re-ordering a row breaks the chain;
- a closing (Z) chains the same way among the till's closings and carries, in its totals, the
  number and hash of every ticket it closes: a ticket rewritten after the closing, even with its
  own hash recomputed, no longer matches what the Z recorded;
- `verify_chain` recomputes everything and says in plain French what is broken; it also reads
  the (append-only) audit trail, so that the deletion of the very last ticket shows too.

Numbers are gap-free per till: the till row is locked while a ticket or a Z is numbered. Shop
prices include VAT; each rate's base is computed once from the day's (or the ticket's) sum
incl. VAT, so the Z, the ticket and the books agree to the cent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kpa.core import audit
from kpa.core.auth import AnyUser
from kpa.core.models import AuditEvent
from kpa.core.money import format_money, quantize
from kpa.directory.models import Activity, Person, Structure
from kpa.ledger import charts
from kpa.ledger import services as ledger_services
from kpa.ledger.models import Entry
from kpa.ledger.services import LineInput
from kpa.ledger.treasury_accounts import treasury_account_for
from kpa.sales import permissions
from kpa.sales.eligibility import cape_holder
from kpa.sales.models import (
    CatalogItem,
    PaymentMethod,
    Till,
    TillClosing,
    TillTicket,
    VatRate,
)
from kpa.sales.posting import GOODS_SALES, journal

ZERO = Decimal("0.00")
GENESIS = "0" * 64
CASH_JOURNAL = "CA"
# The order in which a shop thinks of its takings; also the order of the Z and of the entry.
METHOD_ORDER: tuple[str, ...] = (PaymentMethod.CASH, PaymentMethod.CARD, PaymentMethod.CHEQUE,
                                 PaymentMethod.TRANSFER)
MAX_QUANTITY = 10_000
MAX_UNIT_PRICE = Decimal("1000000.00")
MAX_DESCRIPTION = 150
TICKET_RECORDED = "sales.till_ticket.recorded"


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _signed_in(actor: AnyUser) -> User:
    # The gates already turned anonymous users away; this tells the type checker so.
    if not isinstance(actor, User):
        raise PermissionDenied
    return actor


# -- amounts ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class TillLineInput:
    """One line of a sale as the caller gives it: a catalogue item or a free amount."""

    description: str
    quantity: int
    unit_price_incl_vat: Decimal
    vat_rate: str
    item: CatalogItem | None = None


@dataclass(frozen=True)
class RateTotal:
    rate: str  # as VatRate stores it, e.g. "20.00"
    excl_vat: Decimal
    vat: Decimal
    incl_vat: Decimal


def is_franchise(structure: Structure) -> bool:
    return structure.vat_regime == Structure.VatRegime.FRANCHISE


def item_price_incl_vat(item: CatalogItem, *, franchise: bool) -> Decimal:
    """The catalogue keeps prices excl. VAT; the shop shows and takes them incl. VAT."""
    if franchise:
        return quantize(item.unit_price)
    rate = Decimal(item.vat_rate)
    return quantize(Decimal(item.unit_price) * (100 + rate) / 100)


def item_line(item: CatalogItem, *, quantity: int, franchise: bool) -> TillLineInput:
    return TillLineInput(
        description=item.name, quantity=quantity,
        unit_price_incl_vat=item_price_incl_vat(item, franchise=franchise),
        vat_rate=VatRate.NONE if franchise else item.vat_rate, item=item)


def split_vat(incl_vat_by_rate: dict[str, Decimal]) -> list[RateTotal]:
    """Each rate's base from its sum incl. VAT: base = ttc * 100 / (100 + rate), rounded once;
    the VAT is what remains, so base + VAT is exactly what the customers paid."""
    totals = []
    for rate in sorted(incl_vat_by_rate, key=Decimal, reverse=True):
        incl = quantize(incl_vat_by_rate[rate])
        base = quantize(incl * 100 / (100 + Decimal(rate)))
        totals.append(RateTotal(rate=rate, excl_vat=base, vat=incl - base, incl_vat=incl))
    return totals


def line_total(line: dict[str, Any]) -> Decimal:
    return quantize(Decimal(line["unit_price_incl_vat"]) * int(line["quantity"]))


def incl_vat_by_rate(lines: Iterable[dict[str, Any]]) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = {}
    for line in lines:
        rate = str(line["vat_rate"])
        sums[rate] = sums.get(rate, ZERO) + line_total(line)
    return sums


def ticket_vat(ticket: TillTicket) -> list[RateTotal]:
    """The VAT per rate a ticket prints."""
    return split_vat(incl_vat_by_rate(ticket.lines))


# -- the hash chain --------------------------------------------------------------------------

def _digest(content: dict[str, Any], previous_hash: str) -> str:
    # Sorted keys, no spaces, UTF-8: the same content always gives the same bytes, whatever the
    # database or the Python version.
    canonical = json.dumps({"content": content, "previous_hash": previous_hash},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _instant(moment: dt.datetime) -> str:
    # UTC, so that the text is the same before and after the database's round trip.
    return moment.astimezone(dt.UTC).isoformat()


def ticket_content(ticket: TillTicket) -> dict[str, Any]:
    return {
        "till": ticket.till_id, "number": ticket.number, "sold_at": _instant(ticket.sold_at),
        "seller": ticket.sold_by_id, "method": ticket.method,
        "total": str(quantize(ticket.total_incl_vat)), "lines": ticket.lines,
    }


def ticket_hash(ticket: TillTicket) -> str:
    return _digest(ticket_content(ticket), ticket.previous_hash)


def closing_content(closing: TillClosing) -> dict[str, Any]:
    # The totals carry the closed tickets' numbers and hashes (see `day_totals`).
    return {
        "till": closing.till_id, "number": closing.number, "day": closing.day.isoformat(),
        "closed_at": _instant(closing.closed_at), "closed_by": closing.closed_by_id,
        "ticket_count": closing.ticket_count, "total": str(quantize(closing.total_incl_vat)),
        "totals": closing.totals, "entry": closing.entry_id,
    }


def closing_hash(closing: TillClosing) -> str:
    return _digest(closing_content(closing), closing.previous_hash)


# -- days ------------------------------------------------------------------------------------

def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The instants a local day runs from and to (exclusive), in the platform's time zone."""
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


def _sale_moment(today: dt.date, now: dt.datetime | None) -> dt.datetime:
    """When the sale happens. The caller's `today` decides the day (services never guess it);
    the clock only gives the time of day."""
    if now is not None:
        if timezone.is_naive(now):
            raise ValueError("A sale's moment must be an aware datetime.")
        if timezone.localdate(now) != today:
            raise ValueError("A sale's moment must fall on `today`.")
        return now
    clock = timezone.localtime(timezone.now())
    if clock.date() == today:
        return clock
    # A page shown before midnight and sent after it, or a replay (the demo): the sale keeps
    # the caller's day and takes the clock's time of day.
    return dt.datetime.combine(today, clock.timetz())


def _as_of(now: dt.datetime | None) -> dt.datetime:
    clock = now or timezone.now()
    if timezone.is_naive(clock):
        raise ValueError("A closing's moment must be an aware datetime.")
    return clock


def day_totals(tickets: Sequence[TillTicket]) -> dict[str, Any]:
    """The Z's figures for these tickets: per payment method, per VAT rate (base, VAT, incl.
    VAT), the grand totals, and the number and hash of each ticket. Amounts are strings, so the
    JSON and its hash never meet a float."""
    methods: dict[str, dict[str, Any]] = {}
    lines: list[dict[str, Any]] = []
    for ticket in tickets:
        entry = methods.setdefault(ticket.method, {"count": 0, "total": ZERO})
        entry["count"] += 1
        entry["total"] += quantize(ticket.total_incl_vat)
        lines.extend(ticket.lines)
    rates = split_vat(incl_vat_by_rate(lines))
    return {
        "methods": {m: {"count": methods[m]["count"], "total": str(methods[m]["total"])}
                    for m in METHOD_ORDER if m in methods},
        "rates": {r.rate: {"excl_vat": str(r.excl_vat), "vat": str(r.vat),
                           "incl_vat": str(r.incl_vat)} for r in rates},
        "excl_vat": str(sum((r.excl_vat for r in rates), ZERO)),
        "vat": str(sum((r.vat for r in rates), ZERO)),
        "incl_vat": str(sum((quantize(t.total_incl_vat) for t in tickets), ZERO)),
        "tickets": [{"number": t.number, "hash": t.hash} for t in tickets],
    }


def tickets_of_day(till: Till, day: dt.date) -> list[TillTicket]:
    """The day's tickets not closed yet, in number order."""
    start, end = day_bounds(day)
    return list(TillTicket.objects.filter(till=till, closing__isnull=True, sold_at__gte=start,
                                          sold_at__lt=end).order_by("number"))


# -- services --------------------------------------------------------------------------------

@transaction.atomic
def open_till(*, actor: AnyUser, activity: Activity, name: str, today: dt.date) -> Till:
    require(permissions.can_sell_for(actor, activity, today=today))
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Donnez un nom à la caisse, par exemple « Comptoir ».")})
    if activity.ended_on is not None and activity.ended_on <= today:
        raise ValidationError(_("L'activité « %(activity)s » est terminée : on n'y ouvre plus de "
                                "caisse.") % {"activity": activity.name})
    if Till.objects.filter(activity=activity, name__iexact=name).exists():
        raise ValidationError({"name": _("L'activité a déjà une caisse « %(name)s » : choisissez "
                                         "un autre nom.") % {"name": name}})
    till = Till.objects.create(activity=activity, name=name[:100])
    audit.record(actor=actor, action="sales.till.opened", target=till,
                 data={"activity": activity.pk, "name": till.name})
    return till


def _seller_person(actor: AnyUser, activity: Activity, today: dt.date) -> Person | None:
    """The seller, when they are a member of the activity; a gestionnaire acting for the till is
    not, and then the CAPE of the first member who qualifies carries the sale."""
    if activity.pk not in permissions.member_activity_ids(actor, today):
        return None
    return Person.objects.filter(user=_signed_in(actor)).first()


def _clean_lines(lines: Sequence[TillLineInput], *, activity: Activity,
                 franchise: bool) -> list[dict[str, Any]]:
    if not lines:
        raise ValidationError(_("Ajoutez au moins un article ou un montant."))
    cleaned: list[dict[str, Any]] = []
    errors: list[str] = []
    rates = set(VatRate.values)
    for position, line in enumerate(lines, start=1):
        where = _("Ligne %(n)d") % {"n": position}
        quantity, price, rate = line.quantity, line.unit_price_incl_vat, str(line.vat_rate)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            errors.append(_("%(where)s : la quantité est un nombre entier, au moins 1.")
                          % {"where": where})
        elif quantity > MAX_QUANTITY:
            errors.append(_("%(where)s : %(n)d pièces d'un coup, c'est trop ; vérifiez la "
                            "quantité.") % {"where": where, "n": quantity})
        if (not isinstance(price, Decimal) or not price.is_finite() or price <= 0
                or price != quantize(price)):
            errors.append(_("%(where)s : le prix est un montant positif, au centime près.")
                          % {"where": where})
        elif price > MAX_UNIT_PRICE:
            errors.append(_("%(where)s : le prix %(price)s € est trop grand ; vérifiez-le.")
                          % {"where": where, "price": format_money(price)})
        if rate not in rates:
            errors.append(_("%(where)s : le taux de TVA « %(rate)s » n'existe pas.")
                          % {"where": where, "rate": rate})
        elif franchise and rate != VatRate.NONE:
            errors.append(_("%(where)s : la structure ne facture pas la TVA (TVA non applicable, "
                            "art. 293 B du CGI) ; le taux est 0 %%.") % {"where": where})
        item = line.item
        if item is not None and (item.activity_id != activity.pk or item.archived_at is not None):
            errors.append(_("%(where)s : « %(item)s » n'est pas au catalogue de l'activité.")
                          % {"where": where, "item": item.name})
        description = " ".join(str(line.description or "").split())
        if not description:
            description = item.name if item is not None else _("Vente libre")
        if errors:
            continue
        cleaned.append({
            "description": description[:MAX_DESCRIPTION], "quantity": quantity,
            "unit_price_incl_vat": str(price), "vat_rate": rate,
            "item": item.pk if item is not None else None,
            "total_incl_vat": str(quantize(price * quantity)),
        })
    if errors:
        raise ValidationError(errors)
    return cleaned


def _refuse_closed_day(till: Till, day: dt.date) -> None:
    last = TillClosing.objects.filter(till=till, day__gte=day).order_by("-day").first()
    if last is None:
        return
    if last.day == day:
        raise ValidationError(_(
            "La journée du %(day)s est déjà clôturée (Z%(number)d) : la caisse n'enregistre plus "
            "de vente ce jour-là ; elle reprend demain."
        ) % {"day": day.strftime("%d/%m/%Y"), "number": last.number})
    raise ValidationError(_(
        "La caisse est déjà clôturée au %(day)s (Z%(number)d) : on ne vend plus à une date "
        "antérieure."
    ) % {"day": last.day.strftime("%d/%m/%Y"), "number": last.number})


@transaction.atomic
def record_sale(*, actor: AnyUser, till: Till, lines: Sequence[TillLineInput], method: str,
                today: dt.date, now: dt.datetime | None = None) -> TillTicket:
    """One sale: a ticket numbered after the till's last one and chained to it."""
    activity = till.activity
    require(permissions.can_sell_for(actor, activity, today=today))
    cape_holder(activity, on=today, prefer=_seller_person(actor, activity, today))
    if method not in PaymentMethod.values:
        raise ValidationError({"method": _("Choisissez le moyen de paiement : espèces, carte, "
                                           "chèque ou virement.")})
    cleaned = _clean_lines(lines, activity=activity,
                           franchise=is_franchise(activity.structure))
    sold_at = _sale_moment(today, now)
    # The lock makes numbering gap-free and the chain linear under concurrent sales.
    locked = Till.objects.select_for_update().get(pk=till.pk)
    _refuse_closed_day(locked, today)
    last = TillTicket.objects.filter(till=locked).order_by("-number").only(
        "number", "hash", "sold_at").first()
    if (now is None and last is not None and last.sold_at > sold_at
            and timezone.localdate(last.sold_at) == today):
        sold_at = last.sold_at  # a ticket never goes before the previous one of its day
    total = sum((Decimal(ln["total_incl_vat"]) for ln in cleaned), ZERO)
    ticket = TillTicket(
        till=locked, number=(last.number + 1) if last else 1, sold_at=sold_at,
        sold_by=_signed_in(actor), method=method, total_incl_vat=total, lines=cleaned,
        previous_hash=last.hash if last else GENESIS)
    ticket.hash = ticket_hash(ticket)
    ticket.save()
    audit.record(actor=actor, action=TICKET_RECORDED, target=ticket,
                 data={"till": locked.pk, "number": ticket.number, "method": method,
                       "total": str(ticket.total_incl_vat), "hash": ticket.hash})
    return ticket


def _closing_entry(*, actor: AnyUser, till: Till, number: int, day: dt.date,
                   totals: dict[str, Any], today: dt.date) -> Entry | None:
    """The Z as one entry in the cash journal: the takings per payment method against the
    sales (707) and the VAT collected (44571) per rate. Nothing to post for an empty day."""
    if Decimal(totals["incl_vat"]) == 0:
        return None
    activity = till.activity
    treasury = treasury_account_for(activity, actor=actor)
    # Entry labels reach the FEC: plain hyphens keep them within ISO-8859-15.
    label = f"Caisse {till.name} - Z{number} du {day:%d/%m/%Y}"[:200]
    lines: list[LineInput] = []
    for method, figures in totals["methods"].items():
        account = charts.CASH if method == PaymentMethod.CASH else charts.BANK
        # The books speak the platform's language, whatever the closer's page language.
        with translation.override(settings.LANGUAGE_CODE):
            method_label = str(PaymentMethod(method).label)
        lines.append(LineInput(account, debit=Decimal(figures["total"]),
                               label=f"{label} - {method_label}"[:200],
                               treasury_account=treasury))
    for rate, figures in totals["rates"].items():
        shown = f"{Decimal(rate):g}".replace(".", ",")
        if Decimal(figures["excl_vat"]):
            lines.append(LineInput(GOODS_SALES, credit=Decimal(figures["excl_vat"]),
                                   label=f"{label} - ventes {shown} %"[:200],
                                   treasury_account=treasury))
        if Decimal(figures["vat"]):
            lines.append(LineInput(charts.VAT_COLLECTED, credit=Decimal(figures["vat"]),
                                   label=f"{label} - TVA {shown} %"[:200],
                                   treasury_account=treasury))
    return ledger_services.post_entry(
        actor=actor, structure=activity.structure,
        journal=journal(activity.structure_id, CASH_JOURNAL), date=day, label=label,
        lines=lines, piece_ref=f"Z{number}", source="sales.till", validate=True, today=today)


@transaction.atomic
def close_day(*, actor: AnyUser, till: Till, day: dt.date, today: dt.date,
              now: dt.datetime | None = None) -> TillClosing:
    """The daily closing (Z): once per till and day, in order of days, never ahead of time."""
    require(permissions.can_sell_for(actor, till.activity, today=today))
    if day > today:
        raise ValidationError(_("On ne clôture pas une journée à venir : revenez le %(day)s, "
                                "après la dernière vente.") % {"day": day.strftime("%d/%m/%Y")})
    locked = (Till.objects.select_for_update(of=("self",))
              .select_related("activity__structure").get(pk=till.pk))
    closings = TillClosing.objects.filter(till=locked)
    same_day = closings.filter(day=day).first()
    if same_day is not None:
        raise ValidationError(_("La journée du %(day)s est déjà clôturée (Z%(number)d) : une "
                                "journée ne se clôture qu'une fois.")
                              % {"day": day.strftime("%d/%m/%Y"), "number": same_day.number})
    later = closings.filter(day__gt=day).order_by("-day").first()
    if later is not None:
        raise ValidationError(_("La caisse est déjà clôturée au %(day)s (Z%(number)d) : on ne "
                                "revient pas sur une journée antérieure.")
                              % {"day": later.day.strftime("%d/%m/%Y"), "number": later.number})
    start, _end = day_bounds(day)
    earlier = (TillTicket.objects.filter(till=locked, closing__isnull=True, sold_at__lt=start)
               .order_by("sold_at").first())
    if earlier is not None:
        earlier_day = timezone.localdate(earlier.sold_at)
        raise ValidationError(_("Des ventes du %(day)s ne sont pas clôturées : clôturez d'abord "
                                "cette journée-là.") % {"day": earlier_day.strftime("%d/%m/%Y")})
    tickets = tickets_of_day(locked, day)
    totals = day_totals(tickets)
    previous = closings.order_by("-number").only("number", "hash").first()
    number = (previous.number + 1) if previous else 1
    entry = _closing_entry(actor=actor, till=locked, number=number, day=day, totals=totals,
                           today=today)
    closing = TillClosing(
        till=locked, number=number, day=day, closed_at=_as_of(now), closed_by=_signed_in(actor),
        ticket_count=len(tickets), total_incl_vat=Decimal(totals["incl_vat"]), totals=totals,
        entry=entry, previous_hash=previous.hash if previous else GENESIS)
    closing.hash = closing_hash(closing)
    closing.save()
    TillTicket.objects.filter(pk__in=[t.pk for t in tickets]).update(closing=closing)
    audit.record(actor=actor, action="sales.till_closing.closed", target=closing,
                 data={"till": locked.pk, "number": number, "day": day.isoformat(),
                       "tickets": len(tickets), "total": totals["incl_vat"],
                       "entry": entry.pk if entry else None, "hash": closing.hash})
    return closing


# -- verification ----------------------------------------------------------------------------

def _recorded_numbers(till: Till) -> set[int]:
    """The ticket numbers the append-only audit trail saw being recorded for this till."""
    numbers = AuditEvent.objects.filter(
        action=TICKET_RECORDED, target_type=TillTicket._meta.label_lower,
        data__till=till.pk).values_list("data__number", flat=True)
    return {int(n) for n in numbers if n is not None}


def _verify_tickets(till: Till, tickets: list[TillTicket]) -> list[str]:
    problems: list[str] = []
    present = {t.number for t in tickets}
    expected = set(range(1, max(present | _recorded_numbers(till) | {0}) + 1))
    for number in sorted(expected - present):
        problems.append(_("Le ticket n° %(number)d manque : il a été supprimé.")
                        % {"number": number})
    previous: TillTicket | None = None
    for ticket in tickets:
        if ticket_hash(ticket) != ticket.hash:
            problems.append(_("Le ticket n° %(number)d a été modifié après son enregistrement "
                              "(son empreinte ne correspond plus à son contenu).")
                            % {"number": ticket.number})
        try:
            lines_total = sum((line_total(ln) for ln in ticket.lines), ZERO)
        except (KeyError, TypeError, ValueError, ArithmeticError):
            lines_total = None
        if lines_total != quantize(ticket.total_incl_vat):
            problems.append(_("Le total du ticket n° %(number)d ne correspond pas à ses lignes.")
                            % {"number": ticket.number})
        consecutive = (previous is None and ticket.number == 1) or (
            previous is not None and ticket.number == previous.number + 1)
        expected_link = previous.hash if previous is not None else GENESIS
        # After a missing number the link is broken by construction: the gap says it already.
        if consecutive and ticket.previous_hash != expected_link:
            problems.append(_("Le chaînage est rompu au ticket n° %(number)d : il ne suit plus "
                              "le ticket précédent.") % {"number": ticket.number})
        previous = ticket
    return problems


def _verify_closings(closings: list[TillClosing], tickets: list[TillTicket]) -> list[str]:
    problems: list[str] = []
    by_closing: dict[int, list[TillTicket]] = {}
    for ticket in tickets:
        if ticket.closing_id is not None:
            by_closing.setdefault(ticket.closing_id, []).append(ticket)
    present = {c.number for c in closings}
    for number in sorted(set(range(1, max(present | {0}) + 1)) - present):
        problems.append(_("La clôture Z%(number)d manque : elle a été supprimée.")
                        % {"number": number})
    previous: TillClosing | None = None
    for closing in closings:
        if closing_hash(closing) != closing.hash:
            problems.append(_("La clôture Z%(number)d du %(day)s a été modifiée après coup (son "
                              "empreinte ne correspond plus à son contenu).")
                            % {"number": closing.number,
                               "day": closing.day.strftime("%d/%m/%Y")})
        if ((previous is None and closing.number == 1)
                or (previous is not None and closing.number == previous.number + 1)):
            expected_link = previous.hash if previous is not None else GENESIS
            if closing.previous_hash != expected_link:
                problems.append(_("Le chaînage des clôtures est rompu à la Z%(number)d.")
                                % {"number": closing.number})
        recorded = closing.totals.get("tickets", []) if isinstance(closing.totals, dict) else []
        recorded_hashes = {int(t["number"]): t["hash"] for t in recorded
                           if isinstance(t, dict) and "number" in t and "hash" in t}
        attached = {t.number: t for t in by_closing.get(closing.pk, [])}
        for number, stored in sorted(recorded_hashes.items()):
            found = attached.get(number)
            if found is None:
                problems.append(_("Le ticket n° %(number)d, clos par la Z%(z)d, n'y est plus "
                                  "rattaché.") % {"number": number, "z": closing.number})
            elif found.hash != stored:
                problems.append(_("Le ticket n° %(number)d a changé après la clôture Z%(z)d.")
                                % {"number": number, "z": closing.number})
        for number in sorted(set(attached) - set(recorded_hashes)):
            problems.append(_("Le ticket n° %(number)d a été rattaché après coup à la clôture "
                              "Z%(z)d.") % {"number": number, "z": closing.number})
        previous = closing
    return problems


def verify_chain(till: Till) -> list[str]:
    """Every break of the till's chains, in plain French; an untouched till gives []."""
    tickets = list(TillTicket.objects.filter(till=till).order_by("number"))
    closings = list(TillClosing.objects.filter(till=till).order_by("number"))
    return _verify_tickets(till, tickets) + _verify_closings(closings, tickets)
