"""Every write about suppliers and their invoices. Keyword-only, takes the acting user and
`today`, atomic, gate first, French refusals, audited.

An invoice goes: uploaded (a DRAFT, prefilled from its Factur-X XML when the PDF carries one,
else from the few facts typed at upload) → checked and completed (supplier, number, dates,
activity, lines with their category and VAT rate) → posted by the gestionnaire to the
purchases journal (AC) → paid (BQ1). Posted amounts never change.

The books (see the common contract): D 6xx per line excl. VAT, D 44566 the VAT, C 401 the total
incl. VAT on the supplier's auxiliary account (`F%05d`, opened at its first posted invoice);
then D 401 / C 512 when paid. Every line carries the activity's treasury account (none: the
structure's own purchase). Under the VAT franchise the structure recovers no VAT: it is part
of the cost, so each 6xx line takes its VAT and 44566 is not used.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from stdnum.eu import vat
from stdnum.exceptions import ValidationError as StdnumError

from kpa.core import audit
from kpa.core.auth import AnyUser
from kpa.core.money import format_money, parse_amount, quantize
from kpa.core.notifications import notify
from kpa.directory.models import Activity, Role, RoleKind, Structure
from kpa.directory.validators import compact_identifier, validate_siren
from kpa.journey.uploads import check_upload
from kpa.ledger import charts
from kpa.ledger import services as ledger_services
from kpa.ledger.lettering import letter_settled
from kpa.ledger.models import EntryLine, Journal, ThirdParty, TreasuryAccount
from kpa.ledger.services import LineInput
from kpa.ledger.treasury_accounts import treasury_account_for
from kpa.purchases import facturx_reader, permissions
from kpa.purchases.accounts import ACCOUNT_OF, SUPPLIERS, VAT_DEDUCTIBLE
from kpa.purchases.facturx_reader import ReadInvoice
from kpa.purchases.models import (
    ZERO,
    ExpenseCategory,
    Supplier,
    SupplierInvoice,
    SupplierInvoiceLine,
)

SUPPLIER_FIELDS = ("name", "siren", "vat_number", "email", "address", "postcode", "city",
                   "country")
INVOICE_FIELDS = ("supplier", "number", "issued_on", "due_on", "activity", "treasury_account",
                  "lines")
DEFAULT_CATEGORY = ExpenseCategory.OTHER
MAX_LINES = 500
MAX_AMOUNT = Decimal("1e11")  # a hundred billion euros: surely a typing slip


@dataclass(frozen=True)
class SupplierLineInput:
    """One line as typed: its net amount excl. VAT and the supplier's VAT rate (%)."""

    description: str
    category: str
    amount_excl_vat: Decimal | str
    vat_rate: Decimal | str = "20.00"


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _day(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def is_franchise(structure: Structure) -> bool:
    return structure.vat_regime == Structure.VatRegime.FRANCHISE


def can_manage_suppliers(user: AnyUser, structure: Structure, *, today: dt.date) -> bool:
    """Supplier records are kept by those who keep the structure's books."""
    return permissions.keeps_books_of(user, structure.pk, today=today)


def can_edit_supplier_invoice(user: AnyUser, invoice: SupplierInvoice, *,
                              today: dt.date) -> bool:
    """A draft is completed by whoever may upload it: the activity's members, the
    gestionnaire and the comptable."""
    return (invoice.status == SupplierInvoice.Status.DRAFT
            and permissions.can_upload_supplier_invoice(
                user, invoice.structure, activity=invoice.activity, today=today))


# -- suppliers -----------------------------------------------------------------------------

def _clean_supplier(supplier: Supplier) -> None:
    """SIREN and VAT number are judged by python-stdnum; one SIREN per structure."""
    errors: dict[str, list[str]] = {}
    supplier.name = " ".join(supplier.name.split())
    supplier.siren = compact_identifier(supplier.siren)
    supplier.vat_number = supplier.vat_number.replace(" ", "").upper()
    supplier.email = supplier.email.strip()
    supplier.country = (supplier.country or "FR").strip().upper()
    if not supplier.name:
        errors["name"] = [_("Donnez le nom du fournisseur.")]
    if supplier.siren:
        try:
            validate_siren(supplier.siren)
        except ValidationError as error:
            errors["siren"] = error.messages
        else:
            twin = Supplier.objects.filter(structure_id=supplier.structure_id,
                                           siren=supplier.siren).exclude(pk=supplier.pk).first()
            if twin is not None:
                errors["siren"] = [_("Le fournisseur « %(name)s » a déjà ce SIREN : "
                                     "choisissez-le plutôt.") % {"name": twin.name}]
    if supplier.vat_number:
        try:
            vat.validate(supplier.vat_number)
        except StdnumError:
            errors["vat_number"] = [_(
                "« %(value)s » n'est pas un numéro de TVA intracommunautaire valide (par "
                "exemple FR44732829320).") % {"value": supplier.vat_number}]
    if len(supplier.country) != 2 or not supplier.country.isalpha():
        errors["country"] = [_("Le pays s'écrit en deux lettres (FR, BE…).")]
    if errors:
        raise ValidationError(errors)
    supplier.full_clean(exclude=["structure", "third_party"])


@transaction.atomic
def create_supplier(*, actor: AnyUser, structure: Structure, today: dt.date,
                    **fields: Any) -> Supplier:
    require(can_manage_suppliers(actor, structure, today=today))
    supplier = Supplier(structure=structure,
                        **{k: v for k, v in fields.items() if k in SUPPLIER_FIELDS})
    _clean_supplier(supplier)
    supplier.save()
    audit.record(actor=actor, action="purchases.supplier.created", target=supplier)
    return supplier


@transaction.atomic
def update_supplier(*, actor: AnyUser, supplier: Supplier, today: dt.date,
                    **fields: Any) -> Supplier:
    require(can_manage_suppliers(actor, supplier.structure, today=today))
    supplier = Supplier.objects.select_for_update(of=("self",)).select_related("structure").get(
        pk=supplier.pk)
    for name, value in fields.items():
        if name in SUPPLIER_FIELDS:
            setattr(supplier, name, value)
    _clean_supplier(supplier)
    supplier.save()
    if supplier.third_party_id is not None:
        ThirdParty.objects.filter(pk=supplier.third_party_id).update(name=supplier.name[:150])
    audit.record(actor=actor, action="purchases.supplier.updated", target=supplier,
                 data={"fields": sorted(k for k in fields if k in SUPPLIER_FIELDS)})
    return supplier


def _valid_or_blank(value: str, check: Any) -> str:
    try:
        check(value)
    except (ValidationError, StdnumError):
        return ""
    return value


def _supplier_from_xml(structure: Structure, read: ReadInvoice) -> Supplier:
    """The supplier the XML names: found by SIREN (then VAT number), else a new record with
    what the XML says (an identifier stdnum refuses is left out, to fix by hand)."""
    siren = _valid_or_blank(compact_identifier(read.seller_siren), validate_siren)
    vat_number = _valid_or_blank(read.seller_vat_number, vat.validate)
    suppliers = Supplier.objects.filter(structure=structure)
    found = None
    if siren:
        found = suppliers.filter(siren=siren).first()
    if found is None and vat_number:
        found = suppliers.filter(vat_number=vat_number).first()
    if found is not None:
        return found
    supplier = Supplier(
        structure=structure, name=read.seller_name or _("Fournisseur sans nom"), siren=siren,
        vat_number=vat_number, email=_valid_or_blank(read.seller_email, validate_email),
        address=read.seller_address, postcode=read.seller_postcode, city=read.seller_city,
        country=read.seller_country or "FR")
    _clean_supplier(supplier)
    supplier.save()
    return supplier


def _supplier_by_name(structure: Structure, name: str) -> Supplier:
    """The structure's supplier of that name (whatever its case), else a new one."""
    cleaned = " ".join(name.split())
    found = Supplier.objects.filter(structure=structure, name__iexact=cleaned).first()
    if found is not None:
        return found
    supplier = Supplier(structure=structure, name=cleaned)
    _clean_supplier(supplier)
    supplier.save()
    return supplier


# -- amounts -------------------------------------------------------------------------------

@dataclass(frozen=True)
class CleanLine:
    description: str
    category: str
    amount_excl_vat: Decimal
    vat_rate: Decimal


def _decimal(value: Decimal | str, field: str, message: str) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else parse_amount(str(value))
    except ValueError:
        raise ValidationError({field: message}) from None
    if not number.is_finite():
        raise ValidationError({field: message})
    return number


def clean_lines(lines: list[SupplierLineInput]) -> list[CleanLine]:
    if len(lines) > MAX_LINES:
        raise ValidationError({"lines": _("%(count)d lignes au plus par facture.")
                               % {"count": MAX_LINES}})
    cleaned = []
    for position, line in enumerate(lines, start=1):
        where = _("Ligne %(n)d : ") % {"n": position}
        description = " ".join((line.description or "").split())[:200]
        if not description:
            raise ValidationError({"lines": where + _("décrivez ce qui a été acheté.")})
        if line.category not in ExpenseCategory.values:
            raise ValidationError({"lines": where + _(
                "choisissez une catégorie (matières premières, fournitures…).")})
        amount = _decimal(line.amount_excl_vat, "lines", where + _(
            "le montant HT s'écrit en chiffres, par exemple 12,50."))
        if abs(amount) >= MAX_AMOUNT:
            raise ValidationError({"lines": where + _("ce montant est trop grand.")})
        if amount != quantize(amount):
            raise ValidationError({"lines": where + _("deux chiffres après la virgule au plus.")})
        if amount == 0:
            raise ValidationError({"lines": where + _(
                "le montant HT n'est pas nul (une remise s'écrit en négatif).")})
        rate = _decimal(line.vat_rate, "lines", where + _(
            "le taux de TVA s'écrit en chiffres, par exemple 20 ou 5,5."))
        if not Decimal("0") <= rate < Decimal("100") or rate != rate.quantize(Decimal("0.01")):
            raise ValidationError({"lines": where + _(
                "le taux de TVA est entre 0 et 100 %, deux décimales au plus.")})
        cleaned.append(CleanLine(description=description, category=line.category,
                                 amount_excl_vat=quantize(amount),
                                 vat_rate=rate.quantize(Decimal("0.01"))))
    return cleaned


def line_vats(lines: list[CleanLine]) -> list[Decimal]:
    """Each line's VAT, so that each rate's VAT is its base times the rate, rounded once (as
    EN 16931 computes it, BR-CO-17): the rounding difference goes to the rate's largest
    line."""
    vats = [quantize(ln.amount_excl_vat * ln.vat_rate / 100) for ln in lines]
    by_rate: dict[Decimal, list[int]] = defaultdict(list)
    for index, line in enumerate(lines):
        by_rate[line.vat_rate].append(index)
    for rate, indexes in by_rate.items():
        base = sum((lines[i].amount_excl_vat for i in indexes), ZERO)
        difference = quantize(base * rate / 100) - sum((vats[i] for i in indexes), ZERO)
        if difference:
            largest = max(indexes, key=lambda i: abs(lines[i].amount_excl_vat))
            vats[largest] += difference
    return vats


def _write_lines(invoice: SupplierInvoice, lines: list[CleanLine]) -> None:
    vats = line_vats(lines)
    invoice.lines.all().delete()
    SupplierInvoiceLine.objects.bulk_create([
        SupplierInvoiceLine(invoice=invoice, position=position, description=ln.description,
                            category=ln.category, amount_excl_vat=ln.amount_excl_vat,
                            vat_rate=ln.vat_rate, vat_amount=line_vat)
        for position, (ln, line_vat) in enumerate(zip(lines, vats, strict=True), start=1)])
    invoice.total_excl_vat = sum((ln.amount_excl_vat for ln in lines), ZERO)
    invoice.total_vat = sum(vats, ZERO)
    invoice.total_incl_vat = invoice.total_excl_vat + invoice.total_vat


# -- upload --------------------------------------------------------------------------------

def _check_pdf(content: bytes) -> str:
    upload = check_upload(content, field="pdf")
    if upload.content_type != "application/pdf":
        raise ValidationError({"pdf": _(
            "Une facture fournisseur s'envoie en PDF (le fichier reçu du fournisseur), pas en "
            "photo.")})
    return upload.sha256


def _refuse_twice(supplier: Supplier, number: str, *, exclude: int | None = None) -> None:
    twins = SupplierInvoice.objects.filter(supplier=supplier, number=number)
    twin = (twins.exclude(pk=exclude) if exclude is not None else twins).first()
    if twin is not None:
        raise ValidationError({"number": _(
            "La facture n° %(number)s de %(supplier)s est déjà enregistrée (datée du "
            "%(day)s) : ne l'envoyez pas deux fois.") % {
            "number": number, "supplier": supplier.name, "day": _day(twin.issued_on)}})


def _check_activity(structure: Structure, activity: Activity | None) -> None:
    if activity is not None and activity.structure_id != structure.pk:
        raise ValidationError({"activity": _(
            "Cette activité n'est pas portée par %(structure)s : choisissez une de ses "
            "activités.") % {"structure": structure.name}})


def _manager_users(structure_id: int, today: dt.date) -> list[User]:
    roles = Role.objects.current(today).filter(
        kind=RoleKind.GESTIONNAIRE, structure_id=structure_id,
        person__user__isnull=False).select_related("person__user")
    return [r.person.user for r in roles if r.person.user is not None]


@transaction.atomic
def upload_supplier_invoice(*, actor: AnyUser, structure: Structure, pdf: bytes,
                            file_name: str, activity: Activity | None = None, today: dt.date,
                            supplier: Supplier | None = None, supplier_name: str = "",
                            number: str = "", issued_on: dt.date | None = None
                            ) -> SupplierInvoice:
    """A DRAFT from the supplier's PDF. With Factur-X XML, everything is read from it (the
    supplier found by SIREN or created); without, the supplier (or its name), the number and
    the date come from the caller, and the lines are typed afterwards."""
    require(permissions.can_upload_supplier_invoice(actor, structure, activity=activity,
                                                    today=today))
    _check_activity(structure, activity)
    sha256 = _check_pdf(pdf)
    known = SupplierInvoice.objects.filter(structure=structure, pdf_sha256=sha256).select_related(
        "supplier").first()
    if known is not None:
        raise ValidationError({"pdf": _(
            "Ce PDF est déjà enregistré : facture n° %(number)s de %(supplier)s.") % {
            "number": known.number, "supplier": known.supplier.name}})
    read = facturx_reader.read_pdf(pdf)
    if read is not None:
        invoice = _draft_from_xml(structure, read)
    else:
        invoice = _draft_by_hand(structure, supplier=supplier, supplier_name=supplier_name,
                                 number=number, issued_on=issued_on, today=today)
    invoice.activity = activity
    invoice.pdf, invoice.pdf_sha256 = pdf, sha256
    invoice.created_by = actor if isinstance(actor, User) else None
    invoice.save()
    if read is not None:
        _write_lines(invoice, clean_lines([
            SupplierLineInput(description=ln.description, category=DEFAULT_CATEGORY,
                              amount_excl_vat=ln.amount_excl_vat, vat_rate=ln.vat_rate)
            for ln in read.lines]))
        invoice.save(update_fields=["total_excl_vat", "total_vat", "total_incl_vat"])
    audit.record(actor=actor, action="purchases.supplier_invoice.uploaded", target=invoice,
                 data={"file_name": file_name[:200], "sha256": sha256,
                       "facturx_profile": invoice.facturx_profile,
                       "activity": activity.pk if activity else None})
    if not permissions.keeps_books_of(actor, structure.pk, today=today):
        _tell_managers(invoice, today=today)
    return invoice


def _draft_from_xml(structure: Structure, read: ReadInvoice) -> SupplierInvoice:
    if not read.number:
        raise ValidationError({"pdf": _(
            "La facture électronique n'a pas de numéro : demandez-en une corrigée.")})
    supplier = _supplier_from_xml(structure, read)
    Supplier.objects.select_for_update().filter(pk=supplier.pk).first()
    _refuse_twice(supplier, read.number)
    return SupplierInvoice(
        structure=structure, supplier=supplier, number=read.number, issued_on=read.issued_on,
        due_on=read.due_on if read.due_on and read.due_on >= read.issued_on else None,
        facturx_xml=read.xml, facturx_profile=read.profile[:40])


def _draft_by_hand(structure: Structure, *, supplier: Supplier | None, supplier_name: str,
                   number: str, issued_on: dt.date | None, today: dt.date) -> SupplierInvoice:
    number = number.strip()[:50]
    if (supplier is None and not supplier_name.strip()) or not number or issued_on is None:
        raise ValidationError({"__all__": _(
            "Ce PDF n'est pas une facture électronique : donnez le nom du fournisseur, le "
            "numéro et la date de la facture.")})
    if supplier is not None and supplier.structure_id != structure.pk:
        raise ValidationError({"supplier": _("Choisissez un fournisseur de la structure.")})
    _check_dates(issued_on, None, today)
    supplier = supplier or _supplier_by_name(structure, supplier_name)
    Supplier.objects.select_for_update().filter(pk=supplier.pk).first()
    _refuse_twice(supplier, number)
    return SupplierInvoice(structure=structure, supplier=supplier, number=number,
                           issued_on=issued_on)


def _tell_managers(invoice: SupplierInvoice, *, today: dt.date) -> None:
    where = invoice.activity.name if invoice.activity else invoice.structure.name
    notify(recipients=_manager_users(invoice.structure_id, today),
           subject=_("Facture fournisseur à vérifier : %(where)s") % {"where": where},
           body=_("%(where)s a envoyé la facture n° %(number)s de %(supplier)s "
                  "(%(total)s € TTC). Vérifiez-la puis comptabilisez-la.") % {
               "where": where, "number": invoice.number, "supplier": invoice.supplier.name,
               "total": format_money(invoice.total_incl_vat)},
           url=reverse("purchases:supplier_invoice_detail", args=[invoice.pk]),
           topic="purchases.supplier_invoice.uploaded")


# -- the draft -----------------------------------------------------------------------------

def _check_dates(issued_on: dt.date, due_on: dt.date | None, today: dt.date) -> None:
    if issued_on > today:
        raise ValidationError({"issued_on": _(
            "La date de la facture (%(day)s) est dans le futur : recopiez celle qui est "
            "imprimée sur la facture.") % {"day": _day(issued_on)}})
    if due_on is not None and due_on < issued_on:
        raise ValidationError({"due_on": _(
            "L'échéance (%(due)s) précède la date de la facture (%(day)s).")
            % {"due": _day(due_on), "day": _day(issued_on)}})


def _check_treasury_account(structure: Structure, account: TreasuryAccount | None) -> None:
    if account is not None and account.structure_id != structure.pk:
        raise ValidationError({"treasury_account": _(
            "Ce compte de trésorerie n'est pas dans les comptes de %(structure)s.")
            % {"structure": structure.name}})


@transaction.atomic
def update_supplier_invoice(*, actor: AnyUser, invoice: SupplierInvoice, today: dt.date,
                            **fields: Any) -> SupplierInvoice:
    """Change a draft: any of supplier, number, issued_on, due_on, activity,
    treasury_account (for a purchase of no activity, e.g. a KPA's common pot) and lines (a
    list of `SupplierLineInput`, which replaces them all; totals are recomputed)."""
    invoice = SupplierInvoice.objects.select_for_update(of=("self",)).select_related(
        "structure", "activity", "supplier").get(pk=invoice.pk)
    structure = invoice.structure
    require(permissions.can_upload_supplier_invoice(actor, structure, activity=invoice.activity,
                                                    today=today))
    if invoice.status != SupplierInvoice.Status.DRAFT:
        raise ValidationError(_("Cette facture est comptabilisée : elle ne change plus."))
    changes = {k: v for k, v in fields.items() if k in INVOICE_FIELDS}
    if "activity" in changes:
        activity = changes["activity"]
        require(permissions.can_upload_supplier_invoice(actor, structure, activity=activity,
                                                        today=today))
        _check_activity(structure, activity)
    supplier = changes.get("supplier", invoice.supplier)
    if supplier.structure_id != structure.pk:
        raise ValidationError({"supplier": _("Choisissez un fournisseur de la structure.")})
    number = str(changes.get("number", invoice.number)).strip()[:50]
    if not number:
        raise ValidationError({"number": _("Recopiez le numéro imprimé sur la facture.")})
    issued_on = changes.get("issued_on", invoice.issued_on)
    if issued_on is None:
        raise ValidationError({"issued_on": _("Recopiez la date de la facture.")})
    due_on = changes.get("due_on", invoice.due_on)
    _check_dates(issued_on, due_on, today)
    _check_treasury_account(structure, changes.get("treasury_account"))
    lines = clean_lines(changes["lines"]) if "lines" in changes else None
    Supplier.objects.select_for_update().filter(pk=supplier.pk).first()
    _refuse_twice(supplier, number, exclude=invoice.pk)
    invoice.supplier, invoice.number = supplier, number
    invoice.issued_on, invoice.due_on = issued_on, due_on
    if "activity" in changes:
        invoice.activity = changes["activity"]
    if "treasury_account" in changes:
        invoice.treasury_account = changes["treasury_account"]
    if invoice.activity is not None:
        invoice.treasury_account = None  # the activity's, set at posting
    if lines is not None:
        _write_lines(invoice, lines)
    invoice.save()
    audit.record(actor=actor, action="purchases.supplier_invoice.updated", target=invoice,
                 data={"fields": sorted(changes)})
    return invoice


# -- posting and paying --------------------------------------------------------------------

def third_party_for(supplier: Supplier) -> ThirdParty:
    """The supplier's auxiliary account (F + 5 digits), opened at its first posted invoice
    under a lock on the supplier's row."""
    locked = Supplier.objects.select_for_update(of=("self",)).select_related(
        "third_party").get(pk=supplier.pk)
    if locked.third_party is not None:
        supplier.third_party = locked.third_party
        return locked.third_party
    third_party = ThirdParty.objects.create(
        structure_id=supplier.structure_id, code=f"F{supplier.pk:05d}",
        name=supplier.name[:150], kind=ThirdParty.Kind.SUPPLIER)
    Supplier.objects.filter(pk=supplier.pk).update(third_party=third_party)
    supplier.third_party = third_party
    return third_party


def check_against_xml(invoice: SupplierInvoice) -> ReadInvoice | None:
    """The totals typed must be those of the invoice's Factur-X XML, when it has one."""
    if not invoice.facturx_xml:
        return None
    read = facturx_reader.parse_cii(invoice.facturx_xml, check_xsd=False)
    ours = (invoice.total_excl_vat, invoice.total_vat, invoice.total_incl_vat)
    theirs = (read.total_excl_vat, read.total_vat, read.total_incl_vat)
    if ours != theirs:
        raise ValidationError(_(
            "Les lignes donnent %(excl)s € HT, %(vat)s € de TVA et %(incl)s € TTC ; la facture "
            "électronique dit %(x_excl)s € HT, %(x_vat)s € de TVA et %(x_incl)s € TTC. "
            "Corrigez les lignes pour retrouver ses montants.") % {
            "excl": format_money(ours[0]), "vat": format_money(ours[1]),
            "incl": format_money(ours[2]), "x_excl": format_money(theirs[0]),
            "x_vat": format_money(theirs[1]), "x_incl": format_money(theirs[2])})
    return read


def _signed(account: str, amount: Decimal, label: str,
            treasury: TreasuryAccount | None) -> LineInput:
    if amount >= 0:
        return LineInput(account, debit=amount, label=label, treasury_account=treasury)
    return LineInput(account, credit=-amount, label=label, treasury_account=treasury)


def _journal(structure: Structure, code: str) -> Journal:
    return Journal.objects.get(structure=structure, code=code)


@transaction.atomic
def post_supplier_invoice(*, actor: AnyUser, invoice: SupplierInvoice,
                          today: dt.date) -> SupplierInvoice:
    invoice = SupplierInvoice.objects.select_for_update(of=("self",)).select_related(
        "structure", "activity__structure", "activity__kpa", "supplier",
        "treasury_account").get(pk=invoice.pk)
    require(permissions.can_post_supplier_invoice(actor, invoice, today=today))
    if invoice.status != SupplierInvoice.Status.DRAFT:
        raise ValidationError(_("Cette facture est déjà comptabilisée."))
    lines = list(invoice.lines.all())
    if not lines:
        raise ValidationError({"lines": _(
            "Ajoutez les lignes de la facture (ce qui a été acheté, montant HT, taux de TVA) "
            "avant de la comptabiliser.")})
    if invoice.total_incl_vat <= 0:
        raise ValidationError({"lines": _(
            "Le total de la facture doit être positif (un avoir ne s'enregistre pas ici).")})
    _check_dates(invoice.issued_on, invoice.due_on, today)
    check_against_xml(invoice)
    structure = invoice.structure
    treasury = (treasury_account_for(invoice.activity, actor=actor)
                if invoice.activity is not None else invoice.treasury_account)
    supplier = third_party_for(invoice.supplier)
    label = f"Facture {invoice.number} {invoice.supplier.name}"[:200]
    franchise = is_franchise(structure)
    entry_lines = [
        _signed(ACCOUNT_OF[ln.category],
                ln.amount_excl_vat + (ln.vat_amount if franchise else ZERO),
                f"{ln.description} ({invoice.supplier.name})"[:200], treasury)
        for ln in lines if ln.amount_excl_vat + (ln.vat_amount if franchise else ZERO)]
    if invoice.total_vat and not franchise:
        entry_lines.append(_signed(VAT_DEDUCTIBLE, invoice.total_vat, f"{label} TVA"[:200],
                                   treasury))
    entry_lines.append(LineInput(SUPPLIERS, credit=invoice.total_incl_vat, label=label,
                                 third_party=supplier, treasury_account=treasury))
    entry = ledger_services.post_entry(
        actor=actor, structure=structure, journal=_journal(structure, "AC"),
        date=invoice.issued_on, label=label, lines=entry_lines, piece_ref=invoice.number,
        piece_date=invoice.issued_on, source="purchases.supplier_invoice", validate=True,
        today=today)
    invoice.status, invoice.entry, invoice.treasury_account = (
        SupplierInvoice.Status.POSTED, entry, treasury)
    invoice.save(update_fields=["status", "entry", "treasury_account"])
    audit.record(actor=actor, action="purchases.supplier_invoice.posted", target=invoice,
                 data={"entry": entry.pk, "total_incl_vat": str(invoice.total_incl_vat),
                       "treasury_account": treasury.code if treasury else None,
                       "vat_as_cost": franchise})
    return invoice


@transaction.atomic
def pay_supplier_invoice(*, actor: AnyUser, invoice: SupplierInvoice, paid_on: dt.date,
                         today: dt.date) -> SupplierInvoice:
    """The bank paid the supplier the whole invoice: D 401 / C 512 (BQ1); the two 401 lines
    are then lettered together."""
    invoice = SupplierInvoice.objects.select_for_update(of=("self",)).select_related(
        "structure", "supplier__third_party", "treasury_account").get(pk=invoice.pk)
    require(permissions.can_pay_supplier_invoice(actor, invoice, today=today))
    if invoice.status == SupplierInvoice.Status.DRAFT:
        raise ValidationError(_("Comptabilisez d'abord la facture, puis enregistrez son "
                                "paiement."))
    if invoice.status == SupplierInvoice.Status.PAID:
        assert invoice.paid_on is not None
        raise ValidationError(_("Cette facture est déjà payée (le %(day)s).")
                              % {"day": _day(invoice.paid_on)})
    if paid_on > today:
        raise ValidationError({"paid_on": _("Un paiement ne se note pas à l'avance.")})
    if paid_on < invoice.issued_on:
        raise ValidationError({"paid_on": _(
            "Le paiement (%(paid)s) précède la facture (%(day)s) : vérifiez la date.")
            % {"paid": _day(paid_on), "day": _day(invoice.issued_on)}})
    supplier = third_party_for(invoice.supplier)
    treasury = invoice.treasury_account
    label = f"Paiement facture {invoice.number} {invoice.supplier.name}"[:200]
    entry = ledger_services.post_entry(
        actor=actor, structure=invoice.structure, journal=_journal(invoice.structure, "BQ1"),
        date=paid_on, label=label, lines=[
            LineInput(SUPPLIERS, debit=invoice.total_incl_vat, third_party=supplier,
                      treasury_account=treasury),
            LineInput(charts.BANK, credit=invoice.total_incl_vat, treasury_account=treasury)],
        piece_ref=invoice.number, source="purchases.supplier_invoice.payment", validate=True,
        today=today)
    invoice.status, invoice.paid_on, invoice.payment_entry = (
        SupplierInvoice.Status.PAID, paid_on, entry)
    invoice.save(update_fields=["status", "paid_on", "payment_entry"])
    _letter(actor=actor, invoice=invoice, supplier=supplier, today=today)
    audit.record(actor=actor, action="purchases.supplier_invoice.paid", target=invoice,
                 data={"entry": entry.pk, "paid_on": paid_on.isoformat(),
                       "amount": str(invoice.total_incl_vat)})
    return invoice


def _letter(*, actor: AnyUser, invoice: SupplierInvoice, supplier: ThirdParty,
            today: dt.date) -> None:
    lines = list(EntryLine.objects.filter(
        Q(entry_id=invoice.entry_id) | Q(entry_id=invoice.payment_entry_id),
        account__number=SUPPLIERS, third_party=supplier, lettering_code=""))
    # Lettering stays within one fiscal year; across years the à-nouveaux carry the debt.
    if len(lines) == 2 and len({ln.fiscal_year_id for ln in lines}) == 1:
        letter_settled(actor=actor, lines=lines, today=today)

