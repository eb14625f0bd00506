"""The payroll round trip of a month, for the gestionnaire.

1. Export: the month's requests transmitted to payroll (and those already exported, so that
   the file always gives the whole month) as a CSV the payroll software or a spreadsheet reads:
   `;`-separated, UTF-8 with a byte-order mark, decimal commas. Transmitted requests become
   exported.
2. Import: the payroll software's summary, one line per person (person id or treasury account
   code, gross, net, employer cost; `;` or `,` between columns, `,` or `.` for decimals, a
   header row). Every line is checked first; one bad line refuses the whole file with a
   line-numbered report and nothing is booked. Then each line is booked on the person's
   individual treasury account (OD: D 641 gross, D 645 cost - gross, C 421 net, C 431
   cost - net) and its net paid (BQ1: D 421 / C 512), both dated the month's last day (today
   when the month is not over: the books take no entry dated in the future); the month's
   request becomes booked and the coopérant is told.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kpa.core import audit
from kpa.core.auth import AnyUser
from kpa.core.money import format_money, parse_amount, quantize
from kpa.core.notifications import notify
from kpa.directory.models import Person, Structure
from kpa.journey.notices import person_users
from kpa.ledger.models import Entry, Journal, TreasuryAccount
from kpa.ledger.services import LineInput, fiscal_year_for, post_entry
from kpa.treasury.models import PayRequest, PayrollImport, PayrollLine
from kpa.treasury.pay import (
    last_day_of,
    month_name,
    month_of,
    require,
    short_date,
    signed_in,
)
from kpa.treasury.permissions import can_process_payroll

MAX_FILE_BYTES = 2 * 1024 * 1024
SOURCE = "treasury.payroll"
EXPORT_HEADER = ["id_personne", "nom", "prenom", "mois", "net_demande", "brut_estime",
                 "cout_estime", "compte_tresorerie"]
# Header names the import understands, compared without accents, case, spaces or signs.
PERSON_COLUMNS = {"idpersonne", "personne", "person", "personid", "idperson", "matricule"}
ACCOUNT_COLUMNS = {"comptetresorerie", "compte", "codecompte", "treasuryaccount", "account",
                   "comptedetresorerie"}
GROSS_COLUMNS = {"brut", "gross", "salairebrut", "brutmensuel"}
NET_COLUMNS = {"net", "netpaye", "netapayer", "netverse"}
COST_COLUMNS = {"coutemployeur", "cout", "couttotal", "coutglobal", "employercost", "cost"}
SPACES = str.maketrans("", "", " \u00a0\u202f\t")


def _spreadsheet_safe(text: str) -> str:
    """A cell a spreadsheet would read as a formula is written as text."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


def _decimal_comma(amount: Decimal) -> str:
    return f"{amount:.2f}".replace(".", ",")


# -- export ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class PayrollExport:
    file_name: str
    content: bytes
    count: int


def month_requests(structure: Structure, month: dt.date) -> list[PayRequest]:
    """Every request of the structure for the month, people in alphabetical order."""
    return list(PayRequest.objects.filter(structure=structure, month=month_of(month))
                .select_related("person", "treasury_account")
                .order_by("person__last_name", "person__first_name", "pk"))


@transaction.atomic
def export_month(*, actor: AnyUser, structure: Structure, month: dt.date,
                 today: dt.date) -> PayrollExport:
    require(can_process_payroll(actor, structure, today=today))
    month = month_of(month)
    ready = [r for r in month_requests(structure, month) if r.status in (
        PayRequest.Status.TRANSMITTED, PayRequest.Status.EXPORTED)]
    if not ready:
        raise ValidationError(_("Aucune demande transmise à la paie pour %(month)s : rien à "
                                "exporter.") % {"month": month_name(month)})
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(EXPORT_HEADER)
    for request in ready:
        writer.writerow([
            request.person_id, _spreadsheet_safe(request.person.last_name),
            _spreadsheet_safe(request.person.first_name), f"{month:%Y-%m}",
            _decimal_comma(request.net_amount), _decimal_comma(request.estimated_gross),
            _decimal_comma(request.estimated_cost), request.treasury_account.code])
    newly = [r.pk for r in ready if r.status == PayRequest.Status.TRANSMITTED]
    PayRequest.objects.filter(pk__in=newly).update(status=PayRequest.Status.EXPORTED,
                                                   exported_at=timezone.now())
    audit.record(actor=actor, action="treasury.payroll.exported", target=structure, data={
        "month": month.isoformat(), "requests": [r.pk for r in ready], "newly": newly})
    return PayrollExport(file_name=f"paie-{month:%Y-%m}.csv",
                         content=buffer.getvalue().encode("utf-8-sig"), count=len(ready))


