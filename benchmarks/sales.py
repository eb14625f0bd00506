"""Selling at scale: how fast invoices are issued (with their ledger posting) against a floor
measured in the same run, and how long an invoice's PDF + Factur-X takes to make.

- `invoice_issuance`: a batch of invoices drafted and issued through `kpa.sales.documents`
  (`create_invoice` then `issue_invoice`: checks, gap-free number, frozen mentions, the entry
  posted and validated through `ledger.services`, the audit trail) — without the PDF, which the
  next figure measures alone. The floor writes the very rows that batch wrote (each invoice, its
  lines, its entry and the entry's lines), copied, one transaction per invoice as an issue is,
  by the cheapest path the database allows: bulk inserts, then the two UPDATEs that validate the
  entry, because on PostgreSQL the triggers of ledger migration 0002 refuse a validated line
  inserted as such. `extra.floor_one_transaction_seconds` is the same rows in one transaction.
- `pdf`: `kpa.sales.pdf.invoice_pdf` (WeasyPrint PDF/A-3b, the EN 16931 XML, its embedding)
  for N of those invoices, one at a time; the median, after one untimed render (fonts load).

Everything lives in a structure of its own (a CAE with its books open for 2026, one coopérant
under an insured CAPE, an activity, 20 customers), beside the ledger bench's, in the scratch
database. Scale 1 is 1,000 invoices per timed run (at least 10) and 20 PDFs (at least 3).
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any
from unittest import mock

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max, Model
from django.utils import timezone
from stdnum import luhn

from benchmarks.ledger import Scenario
from kpa.directory.models import Activity, ActivityMembership, Kpa, Network, Person, Structure
from kpa.journey.models import Contract, InsuranceEntry, InsuranceList, Journey, JourneyStatus
from kpa.ledger import services as ledger_services
from kpa.ledger.models import Entry, EntryLine
from kpa.sales import delivery, documents
from kpa.sales import services as sales_services
from kpa.sales.documents import LineInput
from kpa.sales.models import CatalogItem, Customer, Invoice, InvoiceLine

INVOICES_AT_SCALE_1 = 1000
PDFS_AT_SCALE_1 = 20
WARM_UP_INVOICES = 10
CUSTOMERS = 20
DAY = dt.date(2026, 6, 15)  # every invoice is issued that day, inside the 2026 books
YEAR_START, YEAR_END = dt.date(2026, 1, 1), dt.date(2027, 1, 1)
FLOOR_NUMBERS = 1_000_000_000  # the floor's copied entries are numbered from here
ISSUANCE_TARGET = 12.0  # provisional (see README): ours at most 12 times the rows' bare writes


@dataclass
class _Context:
    actor: User
    structure: Structure
    activity: Activity
    items: list[CatalogItem]
    customers: list[Customer]


def _siren(seed: int) -> str:
    body = f"{seed:08d}"
    return body + luhn.calc_check_digit(body)


def _siret(siren: str) -> str:
    body = f"{siren}0001"
    return body + luhn.calc_check_digit(body)


def _set_up() -> _Context:
    """A CAE with open books and a coopérant who may sell. The CAPE and the insurance are
    written straight to their tables: the journey's own tests prove the way there."""
    actor = User.objects.create_superuser("bench-ventes", email="bench-ventes@exemple.org",
                                          password=None)
    network = Network.objects.create(name="Réseau de banc d'essai (ventes)")
    siren = _siren(52_119_004)
    structure = Structure.objects.create(
        network=network, name="CAE Banc d'Essai Ventes", kind=Structure.Kind.CAE, siren=siren,
        siret=_siret(siren), vat_regime=Structure.VatRegime.NORMAL,
        chart_template=Structure.ChartTemplate.PCG, address="2 rue de Fleurus",
        postcode="59000", city="Lille")
    ledger_services.open_books(actor=actor, structure=structure, first_year_starts_on=YEAR_START,
                               first_year_ends_on=YEAR_END, today=DAY)
    sales_services.update_settings(
        actor=actor, structure=structure, today=DAY, legal_form_text="SCOP SARL à capital "
        "variable", vat_number=f"FR{int(siren + '12') % 97:02d}{siren}",
        iban="FR7630006000011234567890189")
    kpa = Kpa.objects.create(network=network, name="KPA banc d'essai (ventes)", city="Lille",
                             carrying_structure=structure)
    person = Person.objects.create(first_name="Awa", last_name="Diallo")
    now = timezone.now()
    journey = Journey.objects.create(person=person, kpa=kpa, structure=structure,
                                     status=JourneyStatus.ACTIVE, status_since=now)
    Contract.objects.create(
        journey=journey, period_number=1, starts_on=YEAR_START, ends_on=YEAR_END,
        status=Contract.Status.SIGNED, pdf=b"%PDF-1.4", pdf_sha256="0" * 64, issued_at=now,
        issued_by=actor, signed_at=now)
    insurance = InsuranceList.objects.create(kpa=kpa, insurer="Assureur du banc d'essai")
    InsuranceEntry.objects.create(insurance_list=insurance, journey=journey, activity="Couture",
                                  answer=InsuranceEntry.Answer.ACCEPTED)
    activity = Activity.objects.create(kpa=kpa, structure=structure, name="Couture Awa",
                                       kind=Activity.Kind.INDIVIDUAL, started_on=YEAR_START)
    ActivityMembership.objects.create(activity=activity, person=person, joined_on=YEAR_START)
    items = [
        sales_services.create_item(actor=actor, activity=activity, today=DAY,
                                   name="Retouche d'ourlet", is_service=True,
                                   unit=CatalogItem.Unit.PIECE, unit_price=Decimal("12.50"),
                                   vat_rate="20.00"),
        sales_services.create_item(actor=actor, activity=activity, today=DAY,
                                   name="Coussin en tissu recyclé", is_service=False,
                                   unit=CatalogItem.Unit.PIECE, unit_price=Decimal("18.00"),
                                   vat_rate="10.00"),
    ]
    # No e-mail: nothing is sent, whatever the mail backend.
    customers = []
    for n in range(CUSTOMERS):
        if n % 2:
            customer_siren = _siren(61_000_000 + n)
            customers.append(sales_services.create_customer(
                actor=actor, structure=structure, today=DAY, kind=Customer.Kind.COMPANY,
                name=f"Entreprise cliente n° {n}", siren=customer_siren,
                siret=_siret(customer_siren), address="1 rue du Port", postcode="59000",
                city="Lille"))
        else:
            customers.append(sales_services.create_customer(
                actor=actor, structure=structure, today=DAY, kind=Customer.Kind.INDIVIDUAL,
                name=f"Client particulier n° {n}", address="3 rue Pierre", postcode="59100",
                city="Roubaix"))
    return _Context(actor, structure, activity, items, customers)


