"""Reading a supplier's Factur-X invoice. The oracles are not ours: the invoices our own sales
app issues (checked there by the official XSD and the EN 16931 / BR-FR schematrons), and
XMLs written by factur-x itself. Whatever the profile, the lines read add up to the totals
read; a PDF without XML is typed by hand; a broken or tampered XML is refused in French."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfWriter

from kpa.purchases.facturx_reader import parse_cii, read_pdf
from kpa.purchases.tests.test_supplier_helpers import (
    FABRIC,
    SUPPLIER_SIREN,
    SUPPLIER_VAT,
    blank_pdf,
    minimum_xml,
    pdf_with,
    supplier_pdf,
    supplier_xml,
)
from kpa.sales.documents import LineInput
from kpa.sales.tests.conftest import Shop
from kpa.sales.tests.helpers import issued_invoice


def message(error: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(error.value.messages)


def test_our_own_en16931_invoice_reads_back_with_its_lines_and_totals(shop: Shop) -> None:
    invoice = issued_invoice(shop, lines=[
        LineInput(description="Ourlet de pantalon", quantity=3, unit_price=Decimal("12.50"),
                  vat_rate="20.00", is_service=True),
        LineInput(description="Tissu au mètre", quantity=Decimal("1.5"),
                  unit_price=Decimal("9.99"), vat_rate="5.50", is_service=False)])

    read = read_pdf(bytes(invoice.pdf))

    assert read is not None
    assert read.profile == "en16931"
    assert read.profile_label == "EN 16931"
    assert read.number == invoice.number
    assert read.type_code == "380"
    assert read.issued_on == invoice.issued_on
    assert read.due_on == invoice.due_on
    assert read.seller_name == shop.cast.cae.name
    assert read.seller_siren == shop.cast.cae.siren
    assert read.seller_siret == shop.cast.cae.siret
    assert read.currency == "EUR"
    assert not read.lines_from_breakdown
    ours = list(invoice.lines.order_by("position"))
    assert [ln.description for ln in read.lines] == [ln.description for ln in ours]
    assert [ln.amount_excl_vat for ln in read.lines] == [Decimal("37.50"), Decimal("14.99")]
    assert [ln.vat_rate for ln in read.lines] == [Decimal("20.00"), Decimal("5.50")]
    assert (read.total_excl_vat, read.total_vat, read.total_incl_vat) == (
        invoice.total_excl_vat, invoice.total_vat, invoice.total_incl_vat)
    assert all(isinstance(ln.amount_excl_vat, Decimal) for ln in read.lines)


def test_a_supplier_xml_gives_its_identity_lines_and_totals() -> None:
    read = parse_cii(supplier_xml())

    assert read.seller_name == "Tissus du Nord"
    assert read.seller_siren == SUPPLIER_SIREN
    assert read.seller_vat_number == SUPPLIER_VAT
    assert read.seller_email == "compta@tissus-du-nord.test"
    assert (read.seller_postcode, read.seller_city) == ("59100", "Roubaix")
    assert read.number == "F-2026-077"
    assert read.issued_on == dt.date(2026, 11, 3)
    assert read.due_on == dt.date(2026, 12, 3)
    assert [(ln.description, ln.amount_excl_vat, ln.vat_rate) for ln in read.lines] == [
        (d, Decimal(a), Decimal(r)) for d, a, r in FABRIC]
    assert (read.total_excl_vat, read.total_vat, read.total_incl_vat) == (
        Decimal("110.00"), Decimal("20.55"), Decimal("130.55"))


def test_a_document_level_discount_becomes_a_negative_line() -> None:
    read = parse_cii(supplier_xml(allowance="10.00"))

    assert read.lines[-1].description == "Remise fidélité"
    assert read.lines[-1].amount_excl_vat == Decimal("-10.00")
    assert sum(ln.amount_excl_vat for ln in read.lines) == read.total_excl_vat == Decimal("100")


def test_basic_wl_has_no_lines_so_one_line_per_vat_rate_is_read() -> None:
    read = parse_cii(supplier_xml(level="basicwl"))

    assert read.profile == "basicwl"
    assert read.lines_from_breakdown
    assert [(ln.amount_excl_vat, ln.vat_rate) for ln in read.lines] == [
        (Decimal("100.00"), Decimal("20.00")), (Decimal("10.00"), Decimal("5.50"))]
    assert read.lines[1].description == "Montant soumis à la TVA à 5,5 %"


def test_minimum_has_only_totals_so_one_line_carries_them() -> None:
    read = parse_cii(minimum_xml(excl="50.00", tax="10.00", incl="60.00"))

    assert read.profile == "minimum"
    assert read.lines_from_breakdown
    assert [(ln.amount_excl_vat, ln.vat_rate) for ln in read.lines] == [
        (Decimal("50.00"), Decimal("20.00"))]
    assert read.seller_name == "Mercerie Minimum"
    assert read.due_on is None


def test_a_pdf_without_xml_is_typed_by_hand() -> None:
    assert read_pdf(blank_pdf()) is None


def test_a_pdf_pypdf_cannot_open_is_typed_by_hand() -> None:
    assert read_pdf(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n") is None


def test_a_factur_x_attachment_that_is_not_xml_is_refused() -> None:
    writer = PdfWriter(clone_from=io.BytesIO(blank_pdf()))
    writer.add_attachment("factur-x.xml", b"ceci n'est pas du XML")
    out = io.BytesIO()
    writer.write(out)

    with pytest.raises(ValidationError) as error:
        read_pdf(out.getvalue())
    assert "illisible" in message(error)


def test_a_tampered_total_is_refused_with_both_figures() -> None:
    xml = supplier_xml().replace(b"<ram:GrandTotalAmount>130.55",
                                 b"<ram:GrandTotalAmount>13.55")

    with pytest.raises(ValidationError) as error:
        read_pdf(pdf_with(xml))

    assert "ne concordent pas" in message(error)
    assert "13,55" in message(error)
    assert "130,55" in message(error)


def test_a_tampered_line_amount_is_refused() -> None:
    xml = supplier_xml().replace(b"<ram:LineTotalAmount>10.00",
                                 b"<ram:LineTotalAmount>1.00", 1)

    with pytest.raises(ValidationError) as error:
        parse_cii(xml)

    assert "la somme des lignes" in message(error)


def test_an_xml_outside_the_official_schema_is_refused() -> None:
    xml = supplier_xml().replace(b"<ram:Name>Tissus du Nord</ram:Name>",
                                 b"<ram:Nom>Tissus</ram:Nom><ram:Name>Tissus du Nord</ram:Name>")

    with pytest.raises(ValidationError) as error:
        parse_cii(xml)

    assert "schéma officiel" in message(error)
    assert "EN 16931" in message(error)
    assert "{urn:" not in message(error)


def test_a_credit_note_is_refused_for_now() -> None:
    with pytest.raises(ValidationError) as error:
        parse_cii(supplier_xml(type_code="381"))
    assert "avoir" in message(error)


def test_an_invoice_in_another_currency_is_refused() -> None:
    with pytest.raises(ValidationError) as error:
        parse_cii(supplier_xml(currency="CHF"))
    assert "CHF" in message(error)
    assert "euros" in message(error)


def test_an_xml_entity_is_never_expanded() -> None:
    xml = supplier_xml().replace(
        b"<?xml version='1.0' encoding='UTF-8'?>",
        b"<?xml version='1.0' encoding='UTF-8'?><!DOCTYPE x [<!ENTITY e SYSTEM "
        b"'file:///etc/passwd'>]>").replace(b"Tissus du Nord", b"&e;")

    with pytest.raises(ValidationError):
        parse_cii(xml)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(min_value=1, max_value=10_000_000),
                          st.sampled_from(["20.00", "10.00", "5.50", "2.10"])),
                min_size=1, max_size=6))
def test_lines_read_always_add_up_to_the_totals_read(specs: list[tuple[int, str]]) -> None:
    lines = [(f"Article {i}", f"{Decimal(cents) / 100:.2f}", rate)
             for i, (cents, rate) in enumerate(specs)]
    for level in ("en16931", "basicwl"):
        read = parse_cii(supplier_xml(lines, level=level))
        assert sum(ln.amount_excl_vat for ln in read.lines) == read.total_excl_vat
        assert read.total_excl_vat + read.total_vat == read.total_incl_vat


def test_a_supplier_pdf_from_factur_x_is_found_in_the_pdf() -> None:
    read = read_pdf(supplier_pdf())
    assert read is not None
    assert read.number == "F-2026-077"
