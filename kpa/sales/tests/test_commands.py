"""`kpa export_invoices` (every issued document of a fiscal year as its stored PDF, with an
index, each SHA-256 checked) and `kpa sales_daily` (the reminders of overdue invoices, with a
dry run that changes nothing).

The PDFs here are stand-ins (`fast_pdf`): these commands copy and check the bytes frozen at
issue, whatever they are; that real PDFs are Factur-X is the business of test_pdf, test_facturx
and test_demo."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Sequence
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from conftest import TODAY
from kpa.ledger import services as ledger_services
from kpa.sales import documents, payments
from kpa.sales.documents import LineInput
from kpa.sales.models import Invoice, InvoiceLine, SalesSettings
from kpa.sales.tests.conftest import Shop
from kpa.sales.tests.helpers import hem_lines

pytestmark = pytest.mark.django_db


def _stand_in_pdf(invoice: Invoice, lines: Sequence[InvoiceLine], mentions: dict,
                  **kwargs: object) -> bytes:
    return f"%PDF-1.7\n% {invoice.get_kind_display()} {invoice.number}\n".encode()


@pytest.fixture(autouse=True)
def fast_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    # `issue_invoice` imports `invoice_pdf` from the module when it runs.
    monkeypatch.setattr("kpa.sales.pdf.invoice_pdf", _stand_in_pdf)


def issue(shop: Shop, *, on: dt.date = TODAY, customer=None, lines=None) -> Invoice:
    invoice = documents.create_invoice(
        actor=shop.manager, activity=shop.activity, customer=customer or shop.company,
        lines=lines or hem_lines(), today=on, title="Retouches")
    return documents.issue_invoice(actor=shop.manager, invoice=invoice, today=on)


def credit(shop: Shop, invoice: Invoice, *, on: dt.date = TODAY) -> Invoice:
    note = documents.create_credit_note(
        actor=shop.manager, invoice=invoice, today=on,
        lines=[LineInput(description="Remise", quantity=1, unit_price="5.00",
                         vat_rate="20.00", is_service=True)])
    return documents.issue_invoice(actor=shop.manager, invoice=note, today=on)


def export(*args: str) -> str:
    out = io.StringIO()
    call_command("export_invoices", *args, stdout=out)
    return out.getvalue()


def index_rows(folder: Path) -> list[list[str]]:
    text = (folder / "index.csv").read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


# -- export_invoices -------------------------------------------------------------------------


def test_the_export_writes_each_issued_document_as_its_stored_pdf_with_an_index(shop, tmp_path):
    first = issue(shop, on=TODAY - dt.timedelta(days=3))
    second = issue(shop, customer=shop.person_customer)
    note = credit(shop, first)
    documents.create_invoice(actor=shop.manager, activity=shop.activity, customer=shop.company,
                             lines=hem_lines(), today=TODAY)  # a draft: not exported
    target = tmp_path / "exports" / "2026"  # created, parents too

    output = export("--siren", shop.cast.cae.siren, "--year", "2026", "-o", str(target))

    documents_written = sorted(p.name for p in target.iterdir() if p.suffix == ".pdf")
    assert documents_written == sorted(f"{i.number}.pdf" for i in (first, second, note))
    for invoice in (first, second, note):
        assert (target / f"{invoice.number}.pdf").read_bytes() == bytes(invoice.pdf)
    header, *rows = index_rows(target)
    assert header == ["numero", "type", "date", "client", "total_ht", "tva", "total_ttc",
                      "sha256"]
    assert [r[0] for r in rows] == [first.number, second.number, note.number]
    assert rows[0] == [first.number, "Facture", (TODAY - dt.timedelta(days=3)).strftime(
        "%d/%m/%Y"), "Mairie de Roubaix", "25,00", "5,00", "30,00", first.pdf_sha256]
    assert rows[2][1] == "Avoir"
    assert rows[1][3] == "Jeanne Martin"
    assert "3 documents de l'exercice 2026" in output
    assert not [p for p in target.iterdir() if p.name.startswith(".export-")]


def test_only_the_named_fiscal_year_is_exported(shop, tmp_path):
    ledger_services.open_fiscal_year(actor=shop.cast.user("comptable"), structure=shop.cast.cae,
                                     starts_on=dt.date(2027, 1, 1), ends_on=dt.date(2028, 1, 1),
                                     today=TODAY)
    this_year = issue(shop)
    next_year = issue(shop, on=dt.date(2027, 1, 5))

    export("--siren", shop.cast.cae.siren, "--year", "2027", "-o", str(tmp_path / "2027"))
    export("--siren", shop.cast.cae.siren, "--year", "2026", "-o", str(tmp_path / "2026"))

    assert [r[0] for r in index_rows(tmp_path / "2027")[1:]] == [next_year.number]
    assert [r[0] for r in index_rows(tmp_path / "2026")[1:]] == [this_year.number]


def test_slashes_in_a_number_become_hyphens_in_the_file_name(shop, tmp_path):
    SalesSettings.objects.create(structure=shop.cast.cae, invoice_pattern="F/{YYYY}/{SEQ:04}")
    invoice = issue(shop)

    export("--siren", shop.cast.cae.siren, "--year", "2026", "-o", str(tmp_path))

    assert invoice.number == "F/2026/0001"
    assert (tmp_path / "F-2026-0001.pdf").read_bytes() == bytes(invoice.pdf)
    assert index_rows(tmp_path)[1][0] == "F/2026/0001"


def test_an_altered_pdf_stops_the_export_and_nothing_is_written(shop, tmp_path):
    kept = issue(shop)
    altered = issue(shop)
    postgresql = connection.vendor == "postgresql"
    if postgresql:  # past the database's own guard (its triggers off), as an intruder would
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
    Invoice.objects.filter(pk=altered.pk).update(pdf=b"%PDF-1.7\n% autre contenu\n")
    if postgresql:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
    target = tmp_path / "out"

    with pytest.raises(CommandError, match=f"SHA-256 du PDF de {altered.number}"):
        export("--siren", shop.cast.cae.siren, "--year", "2026", "-o", str(target))

    assert list(target.iterdir()) == []
    assert hashlib.sha256(bytes(kept.pdf)).hexdigest() == kept.pdf_sha256


def test_an_unknown_siren_or_year_is_refused_plainly(shop, tmp_path):
    with pytest.raises(CommandError, match="Aucune structure de SIREN « 000000000 »"):
        export("--siren", "000000000", "--year", "2026", "-o", str(tmp_path))
    with pytest.raises(CommandError, match="n'a pas d'exercice 2031 \\(exercices : 2026\\)"):
        export("--siren", shop.cast.cae.siren, "--year", "2031", "-o", str(tmp_path))


def test_the_export_refuses_a_file_as_its_folder(shop, tmp_path):
    a_file = tmp_path / "factures.zip"
    a_file.write_bytes(b"")

    with pytest.raises(CommandError, match="est un fichier"):
        export("--siren", shop.cast.cae.siren, "--year", "2026", "-o", str(a_file))


# -- sales_daily -----------------------------------------------------------------------------


def daily(*args: str) -> str:
    out = io.StringIO()
    call_command("sales_daily", *args, stdout=out)
    return out.getvalue()


ISSUED_ON = dt.date(2026, 10, 1)  # due 31 October; reminded from 7 November (7 days' delay)


def test_an_overdue_invoice_is_reminded_once_by_e_mail_with_its_pdf(
        shop, mailoutbox, django_capture_on_commit_callbacks):
    invoice = issue(shop, on=ISSUED_ON)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        output = daily("--today", "2026-11-28")

    invoice.refresh_from_db()
    assert invoice.last_reminder_on == TODAY
    assert f"facture {invoice.number}" in output
    assert "échue le 31/10/2026 (depuis 28 jours), reste dû 30,00 €" in output
    assert "1 relance envoyée." in output
    assert shop.company.name not in output  # the report ends up in logs: no customer names
    to_customer = [m for m in mailoutbox if m.to == [shop.company.email]]
    assert len(to_customer) == 1
    assert to_customer[0].attachments[0][1] == bytes(invoice.pdf)
    # The seller hears of it too (a notice, e-mailed to the coopérant).
    assert [shop.seller.email] in [m.to for m in mailoutbox]


def test_a_reminded_invoice_waits_a_week_for_the_next_reminder(shop):
    issue(shop, on=ISSUED_ON)
    daily("--today", "2026-11-20")

    assert "0 relance envoyée." in daily("--today", "2026-11-26")
    assert "1 relance envoyée." in daily("--today", "2026-11-27")


def test_an_invoice_within_its_delay_or_paid_is_not_reminded(shop):
    issue(shop, on=dt.date(2026, 10, 25))  # due 24 November, reminded from 1 December
    paid = issue(shop, on=ISSUED_ON)

    payments.record_payment(actor=shop.manager, invoice=paid, amount=paid.total_incl_vat,
                            method="transfer", received_on=dt.date(2026, 11, 2), today=TODAY)

    output = daily("--today", "2026-11-28")

    assert "0 relance envoyée." in output
    assert not Invoice.objects.exclude(last_reminder_on=None).exists()


def test_the_dry_run_lists_the_reminders_and_sends_nothing(
        shop, mailoutbox, django_capture_on_commit_callbacks):
    invoice = issue(shop, on=ISSUED_ON)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        output = daily("--today", "2026-11-28", "--dry-run")

    assert "(simulation)" in output
    assert f"facture {invoice.number}" in output
    assert "Simulation : 1 relance serait envoyée. Rien n'a été envoyé." in output
    invoice.refresh_from_db()
    assert invoice.last_reminder_on is None
    assert mailoutbox == []


def test_a_malformed_date_is_refused_plainly():
    with pytest.raises(CommandError, match="écrivez-la AAAA-MM-JJ"):
        daily("--today", "28/11/2026")