# -- import ---------------------------------------------------------------------------------

@dataclass
class SummaryLine:
    number: int
    person: Person
    account: TreasuryAccount
    gross: Decimal
    net: Decimal
    cost: Decimal


def _key(header: str) -> str:
    plain = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum())


def _text(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def _column(header: list[str], names: set[str]) -> int | None:
    return next((i for i, name in enumerate(header) if _key(name) in names), None)


class _Reader:
    """Reads the rows of the summary and collects one message per problem, line-numbered."""

    def __init__(self, structure: Structure, month: dt.date) -> None:
        self.structure, self.month = structure, month
        self.errors: list[str] = []

    def fail(self, number: int, message: str) -> None:
        self.errors.append(_("Ligne %(n)d : %(message)s") % {"n": number, "message": message})

    def amount(self, number: int, what: str, text: str) -> Decimal | None:
        cleaned = text.translate(SPACES)
        if not cleaned:
            self.fail(number, _("%(what)s manquant.") % {"what": what})
            return None
        try:
            value = parse_amount(cleaned)
        except ValueError:
            self.fail(number, _("%(what)s « %(text)s » n'est pas un montant.")
                      % {"what": what, "text": text.strip()})
            return None
        if value != quantize(value):
            self.fail(number, _("%(what)s « %(text)s » : un montant s'écrit au centime près.")
                      % {"what": what, "text": text.strip()})
            return None
        if value <= 0:
            self.fail(number, _("%(what)s : le montant doit être positif.") % {"what": what})
            return None
        return value

    def read(self, content: bytes) -> list[SummaryLine]:
        text = _text(content)
        first = next((line for line in text.splitlines() if line.strip()), "")
        if not first:
            raise ValidationError(_("Le fichier est vide : il faut une ligne d'en-tête, puis "
                                    "une ligne par personne."))
        delimiter = ";" if ";" in first else ","
        rows = csv.reader(io.StringIO(text), delimiter=delimiter)
        header = next((row for row in rows if any(cell.strip() for cell in row)), [])
        columns = {what: _column(header, names) for what, names in (
            ("person", PERSON_COLUMNS), ("account", ACCOUNT_COLUMNS), ("gross", GROSS_COLUMNS),
            ("net", NET_COLUMNS), ("cost", COST_COLUMNS))}
        if (columns["person"] is None and columns["account"] is None) or None in (
                columns["gross"], columns["net"], columns["cost"]):
            raise ValidationError(_(
                "Ligne %(n)d : l'en-tête doit nommer les colonnes id_personne (ou "
                "compte_tresorerie), brut, net et cout_employeur. Colonnes trouvées : "
                "%(found)s.") % {"n": rows.line_num, "found": ", ".join(header) or "-"})
        raw = [(rows.line_num, row) for row in rows if any(cell.strip() for cell in row)]
        if not raw:
            raise ValidationError(_("Aucune ligne de paie après l'en-tête."))
        return self.lines(raw, columns)

    def lines(self, raw: list[tuple[int, list[str]]],
              columns: dict[str, int | None]) -> list[SummaryLine]:
        def cell(row: list[str], what: str) -> str:
            index = columns[what]
            return row[index].strip() if index is not None and index < len(row) else ""

        person_ids = {int(cell(r, "person")) for _n, r in raw if cell(r, "person").isdigit()}
        codes = {cell(r, "account") for _n, r in raw if cell(r, "account")}
        people = Person.objects.in_bulk(person_ids)
        accounts = TreasuryAccount.objects.filter(structure=self.structure).filter(
            kind=TreasuryAccount.Kind.INDIVIDUAL)
        by_person: dict[int, TreasuryAccount] = {}
        for found in accounts.filter(person_id__in=person_ids).order_by("-pk"):
            assert found.person_id is not None
            by_person[found.person_id] = found
        by_code = {a.code: a for a in TreasuryAccount.objects.filter(
            structure=self.structure, code__in=codes).select_related("person")}
        booked = set(PayrollLine.objects.filter(
            payroll__structure=self.structure, payroll__month=self.month,
        ).values_list("treasury_account_id", flat=True))
        seen: dict[int, int] = {}
        result: list[SummaryLine] = []
        for number, row in raw:
            account = self.account_of(number, cell(row, "person"), cell(row, "account"),
                                      people, by_person, by_code)
            gross = self.amount(number, _("brut"), cell(row, "gross"))
            net = self.amount(number, _("net"), cell(row, "net"))
            cost = self.amount(number, _("coût employeur"), cell(row, "cost"))
            if gross is not None and net is not None and net > gross:
                self.fail(number, _("le net (%(net)s) dépasse le brut (%(gross)s).")
                          % {"net": format_money(net), "gross": format_money(gross)})
            if gross is not None and cost is not None and cost < gross:
                self.fail(number, _("le coût employeur (%(cost)s) est inférieur au brut "
                                    "(%(gross)s).")
                          % {"cost": format_money(cost), "gross": format_money(gross)})
            if account is None:
                continue
            assert account.person is not None
            if account.pk in seen:
                self.fail(number, _("%(name)s est déjà à la ligne %(line)d.")
                          % {"name": account.person, "line": seen[account.pk]})
                continue
            seen[account.pk] = number
            if account.pk in booked:
                self.fail(number, _("la rémunération de %(month)s de %(name)s est déjà "
                                    "comptabilisée.")
                          % {"month": month_name(self.month), "name": account.person})
            if gross is not None and net is not None and cost is not None:
                result.append(SummaryLine(number=number, person=account.person,
                                          account=account, gross=gross, net=net, cost=cost))
        return result

    def account_of(self, number: int, person_text: str, code: str, people: dict[int, Person],
                   by_person: dict[int, TreasuryAccount],
                   by_code: dict[str, TreasuryAccount]) -> TreasuryAccount | None:
        from_person = from_code = None
        if person_text:
            if not person_text.isdigit():
                self.fail(number, _("« %(text)s » n'est pas un numéro de personne.")
                          % {"text": person_text})
                return None
            person_id = int(person_text)
            if person_id not in people:
                self.fail(number, _("personne n° %(id)d inconnue.") % {"id": person_id})
                return None
            from_person = by_person.get(person_id)
            if from_person is None:
                self.fail(number, _("la personne n° %(id)d n'a pas de trésorerie individuelle "
                                    "dans cette structure.") % {"id": person_id})
                return None
            from_person.person = people[person_id]
        if code:
            from_code = by_code.get(code)
            if from_code is None:
                self.fail(number, _("compte de trésorerie « %(code)s » inconnu dans cette "
                                    "structure.") % {"code": code})
                return None
            if from_code.kind != TreasuryAccount.Kind.INDIVIDUAL:
                self.fail(number, _("le compte « %(code)s » n'est pas une trésorerie "
                                    "individuelle.") % {"code": code})
                return None
        if from_person is not None and from_code is not None and from_person != from_code:
            self.fail(number, _("la personne n° %(id)s et le compte « %(code)s » ne "
                                "correspondent pas.") % {"id": person_text, "code": code})
            return None
        if from_person is None and from_code is None:
            self.fail(number, _("indiquez la personne ou son compte de trésorerie."))
        return from_person or from_code


def booking_date(month: dt.date, today: dt.date) -> dt.date:
    return min(last_day_of(month), today)


def _journals(structure: Structure) -> tuple[Journal, Journal]:
    journals = {j.code: j for j in Journal.objects.filter(structure=structure,
                                                           code__in=("OD", "BQ1"))}
    missing = [code for code in ("OD", "BQ1") if code not in journals]
    if missing:
        raise ValidationError(_("Le journal %(code)s manque dans les comptes de la structure : "
                                "ajoutez-le d'abord.") % {"code": missing[0]})
    return journals["OD"], journals["BQ1"]


def _book(actor: AnyUser, structure: Structure, journals: tuple[Journal, Journal],
          line: SummaryLine, day: dt.date, month: dt.date, today: dt.date) -> Entry:
    journal, bank = journals
    account = line.account
    label = _("Rémunération %(month)s - %(name)s") % {"month": f"{month:%m/%Y}",
                                                      "name": line.person}
    charges = line.cost - line.gross
    withheld = line.cost - line.net
    lines = [LineInput("641", debit=line.gross, treasury_account=account)]
    if charges:
        lines.append(LineInput("645", debit=charges, treasury_account=account))
    lines.append(LineInput("421", credit=line.net, treasury_account=account))
    if withheld:
        lines.append(LineInput("431", credit=withheld, treasury_account=account))
    piece = f"PAIE-{month:%Y%m}"
    entry = post_entry(actor=actor, structure=structure, journal=journal, date=day,
                       label=label, lines=lines, piece_ref=piece, source=SOURCE,
                       validate=True, today=today)
    post_entry(actor=actor, structure=structure, journal=bank, date=day,
               label=_("Virement du net - %(label)s") % {"label": label}, lines=[
                   LineInput("421", debit=line.net, treasury_account=account),
                   LineInput("512", credit=line.net, treasury_account=account)],
               piece_ref=piece, source=SOURCE, validate=True, today=today)
    return entry


@transaction.atomic
def import_summary(*, actor: AnyUser, structure: Structure, month: dt.date, file_name: str,
                   content: bytes, today: dt.date) -> PayrollImport:
    """Book the month's payroll summary, all of it or nothing (see the module's doc)."""
    require(can_process_payroll(actor, structure, today=today))
    month = month_of(month)
    if month > month_of(today):
        raise ValidationError({"month": _("On importe la paie d'un mois commencé : %(month)s "
                                          "n'a pas commencé.") % {"month": month_name(month)}})
    if len(content) > MAX_FILE_BYTES:
        raise ValidationError({"file": _("Ce fichier fait plus de 2 Mo : un récapitulatif de "
                                         "paie est bien plus petit. Vérifiez le fichier.")})
    digest = hashlib.sha256(content).hexdigest()
    previous = PayrollImport.objects.filter(structure=structure, sha256=digest).first()
    if previous is not None:
        raise ValidationError({"file": _(
            "Ce fichier a déjà été importé le %(day)s (paie de %(month)s) : rien n'est "
            "comptabilisé une seconde fois.") % {
                "day": short_date(timezone.localdate(previous.imported_at)),
                "month": month_name(previous.month)}})
    day = booking_date(month, today)
    fiscal_year_for(structure, day)
    journals = _journals(structure)
    reader = _Reader(structure, month)
    lines = reader.read(content)
    if reader.errors:
        raise ValidationError({"file": [
            _("Rien n'est comptabilisé : corrigez le fichier puis importez-le de nouveau."),
            *reader.errors]})

    payroll = PayrollImport.objects.create(structure=structure, month=month,
                                           file_name=file_name[:200], sha256=digest,
                                           imported_by=signed_in(actor))
    requests = {r.treasury_account_id: r for r in PayRequest.objects.select_for_update().filter(
        structure=structure, month=month, status__in=PayRequest.OPEN_STATUSES,
        treasury_account_id__in=[line.account.pk for line in lines])}
    for line in lines:
        entry = _book(actor, structure, journals, line, day, month, today)
        request = requests.get(line.account.pk)
        PayrollLine.objects.create(payroll=payroll, person=line.person,
                                   treasury_account=line.account, gross=line.gross,
                                   net=line.net, employer_cost=line.cost,
                                   pay_request=request, entry=entry)
        if request is not None:
            request.status = PayRequest.Status.BOOKED
            request.save(update_fields=["status"])
        notify(recipients=person_users(line.person), topic="treasury.payroll.booked",
               subject=_("Ta rémunération de %(month)s est payée") % {
                   "month": month_name(month)},
               body=_("Ta rémunération de %(month)s est payée : %(net)s € net. Elle a coûté "
                      "%(cost)s € à ta trésorerie (brut %(gross)s €, cotisations comprises).")
               % {"month": month_name(month), "net": format_money(line.net),
                  "cost": format_money(line.cost), "gross": format_money(line.gross)},
               url=reverse("treasury:pay_request_mine"))
    audit.record(actor=actor, action="treasury.payroll.imported", target=payroll, data={
        "month": month.isoformat(), "file": payroll.file_name, "sha256": digest,
        "lines": len(lines), "net": str(sum((ln.net for ln in lines), Decimal(0))),
        "cost": str(sum((ln.cost for ln in lines), Decimal(0)))})
    return payroll


def imports_of(structure: Structure, month: dt.date) -> list[PayrollImport]:
    return list(PayrollImport.objects.filter(structure=structure, month=month_of(month))
                .prefetch_related("lines__person").order_by("-imported_at", "-pk"))
