"""Suppliers and supplier invoices through the services: an uploaded Factur-X PDF becomes a
prefilled draft, a plain PDF a draft typed by hand; the gestionnaire posts it to the purchases
journal on the coopérant's treasury account (6xx, 44566, 401 on the supplier's own auxiliary
account) and it is then paid from the bank. The treasury figures follow; the same invoice
never comes in twice; every refusal says what to do, in French, with nothing written."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from kpa.core.models import AuditEvent, Notification
from kpa.directory.models import Structure
from kpa.ledger.models import EntryLine, TreasuryAccount
from kpa.ledger.treasury_accounts import common_account_for
from kpa.purchases import suppliers
from kpa.purchases.models import ExpenseCategory, Supplier, SupplierInvoice
from kpa.purchases.suppliers import CleanLine, SupplierLineInput
from kpa.purchases.tests.test_supplier_helpers import (
    ISSUED_ON,
    SUPPLIER_SIREN,
    blank_pdf,
    minimum_xml,
    pdf_with,
    posted,
    supplier_pdf,
    uploaded,
)
from kpa.sales.tests.conftest import Shop
from kpa.treasury.balances import figures_of, structure_figures

RAW = ExpenseCategory.RAW_MATERIALS
SUPPLIES = ExpenseCategory.SUPPLIES


def messages_of(error: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(error.value.messages)


def lines_of(invoice: SupplierInvoice, entry_id: int | None = None
             ) -> list[tuple[str, Decimal, Decimal, str, str | None]]:
    """(account, debit, credit, third party, treasury account) of the invoice's entry (or of
    `entry_id`)."""
    assert invoice.entry_id is not None
    return [(ln.account.number, ln.debit, ln.credit,
             ln.third_party.code if ln.third_party else "",
             ln.treasury_account.code if ln.treasury_account else None)
            for ln in EntryLine.objects.filter(entry_id=entry_id or invoice.entry_id)
            .select_related("account", "third_party", "treasury_account").order_by("pk")]


def categorised(shop: Shop, invoice: SupplierInvoice,
                categories: tuple[str, ...] = (RAW, SUPPLIES)) -> SupplierInvoice:
    lines = [SupplierLineInput(description=ln.description, category=category,
                               amount_excl_vat=ln.amount_excl_vat, vat_rate=ln.vat_rate)
             for ln, category in zip(invoice.lines.order_by("position"), categories,
                                     strict=True)]
    return suppliers.update_supplier_invoice(actor=shop.seller, invoice=invoice,
                                             today=shop.today, lines=lines)


# -- upload --------------------------------------------------------------------------------

def test_a_factur_x_pdf_becomes_a_prefilled_draft_with_its_supplier(shop: Shop) -> None:
    invoice = uploaded(shop)

    assert invoice.status == SupplierInvoice.Status.DRAFT
    assert invoice.activity == shop.activity
    assert invoice.created_by == shop.seller
    assert (invoice.number, invoice.issued_on) == ("F-2026-077", ISSUED_ON)
    assert invoice.due_on == ISSUED_ON + dt.timedelta(days=30)
    assert invoice.facturx_profile == "en16931"
    assert "F-2026-077" in invoice.facturx_xml
    assert len(invoice.pdf_sha256) == 64
    supplier = invoice.supplier
    assert (supplier.name, supplier.siren, supplier.vat_number, supplier.email) == (
        "Tissus du Nord", SUPPLIER_SIREN, "FR44732829320", "compta@tissus-du-nord.test")
    assert supplier.structure == shop.cast.cae
    assert supplier.third_party is None
    assert [(ln.position, ln.description, ln.amount_excl_vat, ln.vat_rate, ln.vat_amount,
             ln.category) for ln in invoice.lines.all()] == [
        (1, "Coupon de wax 6 yards", Decimal("100.00"), Decimal("20.00"), Decimal("20.00"),
         ExpenseCategory.OTHER),
        (2, "Fil à coudre", Decimal("10.00"), Decimal("5.50"), Decimal("0.55"),
         ExpenseCategory.OTHER)]
    assert (invoice.total_excl_vat, invoice.total_vat, invoice.total_incl_vat) == (
        Decimal("110.00"), Decimal("20.55"), Decimal("130.55"))
    event = AuditEvent.objects.get(action="purchases.supplier_invoice.uploaded")
    assert event.target_id == str(invoice.pk)
    assert event.data["facturx_profile"] == "en16931"


def test_the_gestionnaire_hears_of_an_invoice_a_cooperant_uploaded(shop: Shop) -> None:
    invoice = uploaded(shop)

    notice = Notification.objects.get(recipient=shop.manager)
    assert notice.topic == "purchases.supplier_invoice.uploaded"
    assert "F-2026-077" in notice.body
    assert str(invoice.pk) in notice.url


def test_the_next_invoice_of_the_same_siren_finds_the_supplier(shop: Shop) -> None:
    first = uploaded(shop)
    second = uploaded(shop, supplier_pdf(number="F-2026-078", name="Tissus du Nord SARL"))

    assert second.supplier == first.supplier
    assert Supplier.objects.count() == 1


def test_the_same_supplier_number_twice_is_refused(shop: Shop) -> None:
    uploaded(shop)

    with pytest.raises(ValidationError) as error:
        uploaded(shop, supplier_pdf([("Autre chose", "5.00", "20.00")]))

    assert "F-2026-077" in messages_of(error)
    assert "déjà enregistrée" in messages_of(error)
    assert SupplierInvoice.objects.count() == 1


def test_the_same_pdf_twice_is_refused(shop: Shop) -> None:
    pdf = blank_pdf()
    uploaded(shop, pdf, supplier_name="Mercerie", number="A1", issued_on=ISSUED_ON)

    with pytest.raises(ValidationError) as error:
        uploaded(shop, pdf, supplier_name="Mercerie", number="A2", issued_on=ISSUED_ON)

    assert "déjà enregistré" in messages_of(error)


@pytest.mark.parametrize("content", [b"\x89PNG\r\n\x1a\n" + b"0" * 50, b"GIF89a pas un PDF"])
def test_anything_but_a_pdf_is_refused(shop: Shop, content: bytes) -> None:
    with pytest.raises(ValidationError) as error:
        uploaded(shop, content, supplier_name="Mercerie", number="A1", issued_on=ISSUED_ON)

    assert "PDF" in messages_of(error)
    assert not SupplierInvoice.objects.exists()
    assert not Supplier.objects.exists()


def test_a_pdf_over_ten_megabytes_is_refused(shop: Shop) -> None:
    with pytest.raises(ValidationError) as error:
        uploaded(shop, b"%PDF-1.4" + b"0" * (10 * 1024 * 1024), supplier_name="Mercerie",
                 number="A1", issued_on=ISSUED_ON)
    assert "10 Mo au plus" in messages_of(error)


def test_a_tampered_xml_is_refused_and_nothing_is_written(shop: Shop) -> None:
    from kpa.purchases.tests.test_supplier_helpers import supplier_xml

    xml = supplier_xml().replace(b"<ram:TaxBasisTotalAmount>110.00",
                                 b"<ram:TaxBasisTotalAmount>11.00")
    with pytest.raises(ValidationError) as error:
        uploaded(shop, pdf_with(xml))

    assert "ne concordent pas" in messages_of(error)
    assert not SupplierInvoice.objects.exists()
    assert not Supplier.objects.exists()


def test_a_plain_pdf_is_a_draft_typed_by_hand_under_the_name_given(shop: Shop) -> None:
    existing = suppliers.create_supplier(actor=shop.manager, structure=shop.cast.cae,
                                         today=shop.today, name="Mercerie du Centre")

    invoice = uploaded(shop, blank_pdf(), supplier_name="  mercerie du centre ",
                       number=" 2026-11-3 ", issued_on=dt.date(2026, 11, 20))

    assert invoice.supplier == existing
    assert (invoice.number, invoice.facturx_profile, invoice.lines.count()) == (
        "2026-11-3", "", 0)
    assert invoice.total_incl_vat == 0


def test_a_plain_pdf_without_supplier_number_or_date_is_refused(shop: Shop) -> None:
    with pytest.raises(ValidationError) as error:
        uploaded(shop, blank_pdf(), supplier_name="Mercerie")
    assert "donnez le nom du fournisseur, le numéro et la date" in messages_of(error)


def test_an_outsider_or_a_non_member_may_not_upload(shop: Shop) -> None:
    with pytest.raises(PermissionDenied):
        uploaded(shop, by="outsider")
    with pytest.raises(PermissionDenied):
        uploaded(shop, by="benevole")
    with pytest.raises(PermissionDenied):
        uploaded(shop, activity=None)  # the coopérant, for the structure itself


def test_an_activity_of_another_structure_is_refused(shop: Shop) -> None:
    shop.activity.structure = shop.cast.other_structure
    with pytest.raises(ValidationError) as error:
        suppliers.upload_supplier_invoice(
            actor=shop.manager, structure=shop.cast.cae, pdf=supplier_pdf(), file_name="f.pdf",
            activity=shop.activity, today=shop.today)
    assert "activité" in messages_of(error)


# -- the draft -----------------------------------------------------------------------------

def test_editing_the_lines_recomputes_the_totals(shop: Shop) -> None:
    invoice = uploaded(shop, blank_pdf(), supplier_name="Mercerie", number="A1",
                       issued_on=ISSUED_ON)

    invoice = suppliers.update_supplier_invoice(
        actor=shop.seller, invoice=invoice, today=shop.today, due_on=dt.date(2026, 12, 1),
        lines=[SupplierLineInput("Boutons", SUPPLIES, "3,33", "20"),
               SupplierLineInput("Pressions", SUPPLIES, "3.33", "20,00"),
               SupplierLineInput("Livre de patrons", SUPPLIES, "10", "5.5")])

    assert [ln.vat_amount for ln in invoice.lines.all()] == [
        Decimal("0.66"), Decimal("0.67"), Decimal("0.55")]  # 20 % of 6,66 is 1,33, not 1,34
    assert (invoice.total_excl_vat, invoice.total_vat, invoice.total_incl_vat) == (
        Decimal("16.66"), Decimal("1.88"), Decimal("18.54"))
    assert invoice.due_on == dt.date(2026, 12, 1)


@pytest.mark.parametrize(("line", "words"), [
    (SupplierLineInput("", SUPPLIES, "3", "20"), "décrivez"),
    (SupplierLineInput("Boutons", "jouets", "3", "20"), "catégorie"),
    (SupplierLineInput("Boutons", SUPPLIES, "trois", "20"), "en chiffres"),
    (SupplierLineInput("Boutons", SUPPLIES, "3.333", "20"), "deux chiffres"),
    (SupplierLineInput("Boutons", SUPPLIES, "0", "20"), "pas nul"),
    (SupplierLineInput("Boutons", SUPPLIES, Decimal("1E+999"), "20"), "trop grand"),
    (SupplierLineInput("Boutons", SUPPLIES, "3", "120"), "entre 0 et 100"),
])
def test_a_bad_line_is_refused_with_its_number(shop: Shop, line: SupplierLineInput,
                                               words: str) -> None:
    invoice = uploaded(shop)
    with pytest.raises(ValidationError) as error:
        suppliers.update_supplier_invoice(actor=shop.seller, invoice=invoice,
                                          today=shop.today, lines=[line])
    assert "Ligne 1" in messages_of(error)
    assert words in messages_of(error)
    assert invoice.lines.count() == 2


def test_a_date_in_the_future_or_a_due_date_before_it_is_refused(shop: Shop) -> None:
    invoice = uploaded(shop)
    with pytest.raises(ValidationError) as error:
        suppliers.update_supplier_invoice(actor=shop.seller, invoice=invoice, today=shop.today,
                                          issued_on=shop.today + dt.timedelta(days=1))
    assert "dans le futur" in messages_of(error)
    with pytest.raises(ValidationError) as error:
        suppliers.update_supplier_invoice(actor=shop.seller, invoice=invoice, today=shop.today,
                                          due_on=ISSUED_ON - dt.timedelta(days=1))
    assert "précède" in messages_of(error)


def test_renumbering_onto_another_invoice_of_the_supplier_is_refused(shop: Shop) -> None:
    uploaded(shop)
    other = uploaded(shop, supplier_pdf(number="F-2026-078"))
    with pytest.raises(ValidationError) as error:
        suppliers.update_supplier_invoice(actor=shop.seller, invoice=other, today=shop.today,
                                          number="F-2026-077")
    assert "déjà enregistrée" in messages_of(error)


def test_a_member_may_not_move_the_draft_out_of_their_activity(shop: Shop) -> None:
    invoice = uploaded(shop)
    with pytest.raises(PermissionDenied):
        suppliers.update_supplier_invoice(actor=shop.seller, invoice=invoice, today=shop.today,
                                          activity=None)
    with pytest.raises(PermissionDenied):
        suppliers.update_supplier_invoice(actor=shop.cast.user("outsider"), invoice=invoice,
                                          today=shop.today, number="X")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=-50_000, max_value=5_000_000),
                          st.sampled_from(["20.00", "10.00", "5.50", "2.10", "0.00"])),
                min_size=1, max_size=8))
def test_line_vats_add_up_to_each_rate_base_times_its_rate(specs: list[tuple[int, str]]) -> None:
    lines = [CleanLine("x", SUPPLIES, Decimal(cents or 1) / 100, Decimal(rate))
             for cents, rate in specs]
    vats = suppliers.line_vats(lines)
    for rate in {ln.vat_rate for ln in lines}:
        base = sum(ln.amount_excl_vat for ln in lines if ln.vat_rate == rate)
        group = sum(v for v, ln in zip(vats, lines, strict=True) if ln.vat_rate == rate)
        assert group == (base * rate / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert all(abs(v - ln.amount_excl_vat * ln.vat_rate / 100) < Decimal("0.01") * len(lines)
               for v, ln in zip(vats, lines, strict=True))


# -- posting -------------------------------------------------------------------------------

def test_posting_books_6xx_44566_and_401_on_the_cooperant_treasury_account(shop: Shop) -> None:
    invoice = categorised(shop, uploaded(shop))

    invoice = suppliers.post_supplier_invoice(actor=shop.manager, invoice=invoice,
                                              today=shop.today)

    supplier = Supplier.objects.get()
    assert supplier.third_party is not None
    code = f"F{supplier.pk:05d}"
    assert supplier.third_party.code == code
    assert supplier.third_party.kind == "supplier"
    treasury = f"T-{shop.cast.cooperant.pk}"
    assert lines_of(invoice) == [
        ("601", Decimal("100.00"), Decimal("0.00"), "", treasury),
        ("6068", Decimal("10.00"), Decimal("0.00"), "", treasury),
        ("44566", Decimal("20.55"), Decimal("0.00"), "", treasury),
        ("401", Decimal("0.00"), Decimal("130.55"), code, treasury)]
    assert invoice.status == SupplierInvoice.Status.POSTED
    assert invoice.treasury_account is not None
    assert invoice.treasury_account.code == treasury
    entry = invoice.entry
    assert entry is not None
    assert entry.journal.code == "AC"
    assert entry.date == ISSUED_ON
    assert entry.piece_ref == "F-2026-077"
    assert entry.validated_at is not None
    assert AuditEvent.objects.filter(action="purchases.supplier_invoice.posted").count() == 1


def test_the_cooperant_figures_after_posting_and_after_paying(shop: Shop) -> None:
    invoice = categorised(shop, uploaded(shop))
    invoice = suppliers.post_supplier_invoice(actor=shop.manager, invoice=invoice,
                                              today=shop.today)
    assert invoice.treasury_account is not None
    account_id, cae = invoice.treasury_account.pk, shop.cast.cae

    after_posting = figures_of(account_id, cae, today=shop.today)
    assert after_posting.direct_costs == Decimal("100.00")  # raw materials: 601
    assert after_posting.other_expenses == Decimal("10.00")  # supplies: 6068
    assert after_posting.owed == Decimal("110.00")  # 130,55 to the supplier less 20,55 VAT
    assert after_posting.cash == 0
    assert after_posting.available == Decimal("-110.00")

    suppliers.pay_supplier_invoice(actor=shop.cast.user("comptable"), invoice=invoice,
                                   paid_on=dt.date(2026, 11, 20), today=shop.today)

    after_paying = figures_of(account_id, cae, today=shop.today)
    assert after_paying.cash == Decimal("-130.55")
    assert after_paying.owed == Decimal("-20.55")  # the VAT the State owes back
    assert after_paying.available == Decimal("-110.00")
    assert structure_figures(cae, today=shop.today, own_lines_only=True).cash == 0


def test_paying_books_401_against_the_bank_and_letters_the_supplier(shop: Shop) -> None:
    invoice = posted(shop)

    invoice = suppliers.pay_supplier_invoice(actor=shop.manager, invoice=invoice,
                                             paid_on=dt.date(2026, 11, 20), today=shop.today)

    assert invoice.status == SupplierInvoice.Status.PAID
    assert invoice.paid_on == dt.date(2026, 11, 20)
    payment = invoice.payment_entry
    assert payment is not None
    assert payment.journal.code == "BQ1"
    treasury = f"T-{shop.cast.cooperant.pk}"
    code = f"F{invoice.supplier_id:05d}"
    assert lines_of(invoice, payment.pk) == [
        ("401", Decimal("130.55"), Decimal("0.00"), code, treasury),
        ("512", Decimal("0.00"), Decimal("130.55"), "", treasury)]
    letters = set(EntryLine.objects.filter(account__number="401").values_list(
        "lettering_code", flat=True))
    assert len(letters) == 1
    assert "" not in letters
    assert AuditEvent.objects.filter(action="purchases.supplier_invoice.paid").count() == 1


def test_the_vat_franchise_makes_the_vat_part_of_the_cost(shop: Shop) -> None:
    Structure.objects.filter(pk=shop.cast.cae.pk).update(
        vat_regime=Structure.VatRegime.FRANCHISE)
    invoice = categorised(shop, uploaded(shop))

    invoice = suppliers.post_supplier_invoice(actor=shop.manager, invoice=invoice,
                                              today=shop.today)

    assert [(n, d, c) for n, d, c, _tp, _t in lines_of(invoice)] == [
        ("601", Decimal("120.00"), Decimal("0.00")),
        ("6068", Decimal("10.55"), Decimal("0.00")),
        ("401", Decimal("0.00"), Decimal("130.55"))]


def test_a_discount_line_is_booked_on_the_credit_side(shop: Shop) -> None:
    from kpa.purchases.tests.test_supplier_helpers import supplier_xml

    invoice = uploaded(shop, pdf_with(supplier_xml(allowance="10.00")))
    invoice = categorised(shop, invoice, (RAW, RAW, RAW))

    invoice = suppliers.post_supplier_invoice(actor=shop.manager, invoice=invoice,
                                              today=shop.today)

    assert [(n, d, c) for n, d, c, _tp, _t in lines_of(invoice)] == [
        ("601", Decimal("100.00"), Decimal("0.00")),
        ("601", Decimal("10.00"), Decimal("0.00")),
        ("601", Decimal("0.00"), Decimal("10.00")),
        ("44566", Decimal("18.55"), Decimal("0.00")),
        ("401", Decimal("0.00"), Decimal("118.55"))]


def test_totals_that_left_the_factur_x_ones_are_refused_at_posting(shop: Shop) -> None:
    invoice = uploaded(shop)
    invoice = suppliers.update_supplier_invoice(
        actor=shop.seller, invoice=invoice, today=shop.today,
        lines=[SupplierLineInput("Coupon de wax 6 yards", RAW, "100.00", "20.00")])

    with pytest.raises(ValidationError) as error:
        suppliers.post_supplier_invoice(actor=shop.manager, invoice=invoice, today=shop.today)

    assert "la facture électronique dit 110,00 € HT" in messages_of(error).replace("\u202f", " ")
    invoice.refresh_from_db()
    assert invoice.status == SupplierInvoice.Status.DRAFT
    assert invoice.entry is None


def test_a_minimum_invoice_reads_as_one_line_that_posts(shop: Shop) -> None:
    invoice = uploaded(shop, pdf_with(minimum_xml(), level="minimum"))
    assert invoice.facturx_profile == "minimum"
    assert invoice.total_incl_vat == Decimal("130.55")

    invoice = suppliers.post_supplier_invoice(actor=shop.manager, invoice=invoice,
                                              today=shop.today)
    assert invoice.status == SupplierInvoice.Status.POSTED


def test_a_draft_without_lines_is_not_posted(shop: Shop) -> None:
    invoice = uploaded(shop, blank_pdf(), supplier_name="Mercerie", number="A1",
                       issued_on=ISSUED_ON)
    with pytest.raises(ValidationError) as error:
        suppliers.post_supplier_invoice(actor=shop.manager, invoice=invoice, today=shop.today)
    assert "Ajoutez les lignes" in messages_of(error)


def test_only_the_gestionnaire_posts(shop: Shop) -> None:
    invoice = uploaded(shop)
    for persona in ("cooperant", "comptable", "referent", "outsider"):
        with pytest.raises(PermissionDenied):
            suppliers.post_supplier_invoice(actor=shop.cast.user(persona), invoice=invoice,
                                            today=shop.today)


def test_a_posted_invoice_no_longer_changes(shop: Shop) -> None:
    invoice = posted(shop)
    with pytest.raises(ValidationError) as error:
        suppliers.update_supplier_invoice(actor=shop.manager, invoice=invoice,
                                          today=shop.today, number="X")
    assert "ne change plus" in messages_of(error)
    with pytest.raises(ValidationError) as error:
        suppliers.post_supplier_invoice(actor=shop.manager, invoice=invoice, today=shop.today)
    assert "déjà comptabilisée" in messages_of(error)


def test_a_purchase_of_the_structure_itself_carries_no_treasury_account(shop: Shop) -> None:
    invoice = posted(shop, by="gestionnaire", activity=None)
    assert {t for *_rest, t in lines_of(invoice)} == {None}
    assert invoice.treasury_account is None


def test_a_purchase_may_be_paid_from_the_kpa_common_pot(shop: Shop) -> None:
    pot = common_account_for(shop.cast.home, actor=shop.manager)
    invoice = uploaded(shop, by="gestionnaire", activity=None)
    suppliers.update_supplier_invoice(actor=shop.manager, invoice=invoice, today=shop.today,
                                      treasury_account=pot)

    invoice = suppliers.post_supplier_invoice(actor=shop.manager, invoice=invoice,
                                              today=shop.today)

    assert {t for *_rest, t in lines_of(invoice)} == {pot.code}


def test_a_treasury_account_of_another_structure_is_refused(shop: Shop) -> None:
    foreign = TreasuryAccount.objects.create(
        structure=shop.cast.other_structure, code="KPA-X", label="Ailleurs",
        kind=TreasuryAccount.Kind.COMMON, kpa=shop.cast.elsewhere)
    invoice = uploaded(shop, by="gestionnaire", activity=None)
    with pytest.raises(ValidationError):
        suppliers.update_supplier_invoice(actor=shop.manager, invoice=invoice,
                                          today=shop.today, treasury_account=foreign)


def test_a_collective_activity_purchase_lands_on_the_collective_account(shop: Shop) -> None:
    invoice = posted(shop, activity=shop.friperie)
    assert {t for *_rest, t in lines_of(invoice)} == {f"A-{shop.friperie.pk}"}


# -- paying --------------------------------------------------------------------------------

def test_a_draft_is_not_paid_and_a_paid_invoice_not_twice(shop: Shop) -> None:
    invoice = uploaded(shop)
    with pytest.raises(ValidationError) as error:
        suppliers.pay_supplier_invoice(actor=shop.manager, invoice=invoice,
                                       paid_on=shop.today, today=shop.today)
    assert "Comptabilisez d'abord" in messages_of(error)
    invoice = suppliers.post_supplier_invoice(actor=shop.manager, invoice=invoice,
                                              today=shop.today)
    suppliers.pay_supplier_invoice(actor=shop.manager, invoice=invoice, paid_on=shop.today,
                                   today=shop.today)
    with pytest.raises(ValidationError) as error:
        suppliers.pay_supplier_invoice(actor=shop.manager, invoice=invoice,
                                       paid_on=shop.today, today=shop.today)
    assert "déjà payée (le 28/11/2026)" in messages_of(error)


def test_a_payment_in_the_future_or_before_the_invoice_is_refused(shop: Shop) -> None:
    invoice = posted(shop)
    for day, words in ((shop.today + dt.timedelta(days=1), "à l'avance"),
                       (ISSUED_ON - dt.timedelta(days=1), "précède la facture")):
        with pytest.raises(ValidationError) as error:
            suppliers.pay_supplier_invoice(actor=shop.manager, invoice=invoice, paid_on=day,
                                           today=shop.today)
        assert words in messages_of(error)


def test_the_cooperant_may_not_record_a_payment(shop: Shop) -> None:
    invoice = posted(shop)
    with pytest.raises(PermissionDenied):
        suppliers.pay_supplier_invoice(actor=shop.seller, invoice=invoice, paid_on=shop.today,
                                       today=shop.today)


# -- suppliers -----------------------------------------------------------------------------

def test_a_supplier_is_created_with_identifiers_checked_by_stdnum(shop: Shop) -> None:
    supplier = suppliers.create_supplier(
        actor=shop.cast.user("comptable"), structure=shop.cast.cae, today=shop.today,
        name=" Tissus   du Nord ", siren="732 829 320", vat_number="fr44 732829320",
        email="compta@tissus.test", country="fr")
    assert (supplier.name, supplier.siren, supplier.vat_number, supplier.country) == (
        "Tissus du Nord", SUPPLIER_SIREN, "FR44732829320", "FR")
    assert AuditEvent.objects.filter(action="purchases.supplier.created").count() == 1


@pytest.mark.parametrize(("fields", "field"), [
    ({"name": ""}, "name"),
    ({"name": "X", "siren": "123456789"}, "siren"),
    ({"name": "X", "vat_number": "FR00123"}, "vat_number"),
    ({"name": "X", "email": "pas-un-mail"}, "email"),
])
def test_a_bad_supplier_is_refused_on_its_field(shop: Shop, fields: dict[str, str],
                                                field: str) -> None:
    with pytest.raises(ValidationError) as error:
        suppliers.create_supplier(actor=shop.manager, structure=shop.cast.cae,
                                  today=shop.today, **fields)
    assert field in error.value.message_dict


def test_one_siren_is_one_supplier(shop: Shop) -> None:
    suppliers.create_supplier(actor=shop.manager, structure=shop.cast.cae, today=shop.today,
                              name="Tissus du Nord", siren=SUPPLIER_SIREN)
    with pytest.raises(ValidationError) as error:
        suppliers.create_supplier(actor=shop.manager, structure=shop.cast.cae,
                                  today=shop.today, name="Autre", siren=SUPPLIER_SIREN)
    assert "« Tissus du Nord » a déjà ce SIREN" in messages_of(error)


def test_renaming_a_supplier_renames_its_auxiliary_account(shop: Shop) -> None:
    invoice = posted(shop)
    supplier = suppliers.update_supplier(actor=shop.manager, supplier=invoice.supplier,
                                         today=shop.today, name="Tissus du Nord SAS")
    assert supplier.third_party is not None
    supplier.third_party.refresh_from_db()
    assert supplier.third_party.name == "Tissus du Nord SAS"


def test_cooperants_and_outsiders_do_not_keep_supplier_records(shop: Shop) -> None:
    for persona in ("cooperant", "referent", "outsider"):
        with pytest.raises(PermissionDenied):
            suppliers.create_supplier(actor=shop.cast.user(persona), structure=shop.cast.cae,
                                      today=shop.today, name="X")