@contextmanager
def _issuing_without_pdf() -> Iterator[None]:
    """Issue exactly as the services do, minus the PDF and the sending. `issue_invoice` imports
    `invoice_pdf` from `kpa.sales.pdf` when it runs, so replacing the module's attribute makes
    it store an empty PDF (its SHA-256 still computed): the throughput then measures the checks,
    the number, the mentions, the posting and the audit, and the `pdf` figure measures the PDF
    alone. Sending is switched off too: no e-mail after each commit."""
    with mock.patch("kpa.sales.pdf.invoice_pdf", return_value=b""), \
            mock.patch.object(delivery, "send_invoice_after_commit", return_value=None):
        yield


def _issue(ctx: _Context, count: int, offset: int) -> list[int]:
    """Draft and issue `count` invoices (two lines each: a service at 20 %, goods at 10 %)."""
    issued = []
    for n in range(offset, offset + count):
        invoice = documents.create_invoice(
            actor=ctx.actor, activity=ctx.activity, customer=ctx.customers[n % CUSTOMERS],
            lines=[LineInput(item=ctx.items[0], quantity=1 + n % 4),
                   LineInput(item=ctx.items[1], quantity=1 + n % 3)],
            today=DAY, title=f"Commande n° {n}", operation_category="mixed")
        issued.append(documents.issue_invoice(actor=ctx.actor, invoice=invoice, today=DAY).pk)
    return issued


# -- the floor: the same rows, written bare ------------------------------------------------


def _copy(obj: Model, **changes: Any) -> Any:
    """An unsaved copy of a row, every concrete field but the primary key, with `changes`."""
    values = {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields
              if not f.primary_key}
    return type(obj)(**(values | changes))


