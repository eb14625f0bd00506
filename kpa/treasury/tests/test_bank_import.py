"""Importing bank statements: OFX 1.x (SGML) and 2.x (XML) through ofxtools, CSV through a
column mapping with each of its options; all or nothing, with a line-numbered French report;
the same file twice refused, a transaction the bank sent before skipped and counted."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from kpa.core.models import AuditEvent
from kpa.core.money import format_money
from kpa.ledger.models import Journal
from kpa.sales.tests.conftest import Shop
from kpa.treasury import bank_import
from kpa.treasury.bank_import import LayoutSpec, parse_bank_amount
from kpa.treasury.models import BankCsvLayout, BankStatement, BankTransaction
from kpa.treasury.tests.test_bank_helpers import (
    bank_journal,
    bookkeeper,
    create_layout,
    import_file,
    import_sample,
    sample,
)


def rows(shop: Shop) -> list[tuple[dt.date, str, Decimal, str]]:
    return list(BankTransaction.objects.filter(journal=bank_journal(shop)).order_by(
        "booked_on", "pk").values_list("booked_on", "label", "amount", "bank_reference"))


def refusal(error: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return error.value.messages


def nothing_written() -> bool:
    return not BankStatement.objects.exists() and not BankTransaction.objects.exists()


# -- OFX --------------------------------------------------------------------------------------


def test_an_ofx_1_sgml_statement_gives_dates_amounts_labels_and_fitids(shop: Shop) -> None:
    result = import_sample(shop, "releve-ofx1.ofx")
    assert (result.created, result.duplicates) == (4, 0)
    assert result.statement.file_format == "ofx"
    assert rows(shop) == [
        (dt.date(2026, 11, 5), "VIR MAIRIE DE ROUBAIX — FACTURE FA-2026-0001",
         Decimal("30.00"), "CE2026110500001"),
        (dt.date(2026, 11, 12), "CB MERCERIE DU NORD — CARTE 4974XXXXXXXX1234 10/11",
         Decimal("-45.90"), "CE2026111200002"),
        (dt.date(2026, 11, 16), "PRLV SEPA ÉLECTRICITÉ DE FRANCE — ECH/161126 RÉF 00012345",
         Decimal("-62.18"), "CE2026111600003"),
        (dt.date(2026, 11, 20), "FRAIS TENUE DE COMPTE", Decimal("-6.50"), "CE2026112000004"),
    ]


def test_an_ofx_2_xml_statement_keeps_the_banks_own_day_and_reads_entities(
        shop: Shop) -> None:
    import_sample(shop, "releve-ofx2.ofx")
    assert rows(shop) == [
        # 20261103000000[+1:CET] is the 3rd in Paris, though the 2nd at 23:00 in UTC.
        (dt.date(2026, 11, 3), "VIR SEPA ASSOCIATION LES AMIS — Retouches costumes de scène "
         "& ourlets", Decimal("120.00"), "2026110300A17"),
        (dt.date(2026, 11, 9), "CHEQUE 0001234", Decimal("-250.00"), "2026110900B02"),
        # NAME and MEMO say the same: said once.
        (dt.date(2026, 11, 18), "REMISE CARTE TPE 18/11", Decimal("30.00"), "2026111800C44"),
    ]


def test_a_transaction_the_bank_sent_before_is_skipped_and_counted(shop: Shop) -> None:
    import_sample(shop, "releve-ofx1.ofx")
    later = sample("releve-ofx1.ofx").replace(b"</BANKTRANLIST>", (
        b"<STMTTRN>\r\n<TRNTYPE>CREDIT\r\n<DTPOSTED>20261126\r\n<TRNAMT>75,00\r\n"
        b"<FITID>CE2026112600005\r\n<NAME>VIR SEPA LES AMIS\r\n</STMTTRN>\r\n"
        b"</BANKTRANLIST>"))
    result = import_file(shop, later, name="releve-suite.ofx")
    assert (result.created, result.duplicates) == (1, 4)
    assert BankTransaction.objects.count() == 5
    assert list(result.statement.transactions.values_list("amount", flat=True)) == [
        Decimal("75.00")]


def test_a_fitid_twice_in_one_file_is_kept_once(shop: Shop) -> None:
    content = sample("releve-ofx1.ofx").replace(b"CE2026111200002", b"CE2026110500001")
    result = import_file(shop, content)
    assert (result.created, result.duplicates) == (3, 1)


def test_a_very_long_fitid_is_kept_as_its_digest(shop: Shop) -> None:
    content = sample("releve-ofx1.ofx").replace(b"CE2026110500001", b"X" * 150)
    import_file(shop, content)
    reference = BankTransaction.objects.get(amount=Decimal("30.00")).bank_reference
    assert reference.startswith("sha256:")
    assert len(reference) <= 100


def test_the_same_file_twice_is_refused_with_the_day_it_came(shop: Shop) -> None:
    import_sample(shop, "releve-ofx1.ofx")
    with pytest.raises(ValidationError) as error:
        import_sample(shop, "releve-ofx1.ofx")
    assert refusal(error) == [
        f"Ce fichier a déjà été importé le {timezone.localdate():%d/%m/%Y} (« releve-ofx1.ofx ») : "
        "rien n'est importé deux fois."]
    assert BankStatement.objects.count() == 1


@pytest.mark.parametrize(("change", "message"), [
    ((b"<TRNAMT>-45,90", b"<TRNAMT>-45,9x"),
     "Opération n° 2 (FITID CE2026111200002) : « -45,9x » n'est pas un montant (TRNAMT)."),
    ((b"<TRNAMT>-45,90", b"<TRNAMT>-45,905"),
     "Opération n° 2 (FITID CE2026111200002) : « -45,905 » n'est pas un montant (TRNAMT)."),
    ((b"<TRNAMT>-45,90", b"<TRNAMT>NaN"),
     "Opération n° 2 (FITID CE2026111200002) : « NaN » n'est pas un montant (TRNAMT)."),
    ((b"<DTPOSTED>20261112", b"<DTPOSTED>12/11/2026"),
     "Opération n° 2 (FITID CE2026111200002) : « 12/11/2026 » n'est pas une date OFX "
     "(DTPOSTED)."),
    ((b"<TRNAMT>-45,90\r\n", b""),
     "Opération n° 2 (FITID CE2026111200002) : il manque le montant (TRNAMT)."),
    ((b"<DTPOSTED>20261112\r\n", b""),
     "Opération n° 2 (FITID CE2026111200002) : il manque la date (DTPOSTED)."),
    ((b"<FITID>CE2026111200002\r\n", b""),
     "Opération n° 2 : il manque l'identifiant de la banque (FITID)."),
])
def test_a_bad_ofx_transaction_refuses_the_whole_file_saying_which(
        shop: Shop, change: tuple[bytes, bytes], message: str) -> None:
    content = sample("releve-ofx1.ofx").replace(*change)
    with pytest.raises(ValidationError) as error:
        import_file(shop, content)
    assert refusal(error) == [message]
    assert nothing_written()


def test_a_broken_ofx_file_is_refused_plainly(shop: Shop) -> None:
    content = sample("releve-ofx2.ofx").replace(b"</NAME>", b"</NAMX>", 1)
    with pytest.raises(ValidationError) as error:
        import_file(shop, content)
    assert refusal(error)[0].startswith("Ce fichier OFX est illisible")
    assert nothing_written()


def test_a_statement_in_another_currency_is_refused(shop: Shop) -> None:
    with pytest.raises(ValidationError) as error:
        import_file(shop, sample("releve-ofx2.ofx").replace(b"<CURDEF>EUR", b"<CURDEF>USD"))
    assert refusal(error) == ["Ce relevé est en USD : seuls les relevés en euros s'importent."]


def test_a_file_holding_two_accounts_is_refused(shop: Shop) -> None:
    content = sample("releve-ofx2.ofx")
    start, end = content.index(b"<STMTTRNRS>"), content.index(b"</STMTTRNRS>") + 12
    doubled = content[:end] + content[start:end].replace(b"08001234567", b"08009999999") \
        + content[end:]
    with pytest.raises(ValidationError) as error:
        import_file(shop, doubled)
    assert refusal(error) == ["Ce fichier contient les relevés de 2 comptes : téléchargez un "
                              "fichier par compte."]


def test_an_ofx_file_is_read_as_ofx_even_when_a_csv_layout_is_chosen(shop: Shop) -> None:
    result = import_sample(shop, "releve-ofx1.ofx", layout=create_layout(shop))
    assert (result.statement.file_format, result.created) == ("ofx", 4)


# -- CSV --------------------------------------------------------------------------------------


def test_a_csv_with_a_signed_amount_column_and_decimal_commas(shop: Shop) -> None:
    layout = create_layout(shop)  # ";", utf-8, one header row, dd/mm/YYYY, 1, 2, 3
    result = import_sample(shop, "releve-montant-signe.csv", layout=layout)
    assert (result.created, result.statement.file_format) == (4, "csv")
    assert rows(shop) == [
        (dt.date(2026, 11, 5), "VIR SEPA MAIRIE DE ROUBAIX FACTURE FA-2026-0001",
         Decimal("30.00"), ""),
        (dt.date(2026, 11, 12), "CB MERCERIE DU NORD 10/11", Decimal("-45.90"), ""),
        (dt.date(2026, 11, 16), "PRLV SEPA ÉLECTRICITÉ DE FRANCE", Decimal("-62.18"), ""),
        (dt.date(2026, 11, 25), "VIR SEPA CONSEIL DÉPARTEMENTAL DU NORD SUBVENTION",
         Decimal("1500.00"), ""),
    ]


def test_a_csv_with_debit_and_credit_columns_in_windows_1252_after_three_header_rows(
        shop: Shop) -> None:
    layout = create_layout(shop, encoding="cp1252", skip_rows=3, label_column=3,
                           amount_column=None, debit_column=4, credit_column=5)
    import_sample(shop, "releve-debit-credit.csv", layout=layout)
    assert [(d, label, amount) for d, label, amount, _ in rows(shop)] == [
        (dt.date(2026, 11, 3), "REMISE CHÈQUE N° 4521", Decimal("120.00")),
        (dt.date(2026, 11, 9), "CHÈQUE 0001234", Decimal("-250.00")),
        (dt.date(2026, 11, 20), "FRAIS TENUE DE COMPTE", Decimal("-6.50")),
        (dt.date(2026, 11, 27), "VIR SEPA LES AMIS DU QUARTIER", Decimal("1234.56")),
    ]


def test_a_csv_with_commas_between_columns_a_decimal_point_and_iso_dates(shop: Shop) -> None:
    layout = create_layout(shop, delimiter=",", decimal_comma=False, date_format="%Y-%m-%d")
    import_sample(shop, "releve-point-decimal.csv", layout=layout)
    assert [(d, label, amount) for d, label, amount, _ in rows(shop)] == [
        (dt.date(2026, 11, 5), "VIR MAIRIE DE ROUBAIX, FACTURE FA-2026-0001", Decimal("30.00")),
        (dt.date(2026, 11, 12), "CB MERCERIE DU NORD, ROUBAIX", Decimal("-45.90")),
        (dt.date(2026, 11, 27), "VIR SEPA LES AMIS, DON", Decimal("1234.56")),
    ]


def test_a_csv_with_tabs_no_header_and_a_short_year(shop: Shop) -> None:
    layout = create_layout(shop, delimiter="\t", skip_rows=0, date_format="%d/%m/%y",
                           date_column=2, label_column=3, amount_column=1)
    content = b"12,00\t01/11/26\tDEPOT ESPECES\n-3,20\t02/11/26\tCOMMISSION\n"
    import_file(shop, content, layout=layout, name="releve.tsv")
    assert [(d, amount) for d, _, amount, _ in rows(shop)] == [
        (dt.date(2026, 11, 1), Decimal("12.00")), (dt.date(2026, 11, 2), Decimal("-3.20"))]


def test_a_debit_written_negative_is_still_money_out(shop: Shop) -> None:
    layout = create_layout(shop, amount_column=None, debit_column=3, credit_column=4)
    import_file(shop, b"Date;Libelle;Debit;Credit\n02/11/2026;FRAIS;-6,50;\n", layout=layout,
                name="r.csv")
    assert rows(shop)[0][2] == Decimal("-6.50")


def test_zero_lines_and_blank_lines_are_passed_over(shop: Shop) -> None:
    layout = create_layout(shop)
    result = import_file(shop, b"Date;Libelle;Montant\n\n01/11/2026;INFO;0,00\n"
                               b"02/11/2026;VIR;10,00\n;;\n", layout=layout, name="r.csv")
    assert result.created == 1


def test_a_bad_amount_is_reported_with_its_line_and_nothing_is_imported(shop: Shop) -> None:
    layout = create_layout(shop)
    lines = ["Date;Libellé;Montant"] + [f"0{day}/11/2026;VIR {day};1{day},00"
                                        for day in range(1, 6)]
    lines.insert(6, "07/11/2026;VIR 7;12,5x")
    with pytest.raises(ValidationError) as error:
        import_file(shop, "\n".join(lines).encode(), layout=layout, name="r.csv")
    assert refusal(error) == ["Ligne 7 : « 12,5x » n'est pas un montant."]
    assert error.value.message_dict == {"file": ["Ligne 7 : « 12,5x » n'est pas un montant."]}
    assert nothing_written()


def test_every_bad_line_is_reported_at_once(shop: Shop) -> None:
    layout = create_layout(shop, amount_column=None, debit_column=3, credit_column=4)
    content = "\n".join([
        "Date;Libellé;Débit;Crédit",
        "31/02/2026;VIR;;10,00",
        "01/11/2026;VIR;5,00;10,00",
        "01/11/2026;VIR;;",
        "01/11/2026;VIR",
        "2026-11-01;CB;1.5.0;",
        "01/11/2026;CB;1,234;",
    ]).encode()
    with pytest.raises(ValidationError) as error:
        import_file(shop, content, layout=layout, name="r.csv")
    assert refusal(error) == [
        "Ligne 2 : « 31/02/2026 » n'est pas une date au format JJ/MM/AAAA.",
        "Ligne 3 : un débit et un crédit sur la même ligne ; la banque en écrit un seul par "
        "opération.",
        "Ligne 4 : ni débit ni crédit.",
        "Ligne 5 : il manque la colonne 3 (débit) ; cette ligne n'en a que 2. Vérifiez le "
        "séparateur du format.",
        "Ligne 6 : « 2026-11-01 » n'est pas une date au format JJ/MM/AAAA.",
        "Ligne 6 : « 1.5.0 » n'est pas un montant.",
        "Ligne 7 : « 1,234 » n'est pas un montant.",
    ]
    assert nothing_written()


def test_an_empty_amount_cell_is_refused(shop: Shop) -> None:
    with pytest.raises(ValidationError) as error:
        import_file(shop, b"D;L;M\n01/11/2026;VIR;\n", layout=create_layout(shop),
                    name="r.csv")
    assert refusal(error) == ["Ligne 2 : le montant est vide."]


def test_a_file_in_another_encoding_than_the_layouts_names_the_line(shop: Shop) -> None:
    with pytest.raises(ValidationError) as error:
        import_sample(shop, "releve-debit-credit.csv", layout=create_layout(shop))
    assert refusal(error)[0].startswith("Ligne 1 : ce caractère n'est pas écrit en utf-8.")


def test_an_unclosed_quote_is_refused(shop: Shop) -> None:
    layout = create_layout(shop, delimiter=",", decimal_comma=False, date_format="%Y-%m-%d")
    with pytest.raises(ValidationError) as error:
        import_file(shop, b'd,l,m\n2026-11-01,"VIR,10.00\n', layout=layout, name="r.csv")
    assert len(refusal(error)) == 1


def test_a_long_report_stops_after_thirty_lines(shop: Shop) -> None:
    content = "\n".join(["D;L;M"] + ["01/11/2026;VIR;abc"] * 40).encode()
    with pytest.raises(ValidationError) as error:
        import_file(shop, content, layout=create_layout(shop), name="r.csv")
    messages = refusal(error)
    assert len(messages) == 31
    assert messages[-1] == "… et 10 autres erreurs."


def test_a_file_in_an_unknown_layout_is_refused_plainly(shop: Shop) -> None:
    with pytest.raises(ValidationError) as error:
        import_sample(shop, "releve-montant-signe.csv")
    assert refusal(error) == [
        "Ce fichier n'est pas un relevé OFX, et aucun format CSV n'est choisi : choisissez le "
        "format de votre banque (ou créez-le), ou téléchargez le relevé au format OFX."]
    assert nothing_written()


@pytest.mark.parametrize(("content", "message"), [
    (b"", "Le fichier est vide."),
    (b"Date;Libelle;Montant\n", "Ce fichier ne contient aucune opération."),
])
def test_an_empty_statement_is_refused(shop: Shop, content: bytes, message: str) -> None:
    with pytest.raises(ValidationError) as error:
        import_file(shop, content, layout=create_layout(shop), name="r.csv")
    assert refusal(error) == [message]


def test_a_file_too_big_is_refused(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bank_import, "MAX_FILE_BYTES", 100)
    with pytest.raises(ValidationError) as error:
        import_sample(shop, "releve-ofx1.ofx")
    assert refusal(error)[0].startswith("Le fichier dépasse")


def test_only_a_bank_journal_with_its_account_takes_a_statement(shop: Shop) -> None:
    misc = Journal.objects.get(structure=shop.cast.cae, code="OD")
    with pytest.raises(ValidationError) as error:
        bank_import.import_statement(actor=bookkeeper(shop), journal=misc, file_name="r.ofx",
                                     content=sample("releve-ofx1.ofx"), today=shop.today)
    assert list(error.value.message_dict) == ["journal"]


def test_a_second_bank_journal_has_its_own_statements(shop: Shop) -> None:
    import_sample(shop, "releve-ofx1.ofx")
    other = Journal.objects.create(structure=shop.cast.cae, code="BQ2", label="Livret",
                                   kind=Journal.Kind.BANK, account=bank_journal(shop).account)
    result = bank_import.import_statement(
        actor=bookkeeper(shop), journal=other, file_name="r.ofx",
        content=sample("releve-ofx1.ofx"), today=shop.today)
    assert (result.created, result.duplicates) == (4, 0)


def test_a_layout_of_another_structure_is_refused(shop: Shop) -> None:
    foreign = BankCsvLayout.objects.create(structure=shop.cast.other_structure, name="X",
                                           date_column=1, label_column=2, amount_column=3)
    with pytest.raises(ValidationError) as error:
        import_sample(shop, "releve-montant-signe.csv", layout=foreign)
    assert list(error.value.message_dict) == ["layout"]


@pytest.mark.parametrize("persona", ["cooperant", "referent", "coordinateur", "outsider"])
def test_only_the_structures_bookkeepers_import(shop: Shop, persona: str) -> None:
    with pytest.raises(PermissionDenied):
        import_file(shop, sample("releve-ofx1.ofx"), actor=shop.cast.user(persona))
    assert nothing_written()


@pytest.mark.parametrize("persona", ["gestionnaire", "comptable", "admin"])
def test_the_gestionnaire_the_comptable_and_an_admin_import(shop: Shop, persona: str) -> None:
    result = import_file(shop, sample("releve-ofx1.ofx"), actor=shop.cast.user(persona))
    assert result.statement.imported_by == shop.cast.user(persona)


def test_an_import_is_audited_with_its_counts(shop: Shop) -> None:
    result = import_sample(shop, "releve-ofx1.ofx")
    event = AuditEvent.objects.get(action="treasury.bank_statement.imported")
    assert event.target_id == str(result.statement.pk)
    assert (event.data["created"], event.data["duplicates"], event.data["format"]) == (
        4, 0, "ofx")


def test_the_file_name_keeps_no_path(shop: Shop) -> None:
    result = import_file(shop, sample("releve-ofx1.ofx"), name="C:\\Users\\awa\\releve.ofx")
    assert result.statement.file_name == "releve.ofx"


# -- amounts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "comma", "expected"), [
    ("1 234,56", True, "1234.56"), ("1.234,56", True, "1234.56"), ("-0,5", True, "-0.50"),
    ("+12", True, "12.00"), ("12,50 €", True, "12.50"), ("1\u202f234,56", True, "1234.56"),
    ("1,234.56", False, "1234.56"), ("-45.9", False, "-45.90"),
    ("12.50", True, None), ("12,5x", True, None), ("1,5", False, None), ("1,2345", False, None),
    ("0,001", True, None), ("", True, None), ("1e5", True, None),
])
def test_bank_amounts_are_read_as_the_layout_says(text: str, comma: bool,
                                                  expected: str | None) -> None:
    value = parse_bank_amount(text, decimal_comma=comma)
    assert value == (Decimal(expected) if expected else None)


@given(st.decimals(min_value=Decimal("-999999999.99"), max_value=Decimal("999999999.99"),
                   places=2))
def test_any_amount_written_the_french_way_or_the_english_way_reads_back(
        value: Decimal) -> None:
    french = format_money(value)  # "-1 234,56", narrow spaces between thousands
    english = f"{value:,.2f}"
    assert parse_bank_amount(french, decimal_comma=True) == value
    assert parse_bank_amount(french.replace("\u202f", "."), decimal_comma=True) == value
    assert parse_bank_amount(english, decimal_comma=False) == value


# -- layouts ----------------------------------------------------------------------------------


def test_a_layout_is_created_updated_and_deleted_with_audit(shop: Shop) -> None:
    layout = create_layout(shop, name="  Crédit   Coopératif ")
    assert layout.name == "Crédit Coopératif"
    bank_import.update_layout(actor=bookkeeper(shop), layout=layout, today=shop.today,
                              spec=LayoutSpec(name="Crédit Coopératif", date_column=1,
                                              label_column=2, debit_column=3,
                                              credit_column=4))
    layout.refresh_from_db()
    assert (layout.amount_column, layout.debit_column, layout.credit_column) == (None, 3, 4)
    bank_import.delete_layout(actor=bookkeeper(shop), layout=layout, today=shop.today)
    assert not BankCsvLayout.objects.exists()
    assert list(AuditEvent.objects.filter(action__startswith="treasury.bank_layout.")
                .order_by("pk").values_list("action", flat=True)) == [
        "treasury.bank_layout.created", "treasury.bank_layout.updated",
        "treasury.bank_layout.deleted"]


@pytest.mark.parametrize(("changes", "field"), [
    ({"name": " "}, "name"),
    ({"debit_column": 4, "credit_column": 5}, "amount_column"),
    ({"amount_column": None, "debit_column": 4}, "amount_column"),
    ({"amount_column": 1}, "amount_column"),
    ({"date_column": 0}, "date_column"),
    ({"label_column": 101}, "label_column"),
    ({"delimiter": ";;"}, "delimiter"),
    ({"delimiter": "a"}, "delimiter"),
    ({"encoding": "klingon"}, "encoding"),
    ({"skip_rows": 51}, "skip_rows"),
    ({"date_format": "%d/%m"}, "date_format"),
    ({"date_format": "%Q"}, "date_format"),
])
def test_a_layout_that_cannot_read_a_file_is_refused_on_its_field(
        shop: Shop, changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as error:
        create_layout(shop, **changes)
    assert field in error.value.message_dict
    assert not BankCsvLayout.objects.exists()


def test_two_layouts_of_a_structure_have_two_names(shop: Shop) -> None:
    create_layout(shop)
    with pytest.raises(ValidationError) as error:
        create_layout(shop, name="banque coopérative")
    assert error.value.message_dict == {
        "name": ["La structure a déjà un format « banque coopérative »."]}


@pytest.mark.parametrize("persona", ["cooperant", "outsider"])
def test_only_bookkeepers_manage_layouts(shop: Shop, persona: str) -> None:
    layout = create_layout(shop)
    with pytest.raises(PermissionDenied):
        bank_import.create_layout(actor=shop.cast.user(persona), structure=shop.cast.cae,
                                  spec=LayoutSpec(name="X", date_column=1, label_column=2,
                                                  amount_column=3), today=shop.today)
    with pytest.raises(PermissionDenied):
        bank_import.delete_layout(actor=shop.cast.user(persona), layout=layout,
                                  today=shop.today)


def test_the_message_after_an_import_counts_new_and_known_transactions(shop: Shop) -> None:
    first = import_sample(shop, "releve-ofx1.ofx")
    assert bank_import.import_summary(first) == "4 opérations importées."
    content = sample("releve-ofx1.ofx").replace(b"CE2026112000004", b"CE2026112000009")
    again = import_file(shop, content, name="bis.ofx")
    assert bank_import.import_summary(again) == (
        "1 opération importée. 3 déjà importées auparavant, passées.")


def test_a_zero_ofx_transaction_is_not_kept(shop: Shop) -> None:
    result = import_file(shop, sample("releve-ofx1.ofx").replace(b"<TRNAMT>-6.50",
                                                                 b"<TRNAMT>0.00"))
    assert result.created == 3


CSV_ROWS = st.lists(st.tuples(
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)),
    st.text(alphabet="ABCDEFGHIJ éèà;,\"'", min_size=1, max_size=20).filter(str.strip),
    st.decimals(min_value=Decimal("-99999999.99"), max_value=Decimal("99999999.99"),
                places=2).filter(bool)), min_size=1, max_size=8)


@given(rows=CSV_ROWS, split=st.booleans(), comma=st.booleans(),
       delimiter=st.sampled_from([";", ",", "\t"]))
def test_any_csv_a_layout_describes_reads_back_to_the_same_money(
        rows: list[tuple[dt.date, str, Decimal]], split: bool, comma: bool,
        delimiter: str) -> None:
    layout = BankCsvLayout(name="x", delimiter=delimiter, skip_rows=1, date_column=2,
                           date_format="%d/%m/%Y", label_column=1, decimal_comma=comma,
                           amount_column=None if split else 3,
                           debit_column=3 if split else None,
                           credit_column=4 if split else None)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(["Libellé", "Date", "Débit" if split else "Montant", "Crédit"])

    def written(value: Decimal) -> str:
        return format_money(value).replace("\u202f", " ") if comma else f"{value:,.2f}"

    for day, label, amount in rows:
        cells = [label, day.strftime("%d/%m/%Y")]
        if split:
            cells += ([written(-amount), ""] if amount < 0 else ["", written(amount)])
        else:
            cells += [written(amount), ""]
        writer.writerow(cells)
    parsed = bank_import.read_csv(out.getvalue().encode(), layout)
    assert [(p.booked_on, p.amount) for p in parsed] == [(d, a) for d, _, a in rows]
    assert [p.label for p in parsed] == [" ".join(label.split()) for _, label, _ in rows]