@dataclass
class _Rows:
    """One issued invoice's rows, copied, ready to be inserted again."""

    entry: Entry
    entry_lines: list[EntryLine]
    number: int  # the entry's number once validated
    invoice: Invoice
    invoice_lines: list[InvoiceLine]
    invoice_number: str  # given once the lines are in, as issuing does


def _rows_of(invoice_ids: Sequence[int], tag: str) -> list[_Rows]:
    invoices = list(Invoice.objects.filter(pk__in=invoice_ids).order_by("pk"))
    entry_ids = [i.entry_id for i in invoices if i.entry_id is not None]
    entries = {e.pk: e for e in Entry.objects.filter(pk__in=entry_ids)}
    entry_lines: dict[int, list[EntryLine]] = {}
    for posted in EntryLine.objects.filter(entry_id__in=entry_ids).order_by("position"):
        entry_lines.setdefault(posted.entry_id, []).append(posted)
    invoice_lines: dict[int, list[InvoiceLine]] = {}
    for sold in InvoiceLine.objects.filter(invoice_id__in=invoice_ids).order_by("position"):
        invoice_lines.setdefault(sold.invoice_id, []).append(sold)
    # Far above the journal's own sequence, which the services keep on using between floors.
    first = (Entry.objects.filter(journal_id=entries[entry_ids[0]].journal_id,
                                  number__gte=FLOOR_NUMBERS)
             .aggregate(n=Max("number"))["n"] or FLOOR_NUMBERS - 1) + 1
    rows = []
    for n, invoice in enumerate(invoices):
        entry = entries[invoice.entry_id]  # type: ignore[index]
        rows.append(_Rows(
            entry=_copy(entry, status=Entry.Status.DRAFT, number=None, validated_on=None,
                        validated_at=None),
            entry_lines=[_copy(line, validated=False) for line in entry_lines[entry.pk]],
            number=first + n,
            invoice=_copy(invoice, status=Invoice.Status.DRAFT, number=""),
            invoice_lines=[_copy(line) for line in invoice_lines[invoice.pk]],
            invoice_number=f"{tag}{invoice.number}"[:35]))
    return rows


def _write(rows: _Rows, moment: dt.datetime) -> None:
    entry = Entry.objects.bulk_create([rows.entry])[0]
    for posted in rows.entry_lines:
        posted.entry_id = entry.pk
    EntryLine.objects.bulk_create(rows.entry_lines)
    EntryLine.objects.filter(entry_id=entry.pk).update(validated=True)
    Entry.objects.filter(pk=entry.pk).update(status=Entry.Status.VALIDATED, number=rows.number,
                                             validated_on=DAY, validated_at=moment)
    rows.invoice.entry_id = entry.pk
    invoice = Invoice.objects.bulk_create([rows.invoice])[0]
    for sold in rows.invoice_lines:
        sold.invoice_id = invoice.pk
    InvoiceLine.objects.bulk_create(rows.invoice_lines)
    # Lines first, then the issued state: on PostgreSQL an issued document takes no new line.
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.ISSUED,
                                                 number=rows.invoice_number)


def _floor(rows: list[_Rows], *, one_transaction: bool) -> float:
    moment = timezone.now()
    started = time.perf_counter()
    if one_transaction:
        with transaction.atomic():
            for bundle in rows:
                _write(bundle, moment)
    else:
        for bundle in rows:
            with transaction.atomic():
                _write(bundle, moment)
    return time.perf_counter() - started


# -- the PDF ---------------------------------------------------------------------------------


@dataclass
class PdfFigures:
    samples: int
    median_seconds: float
    min_seconds: float
    max_seconds: float
    xml_median_seconds: float  # the EN 16931 XML alone (factur-x's generator and XSD check)
    median_bytes: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _pdf_figures(invoice_ids: Sequence[int]) -> PdfFigures:
    from kpa.sales.facturx import invoice_xml
    from kpa.sales.pdf import invoice_pdf

    invoices = list(Invoice.objects.filter(pk__in=invoice_ids).select_related(
        "structure", "activity", "customer").order_by("pk"))
    lines = {i.pk: list(i.lines.all()) for i in invoices}
    first = invoices[0]
    invoice_pdf(first, lines[first.pk], first.seller_mentions)  # warm-up: fonts, templates
    pdf_times, xml_times, sizes = [], [], []
    for invoice in invoices:
        started = time.perf_counter()
        invoice_xml(invoice, lines[invoice.pk], invoice.seller_mentions)
        xml_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        pdf = invoice_pdf(invoice, lines[invoice.pk], invoice.seller_mentions)
        pdf_times.append(time.perf_counter() - started)
        sizes.append(len(pdf))
    return PdfFigures(samples=len(invoices), median_seconds=statistics.median(pdf_times),
                      min_seconds=min(pdf_times), max_seconds=max(pdf_times),
                      xml_median_seconds=statistics.median(xml_times),
                      median_bytes=int(statistics.median(sizes)))


# -- the report ------------------------------------------------------------------------------


@dataclass
class SalesReport:
    invoices: int  # per timed run
    runs: int
    scenarios: list[Scenario]
    pdf: PdfFigures
    extra: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"invoices": self.invoices, "runs": self.runs,
                "scenarios": [s.as_dict() for s in self.scenarios],
                "pdf": self.pdf.as_dict(), "extra": self.extra}


def run(scale: float, *, runs: int, log: Callable[[str], None]) -> SalesReport:
    """Set up, then measure (in the current, scratch, database)."""
    count = max(round(scale * INVOICES_AT_SCALE_1), 10)
    samples = min(max(round(scale * PDFS_AT_SCALE_1), 3), count)
    ctx = _set_up()
    log(f"Ventes : {count} factures émises par mesure ({runs} mesures, médiane)…")
    ours_times, floor_times, batch_times = [], [], []
    issued: list[int] = []
    with _issuing_without_pdf():
        warm_up = _issue(ctx, WARM_UP_INVOICES, 0)
        _floor(_rows_of(warm_up, "W"), one_transaction=False)
        for run_number in range(runs):
            started = time.perf_counter()
            issued = _issue(ctx, count, WARM_UP_INVOICES + run_number * count)
            ours_times.append(time.perf_counter() - started)
            floor_times.append(_floor(_rows_of(issued, f"P{run_number}-"),
                                      one_transaction=False))
            batch_times.append(_floor(_rows_of(issued, f"B{run_number}-"),
                                      one_transaction=True))
    ours, floor = statistics.median(ours_times), statistics.median(floor_times)
    scenario = Scenario(
        "invoice_issuance", "Émission de factures avec écriture, sans PDF", ours, floor,
        "mêmes lignes (facture, lignes, écriture, lignes d'écriture) écrites à nu, "
        "une transaction par facture", ISSUANCE_TARGET,
        note=f"{count / ours:.0f} factures/s ; {1000 * ours / count:.1f} ms par facture")
    log(f"Ventes : PDF + Factur-X de {samples} factures…")
    pdf = _pdf_figures(issued[:samples])
    batch = statistics.median(batch_times)
    return SalesReport(
        invoices=count, runs=runs, scenarios=[scenario], pdf=pdf,
        extra={"invoices_per_second": count / ours,
               "ours_ms_per_invoice": 1000 * ours / count,
               "floor_ms_per_invoice": 1000 * floor / count,
               "floor_one_transaction_seconds": batch,
               "ratio_to_one_transaction_floor": ours / batch if batch else 0.0})


def table(report: SalesReport) -> list[str]:
    """The figures as text rows, in the ledger table's columns."""
    rows = []
    for s in report.scenarios:
        rows.append(f"{s.label:<48} {s.ours:>10.4f} {s.floor:>13.4f} {s.ratio:>8.3f} "
                    f"{'≤ ' + format(s.target, '.2f'):>8}  {'ok' if s.ok else 'OVER'}")
        rows.append(f"{'  ' + s.note:<48}")
    p = report.pdf
    rows.append(f"{'PDF + Factur-X par facture (médiane, s)':<48} {p.median_seconds:>10.4f}"
                f"   ({p.samples} factures, de {p.min_seconds:.3f} à {p.max_seconds:.3f} s ; "
                f"XML seul {p.xml_median_seconds:.4f} s ; {p.median_bytes // 1024} Kio)")
    return rows
