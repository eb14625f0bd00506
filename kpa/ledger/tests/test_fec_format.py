"""The FEC module: golden files, one test per checker rule, and a property-based round trip.

Pure functions, no database. The golden files in fec_samples/ were written by hand (ISO-8859-15,
CRLF) from the scenario in `golden_lines`; `write_fec` must reproduce them byte for byte.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpa.ledger.exchange import BookLine
from kpa.ledger.fec import (
    ENCODING,
    FEC_COLUMNS,
    FecError,
    FecReport,
    check_fec,
    encode_fec,
    fec_filename,
    format_amount,
    read_fec,
    sanitize_line,
    sanitize_text,
    write_fec,
)

SAMPLES = Path(__file__).parent / "fec_samples"
NAME = "732829320FEC20261231.txt"
YEAR_START = dt.date(2026, 1, 1)
YEAR_END = dt.date(2026, 12, 31)
ZERO = Decimal("0.00")
# Typographic characters, escaped so that they cannot be mistaken for their ASCII look-alikes.
RSQUO, LSQUO, EN_DASH, NNBSP = "\u2019", "\u2018", "\u2013", "\u202f"

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def book_line(
    journal: tuple[str, str],
    number: str,
    posted: dt.date,
    account: tuple[str, str],
    piece: tuple[str, dt.date],
    label: str,
    *,
    debit: str = "0.00",
    credit: str = "0.00",
    aux: tuple[str, str] = ("", ""),
    letter: tuple[str, dt.date | None] = ("", None),
    validated: dt.date,
) -> BookLine:
    return BookLine(
        journal_code=journal[0],
        journal_label=journal[1],
        entry_number=number,
        entry_date=posted,
        account_number=account[0],
        account_label=account[1],
        aux_number=aux[0],
        aux_label=aux[1],
        piece_ref=piece[0],
        piece_date=piece[1],
        label=label,
        debit=Decimal(debit),
        credit=Decimal(credit),
        lettering_code=letter[0],
        lettered_on=letter[1],
        validated_on=validated,
    )


def golden_lines() -> list[BookLine]:
    """Opening entries, a sale with VAT, a purchase with VAT, the customer's bank payment
    lettered with the sale. The purchase's labels carry RSQUO, an em dash and narrow spaces in
    « », which the writer maps into ISO-8859-15."""
    an, vt, ac, bq = ("AN", "À nouveaux"), ("VT", "Ventes"), ("AC", "Achats"), ("BQ", "Banque")
    jan1, mar15, mar20, apr10 = (
        dt.date(2026, 1, 1), dt.date(2026, 3, 15), dt.date(2026, 3, 20), dt.date(2026, 4, 10)
    )
    opening = ("AN-2026", jan1), "Reprise des soldes 2025"
    sale = ("F2026-0012", mar15), "Atelier jardins F2026-0012"
    purchase = (
        ("FA-88", dt.date(2026, 3, 18)),
        f"Papeterie l{RSQUO}Étoile — ramettes «{NNBSP}recyclées{NNBSP}»",
    )
    payment = ("RLV-2026-04", apr10), "Virement Mairie de Lyon F2026-0012"
    mairie, etoile = ("C0042", "Mairie de Lyon"), ("F0007", f"Papeterie l{RSQUO}Étoile")
    letter_a = ("A", apr10)
    v_an, v_vt, v_ac, v_bq = (
        dt.date(2026, 1, 5), dt.date(2026, 3, 16), dt.date(2026, 3, 21), dt.date(2026, 4, 11)
    )
    return [
        book_line(an, "AN000001", jan1, ("512000", "Banque"), *opening, debit="5000.00",
                  validated=v_an),
        book_line(an, "AN000001", jan1, ("101300", "Capital souscrit appelé versé"), *opening,
                  credit="3000.00", validated=v_an),
        book_line(an, "AN000001", jan1, ("120000", "Résultat de l'exercice (bénéfice)"),
                  *opening, credit="2000.00", validated=v_an),
        book_line(vt, "VT000001", mar15, ("411000", "Clients"), *sale, debit="1440.00",
                  aux=mairie, letter=letter_a, validated=v_vt),
        book_line(vt, "VT000001", mar15, ("706000", "Prestations de services"), *sale,
                  credit="1200.00", validated=v_vt),
        book_line(vt, "VT000001", mar15, ("445710", "TVA collectée"), *sale, credit="240.00",
                  validated=v_vt),
        book_line(ac, "AC000001", mar20, ("606400", "Fournitures administratives"), *purchase,
                  debit="100.00", validated=v_ac),
        book_line(ac, "AC000001", mar20, ("445660", "TVA déductible sur autres biens et services"),
                  *purchase, debit="20.00", validated=v_ac),
        book_line(ac, "AC000001", mar20, ("401000", "Fournisseurs"), *purchase, credit="120.00",
                  aux=etoile, validated=v_ac),
        book_line(bq, "BQ000001", apr10, ("512000", "Banque"), *payment, debit="1440.00",
                  validated=v_bq),
        book_line(bq, "BQ000001", apr10, ("411000", "Clients"), *payment, credit="1440.00",
                  aux=mairie, letter=letter_a, validated=v_bq),
    ]


def written(lines: list[BookLine], separator: str = "|") -> bytes:
    """`write_fec` as a caller uses it: a text stream in ISO-8859-15 with newline=""."""
    buffer = io.BytesIO()
    stream = io.TextIOWrapper(buffer, encoding=ENCODING, newline="")
    write_fec(lines, stream, separator=separator)
    stream.flush()
    stream.detach()
    return buffer.getvalue()


def as_read(line: BookLine) -> BookLine:
    """What `read_fec` gives back for a written line: sanitised, without treasury."""
    return replace(sanitize_line(line), treasury_code="", treasury_label="")


BASE_ROW = {
    "JournalCode": "VT",
    "JournalLib": "Ventes",
    "EcritureNum": "VT000001",
    "EcritureDate": "20260315",
    "CompteNum": "411000",
    "CompteLib": "Clients",
    "CompAuxNum": "",
    "CompAuxLib": "",
    "PieceRef": "F1",
    "PieceDate": "20260315",
    "EcritureLib": "Vente",
    "Debit": "100,00",
    "Credit": "0,00",
    "EcritureLet": "",
    "DateLet": "",
    "ValidDate": "20260316",
    "Montantdevise": "",
    "Idevise": "",
}
HEADER = "|".join(FEC_COLUMNS)


def row(**changes: str) -> str:
    """One pipe-separated record: a valid 411 debit line, with `changes`."""
    values = {**BASE_ROW, **changes}
    return "|".join(values[name] for name in FEC_COLUMNS)


def sale(
    number: str = "VT000001", debit: str = "100,00", credit: str = "100,00", **changes: str
) -> list[str]:
    """A two-line sale: 411 debit, 706 credit."""
    return [
        row(EcritureNum=number, Debit=debit, Credit="0,00", **changes),
        row(EcritureNum=number, CompteNum="706000", CompteLib="Prestations", Debit="0,00",
            Credit=credit, **changes),
    ]


def in_journal(record: str, code: str, label: str) -> str:
    assert record.startswith("VT|Ventes|")
    return f"{code}|{label}|{record.removeprefix('VT|Ventes|')}"


def fec_bytes(*records: str, header: str = HEADER) -> bytes:
    return "".join(f"{r}\r\n" for r in (header, *records)).encode(ENCODING)


def check(data: bytes, filename: str = NAME) -> FecReport:
    return check_fec(data, filename, fiscal_year_start=YEAR_START, fiscal_year_end=YEAR_END)


def found(report: FecReport, rule: str) -> list[tuple[int | None, str]]:
    return [(p.line, p.severity) for p in report.problems if p.rule == rule]


def message(report: FecReport, rule: str) -> str:
    return next(p.message for p in report.problems if p.rule == rule)


def refusal(data: bytes) -> set[tuple[int | None, str]]:
    with pytest.raises(FecError) as caught:
        read_fec(data, NAME)
    return {(p.line, p.rule) for p in caught.value.problems if p.severity == "erreur"}


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def test_the_header_is_the_eighteen_columns_of_the_arrete_in_order() -> None:
    assert FEC_COLUMNS == (
        "JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib",
        "CompAuxNum", "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit",
        "EcritureLet", "DateLet", "ValidDate", "Montantdevise", "Idevise",
    )


def test_the_file_name_is_siren_fec_and_the_closing_date() -> None:
    assert fec_filename("732829320", dt.date(2026, 12, 31)) == "732829320FEC20261231.txt"


def test_writing_the_golden_scenario_with_pipes_gives_the_hand_written_file_byte_for_byte() -> None:
    assert written(golden_lines(), "|") == (SAMPLES / "golden_pipe.txt").read_bytes()


def test_writing_the_golden_scenario_with_tabs_gives_the_hand_written_file_byte_for_byte() -> None:
    assert written(golden_lines(), "\t") == (SAMPLES / "golden_tab.txt").read_bytes()


def test_writing_to_a_file_opened_as_documented_gives_the_golden_file(tmp_path: Path) -> None:
    target = tmp_path / NAME
    with target.open("w", encoding=ENCODING, newline="") as out:
        count = write_fec(iter(golden_lines()), out)
    assert count == 11  # ledger lines; the header is not counted
    assert target.read_bytes() == (SAMPLES / "golden_tab.txt").read_bytes()


def test_encoding_for_streaming_gives_the_same_bytes_in_chunks() -> None:
    chunks = list(encode_fec(golden_lines(), separator="|", chunk_size=200))
    assert len(chunks) > 1
    assert b"".join(chunks) == (SAMPLES / "golden_pipe.txt").read_bytes()


def test_a_separator_other_than_tab_or_pipe_is_refused_before_anything_is_written() -> None:
    out = io.StringIO()
    with pytest.raises(ValueError, match="separator"):
        write_fec(golden_lines(), out, separator=";")
    with pytest.raises(ValueError, match="separator"):
        encode_fec(golden_lines(), separator=",")
    assert out.getvalue() == ""


def test_amounts_have_a_decimal_comma_no_thousands_separator_and_both_sides_written() -> None:
    line = replace(golden_lines()[3], debit=Decimal("1234567.89"))
    fields = written([line]).decode(ENCODING).split("\r\n")[1].split("|")
    record = dict(zip(FEC_COLUMNS, fields, strict=True))
    assert (record["Debit"], record["Credit"]) == ("1234567,89", "0,00")
    assert record["EcritureDate"] == "20260315"
    assert (record["EcritureLet"], record["DateLet"]) == ("A", "20260410")
    assert (record["Montantdevise"], record["Idevise"]) == ("", "")
    assert format_amount(Decimal("-12.5")) == "-12,50"
    assert format_amount(Decimal("-0.00")) == "0,00"


def test_a_fraction_of_a_cent_is_refused_rather_than_rounded() -> None:
    with pytest.raises(ValueError, match="cents"):
        format_amount(Decimal("10.005"))


def test_date_let_is_blank_when_the_line_is_not_lettered() -> None:
    line = replace(golden_lines()[4], lettering_code="", lettered_on=dt.date(2026, 4, 10))
    fields = written([line]).decode(ENCODING).split("\r\n")[1].split("|")
    assert fields[FEC_COLUMNS.index("DateLet")] == ""


def test_the_third_party_label_is_blank_exactly_when_its_number_is() -> None:
    no_number = replace(golden_lines()[4], aux_number="", aux_label="Mairie de Lyon")
    no_label = replace(golden_lines()[3], aux_label="")
    assert (sanitize_line(no_number).aux_number, sanitize_line(no_number).aux_label) == ("", "")
    assert sanitize_line(no_label).aux_label == "C0042"  # an unnamed third party: its code


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\tb|c\r\nd\ne", "a b c  d e"),
        (f"l{RSQUO}Étoile {LSQUO}x{RSQUO}", "l'Étoile 'x'"),
        ("“bio”", '"bio"'),
        ("etc…", "etc..."),
        ("«\u00a0oui\u202f»", "« oui »"),
        ("10\u202f000 €, œuvre, Œ, Ÿ, Š", "10 000 €, œuvre, Œ, Ÿ, Š"),
        ("Łódź, Őrség", "?ódz, Orség"),
        ("café\u0301", "café"),  # a stray combining accent disappears
        ("e\u0301té", "été"),  # decomposed accents are composed
        ("½ ﬁn™", "1/2 finTM"),
        ("北京 😀", "?? ?"),
        ("zéro\u200blargeur", "zérolargeur"),
        ("  bords  ", "bords"),
    ],
)
def test_free_text_is_mapped_into_iso_8859_15_without_separators(text: str, expected: str) -> None:
    assert sanitize_text(text) == expected


@given(st.text())
def test_sanitised_text_always_encodes_never_holds_a_separator_and_is_stable(text: str) -> None:
    clean = sanitize_text(text)
    clean.encode(ENCODING)
    assert not set(clean) & {"\t", "|", "\r", "\n"}
    assert sanitize_text(clean) == clean


# ---------------------------------------------------------------------------------------------
# Checking our own files
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sample", ["golden_pipe.txt", "golden_tab.txt"])
def test_the_checker_finds_no_problem_in_the_golden_files_and_reports_totals(sample: str) -> None:
    report = check((SAMPLES / sample).read_bytes())
    assert report.problems == []
    assert report.ok
    assert (report.total_debit, report.total_credit) == (Decimal("8000.00"), Decimal("8000.00"))
    assert (report.entry_count, report.line_count) == (4, 11)
    assert report.encoding == ENCODING


def test_a_minimal_valid_file_has_no_problem() -> None:
    assert check(fec_bytes(*sale())).problems == []


def test_an_independent_csv_reading_of_the_golden_file_finds_the_same_balances() -> None:
    data = (SAMPLES / "golden_pipe.txt").read_bytes()
    assert csv_balances(data, "|") == book_balances(golden_lines())


# ---------------------------------------------------------------------------------------------
# One test per checker rule (DGFiP 1-11, then the auditors' rules)
# ---------------------------------------------------------------------------------------------


def test_rule_1_a_name_other_than_siren_fec_closing_date_is_an_error() -> None:
    report = check(fec_bytes(*sale()), "export-2026.txt")
    assert found(report, "nom_fichier") == [(None, "erreur")]
    assert "SIRENFECAAAAMMJJ" in message(report, "nom_fichier")
    assert check(fec_bytes(*sale()), f"exports/{NAME}").problems == []


def test_rule_1_a_bad_siren_key_or_another_closing_date_is_an_alert() -> None:
    assert found(check(fec_bytes(*sale()), "732829321FEC20261231.txt"), "nom_fichier") == [
        (None, "alerte")
    ]
    assert found(check(fec_bytes(*sale()), "732829320FEC20251231.txt"), "nom_fichier") == [
        (None, "alerte")
    ]
    assert found(check(fec_bytes(*sale()), "732829320FEC20261331.txt"), "nom_fichier") == [
        (None, "erreur")
    ]


def test_rule_2_a_comma_separated_file_is_refused() -> None:
    data = "\r\n".join([",".join(FEC_COLUMNS), *(r.replace("|", ",") for r in sale())]).encode()
    report = check(data)
    assert found(report, "separateur") == [(1, "erreur")]
    assert not report.ok


def test_rule_3_a_missing_column_is_an_error_on_line_1() -> None:
    header = HEADER.replace("|PieceRef", "")
    records = [r.replace("|F1|", "|") for r in sale()]
    report = check(fec_bytes(*records, header=header))
    assert found(report, "entete") == [(1, "erreur")]
    assert "PieceRef" in message(report, "entete")


def test_rule_3_an_extra_column_is_reported_but_accepted() -> None:
    records = [f"{r}|prestation" for r in sale()]
    report = check(fec_bytes(*records, header=f"{HEADER}|NatOp"))
    assert found(report, "colonne_supplementaire") == [(1, "alerte")]
    assert report.ok


def test_rule_3_header_names_match_without_case_or_accents_with_an_alert() -> None:
    header = HEADER.replace("PieceRef", "PIÈCEREF")
    report = check(fec_bytes(*sale(), header=header))
    assert found(report, "entete") == [(1, "alerte")]
    assert report.ok


def test_rule_3_columns_out_of_order_are_reported() -> None:
    columns = list(FEC_COLUMNS)
    columns[0], columns[1] = columns[1], columns[0]
    records = ["|".join({**BASE_ROW, **values}[c] for c in columns) for values in (
        {}, {"CompteNum": "706000", "Debit": "0,00", "Credit": "100,00"}
    )]
    report = check(fec_bytes(*records, header="|".join(columns)))
    assert found(report, "ordre_colonnes") == [(1, "alerte")]
    assert report.ok


def test_rule_4_an_empty_file_is_an_error() -> None:
    assert found(check(b""), "fichier_vide") == [(None, "erreur")]
    assert found(check(b"\r\n\r\n"), "fichier_vide") == [(None, "erreur")]


def test_rule_4_a_file_with_only_a_header_is_an_error() -> None:
    assert found(check(fec_bytes()), "entete_seule") == [(1, "erreur")]


def test_rule_4_a_line_with_another_number_of_fields_is_an_error_on_that_line() -> None:
    first, second = sale()
    report = check(fec_bytes(first, second.replace("|Vente|", "|Vente | acompte|")))
    assert found(report, "nombre_champs") == [(3, "erreur")]
    assert "19 champs au lieu des 18" in message(report, "nombre_champs")


def test_rule_4_an_empty_line_is_an_error_on_that_line() -> None:
    first, second = sale()
    assert found(check(fec_bytes(first, "", second)), "ligne_vide") == [(3, "erreur")]


def test_rule_5_an_empty_mandatory_field_is_an_error_and_a_blank_label_an_alert() -> None:
    first, second = sale()
    report = check(fec_bytes(first, second.replace("|706000|", "||")))
    assert found(report, "champ_obligatoire") == [(3, "erreur")]
    assert "CompteNum" in message(report, "champ_obligatoire")
    report = check(fec_bytes(first, second.replace("|Ventes|", "||")))
    assert found(report, "champ_vide") == [(3, "alerte")]


def test_rule_6_an_account_not_starting_with_three_digits_is_an_alert() -> None:
    first, second = sale()
    report = check(fec_bytes(first.replace("|411000|", "|CL411|"), second))
    assert found(report, "compte_num") == [(2, "alerte")]


def test_rule_7_a_decimal_point_is_an_error() -> None:
    report = check(fec_bytes(*sale(debit="100.00")))
    assert found(report, "montant_point") == [(2, "erreur")]
    assert message(report, "montant_point") == (
        "Ligne 2 : le montant Debit « 100.00 » utilise un point ; le FEC demande une virgule "
        "décimale (par exemple 100,00)."
    )


@pytest.mark.parametrize("amount", ["1 200,00", "1.200,00", "1\u00a0200,00", "1,200.00"])
def test_rule_7_a_thousands_separator_is_an_error(amount: str) -> None:
    report = check(fec_bytes(*sale(debit=amount, credit="1200,00")))
    assert found(report, "montant_milliers") == [(2, "erreur")]


def test_rule_7_a_non_numeric_amount_is_an_error() -> None:
    report = check(fec_bytes(*sale(credit="cent")))
    assert found(report, "montant_non_numerique") == [(3, "erreur")]


@pytest.mark.parametrize("value", ["20260231", "20261301", "2026-03-15", "15032026"])
def test_rule_8_an_invalid_date_is_an_error(value: str) -> None:
    first, second = sale()
    report = check(fec_bytes(first, second.replace("|F1|20260315|", f"|F1|{value}|")))
    assert found(report, "date") == [(3, "erreur")]


def test_rule_8_a_year_outside_1900_2099_is_an_alert() -> None:
    first, second = sale()
    report = check(fec_bytes(first.replace("|F1|20260315|", "|F1|18991231|"), second))
    assert found(report, "date_annee") == [(2, "alerte")]


def test_rule_9_a_line_with_both_debit_and_credit_or_neither_is_an_alert() -> None:
    both = row(Debit="100,00", Credit="20,00")
    rest = row(CompteNum="706000", Debit="0,00", Credit="80,00")
    neither = row(CompteNum="706000", Debit="0,00", Credit="0,00")
    report = check(fec_bytes(both, rest, neither))
    assert found(report, "debit_credit") == [(2, "alerte"), (4, "alerte")]
    assert found(report, "ecriture_desequilibree") == []


def test_rule_10_a_sens_other_than_d_c_plus_1_minus_1_is_an_error() -> None:
    header = HEADER.replace("Debit|Credit", "Montant|Sens")

    def sens_row(account: str, sens: str) -> str:
        return row(CompteNum=account, Debit="100,00", Credit=sens)  # Debit/Credit slots hold them

    good = check(fec_bytes(sens_row("411000", "D"), sens_row("706000", "-1"), header=header))
    assert good.problems == []
    assert (good.total_debit, good.total_credit) == (Decimal("100.00"), Decimal("100.00"))
    report = check(fec_bytes(sens_row("411000", "+1"), sens_row("706000", "X"), header=header))
    assert found(report, "sens") == [(3, "erreur")]


def test_rule_11_totals_are_reported_and_a_global_imbalance_is_an_alert() -> None:
    report = check(fec_bytes(*sale(debit="150,00", credit="100,00")))
    assert (report.total_debit, report.total_credit) == (Decimal("150.00"), Decimal("100.00"))
    assert found(report, "equilibre_global") == [(None, "alerte")]


def test_an_unbalanced_entry_is_an_error_on_its_first_line() -> None:
    records = [*sale("VT000001"), *sale("VT000002", debit="120,00")]
    report = check(fec_bytes(*records))
    assert found(report, "ecriture_desequilibree") == [(4, "erreur")]
    assert message(report, "ecriture_desequilibree").startswith(
        "Ligne 4 : l'écriture VT000002 n'est pas équilibrée (débit 120,00, crédit 100,00) ;"
    )


def test_an_entry_with_two_dates_is_an_error_on_the_line_that_differs() -> None:
    first, second = sale()
    report = check(fec_bytes(first, second.replace("|VT000001|20260315|", "|VT000001|20260316|")))
    assert found(report, "ecriture_dates") == [(3, "erreur")]


def test_an_entry_dated_outside_the_fiscal_year_is_an_error_once() -> None:
    records = sale(EcritureDate="20270105", PieceDate="20270105", ValidDate="20270106")
    report = check(fec_bytes(*records))
    assert found(report, "hors_exercice") == [(2, "erreur")]
    no_year = check_fec(fec_bytes(*records), NAME)
    assert found(no_year, "hors_exercice") == []


def test_lettering_code_and_lettering_date_go_together() -> None:
    report = check(fec_bytes(row(EcritureLet="A"), row(
        CompteNum="706000", Debit="0,00", Credit="100,00", DateLet="20260401")))
    assert found(report, "lettrage") == [(2, "alerte"), (3, "alerte")]
    assert "DateLet" in message(report, "lettrage")


def test_a_third_party_number_needs_its_label() -> None:
    first, second = sale()
    report = check(fec_bytes(first.replace("|Clients|||", "|Clients|C0042||"), second))
    assert found(report, "compte_auxiliaire") == [(2, "alerte")]


def test_a_currency_amount_needs_its_currency() -> None:
    first, second = sale()
    report = check(fec_bytes(first.replace("|20260316||", "|20260316|110,00|"), second))
    assert found(report, "devise") == [(2, "alerte")]


def test_a_validation_date_before_the_entry_date_is_reported() -> None:
    first, second = sale()
    report = check(fec_bytes(first, second.replace("|20260316|", "|20260314|")))
    assert found(report, "date_validation") == [(3, "alerte")]


def test_opening_entries_after_other_entries_are_an_error() -> None:
    opening = [
        row(JournalCode="AN", JournalLib="A nouveaux", EcritureNum="AN000001",
            EcritureDate="20260101", CompteNum="512000", ValidDate="20260101"),
        row(JournalCode="AN", JournalLib="A nouveaux", EcritureNum="AN000001",
            EcritureDate="20260101", CompteNum="101300", Debit="0,00", Credit="100,00",
            ValidDate="20260101"),
    ]
    assert check(fec_bytes(*opening, *sale())).problems == []
    report = check(fec_bytes(*sale(), *opening))
    assert found(report, "a_nouveaux") == [(4, "erreur")]


def test_an_opening_journal_is_also_recognised_by_its_label_without_case_or_accents() -> None:
    opening = [in_journal(r, "OUV", "REPORTS À-NOUVEAUX") for r in sale("OUV000001")]
    report = check(fec_bytes(*sale(), *opening))
    assert found(report, "a_nouveaux") == [(4, "erreur")]


def test_a_closing_entry_moving_classes_6_and_7_into_account_12_is_an_error() -> None:
    closing = [
        row(JournalCode="OD", EcritureNum="OD000001", CompteNum="706000", CompteLib="Prestations"),
        row(JournalCode="OD", EcritureNum="OD000001", CompteNum="120000", CompteLib="Résultat",
            Debit="0,00", Credit="100,00"),
    ]
    report = check(fec_bytes(*sale(), *closing))
    assert found(report, "cloture") == [(4, "erreur")]


def test_a_gap_or_an_inversion_in_a_journal_numbering_is_reported() -> None:
    gap = check(fec_bytes(*sale("VT000001"), *sale("VT000003")))
    assert found(gap, "numerotation") == [(4, "alerte")]
    assert "numéro attendu : 2" in message(gap, "numerotation")
    inversion = check(fec_bytes(*sale("VT000002"), *sale("VT000001")))
    assert found(inversion, "numerotation") == [(4, "alerte")]


def test_a_single_sequence_over_all_journals_is_accepted() -> None:
    purchase = [in_journal(r, "AC", "Achats") for r in sale("AC000002")]
    report = check(fec_bytes(*sale("VT000001"), *purchase, *sale("VT000003")))
    assert report.problems == []


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


def test_reading_the_golden_file_gives_back_its_lines_in_order() -> None:
    expected = [as_read(line) for line in golden_lines()]
    assert read_fec((SAMPLES / "golden_pipe.txt").read_bytes(), NAME) == expected
    assert read_fec((SAMPLES / "golden_tab.txt").read_bytes()) == expected


def test_reading_refuses_a_wrong_column_name_on_line_1() -> None:
    data = fec_bytes(*sale(), header=HEADER.replace("EcritureLib", "Libelle"))
    assert (1, "entete") in refusal(data)


def test_reading_refuses_a_decimal_point_with_its_line_number() -> None:
    assert refusal(fec_bytes(*sale(credit="100.00"))) == {(3, "montant_point")}


def test_reading_refuses_an_unbalanced_entry_with_its_line_number() -> None:
    records = [*sale("VT000001"), *sale("VT000002", debit="120,00")]
    assert refusal(fec_bytes(*records)) == {(4, "ecriture_desequilibree")}


def test_reading_reports_every_problem_at_once() -> None:
    records = [
        *sale("VT000001", credit="100.00"),
        *sale("VT000002", debit="120,00", PieceDate="20263112"),
    ]
    with pytest.raises(FecError) as caught:
        read_fec(fec_bytes(*records), "export.csv")
    problems = caught.value.problems
    assert {(p.line, p.rule) for p in problems if p.severity == "erreur"} == {
        (None, "nom_fichier"),
        (3, "montant_point"),
        (4, "ecriture_desequilibree"),
        (4, "date"),
        (5, "date"),
    }
    assert [p.line or 0 for p in problems] == sorted(p.line or 0 for p in problems)
    assert "Ligne 3 : le montant Credit « 100.00 »" in str(caught.value)


def test_reading_refuses_what_a_book_line_cannot_hold() -> None:
    both = row(Debit="100,00", Credit="20,00")
    rest = row(CompteNum="706000", Debit="0,00", Credit="80,00")
    assert refusal(fec_bytes(both, rest)) == {(2, "debit_credit")}
    negative = sale(debit="-100,00", credit="-100,00")
    assert refusal(fec_bytes(*negative)) == {(2, "import"), (3, "import")}
    assert refusal(fec_bytes(*sale(debit="100,001", credit="100,001"))) == {
        (2, "import"), (3, "import")
    }
    no_label = [r.replace("|Vente|", "||") for r in sale()]
    assert refusal(fec_bytes(*no_label)) == {(2, "champ_vide"), (3, "champ_vide")}


def test_reading_accepts_the_montant_and_sens_variant() -> None:
    header = HEADER.replace("Debit|Credit", "Montant|Sens")
    records = [row(Debit="100,00", Credit="D"), row(CompteNum="706000", Debit="100", Credit="C")]
    lines = read_fec(fec_bytes(*records, header=header))
    assert [(line.debit, line.credit) for line in lines] == [
        (Decimal("100.00"), ZERO), (ZERO, Decimal("100.00"))
    ]


def test_euro_and_oe_survive_the_iso_8859_15_round_trip() -> None:
    line = replace(golden_lines()[4], label=f"Cotisation 10 € {EN_DASH} œuvres Œ")
    other = replace(golden_lines()[3], debit=Decimal("1200.00"))
    data = written([other, line])
    assert "€".encode(ENCODING) == b"\xa4"
    assert b"\xa4" in data
    assert b"\xbd" in data  # œ
    assert read_fec(data)[1].label == "Cotisation 10 € - œuvres Œ"


def test_a_utf8_file_with_a_bom_is_read() -> None:
    records = [r.replace("|Vente|", f"|Été d{RSQUO}atelier|") for r in sale()]
    text = "".join(f"{r}\r\n" for r in (HEADER, *records))
    data = b"\xef\xbb\xbf" + text.encode("utf-8")
    assert [line.label for line in read_fec(data, NAME)] == [f"Été d{RSQUO}atelier"] * 2
    report = check(data)
    assert report.encoding == "utf-8"
    assert found(report, "encodage") == [(None, "alerte")]
    assert report.ok


def test_lf_only_and_cr_only_files_are_read_with_the_same_line_numbers() -> None:
    records = [*sale("VT000001"), *sale("VT000002", debit="120,00")]
    for newline in ("\n", "\r"):
        data = newline.join([HEADER, *records]).encode(ENCODING)
        assert found(check(data), "ecriture_desequilibree") == [(4, "erreur")]


# ---------------------------------------------------------------------------------------------
# Random balanced books: round trip, checker, independent re-read
# ---------------------------------------------------------------------------------------------

MAX_CENTS = 10**11  # 10^9 euros
JOURNALS = [("VT", "Ventes"), ("AC", "Achats"), ("BQ", "Banque"), ("OD", "Opérations diverses")]
OPENING = ("AN", "À nouveaux")
ACCOUNTS = ["411000", "401000", "512000", "706000", "606400", "445710", "445660", "467100"]
TRICKY = f"abcdeéèàçôœŒ€{RSQUO}{LSQUO}«»“”…|\t\r\n\u00a0{NNBSP}-'0123 ł😀中"
texts = st.one_of(st.text(alphabet=TRICKY, max_size=25), st.text(max_size=8)).map(
    lambda text: "L" + text  # never empty once sanitised
)
year_dates = st.dates(min_value=YEAR_START, max_value=YEAR_END)
# Built once: building strategies inside the composites dominated the run time.
auxes = st.one_of(st.just(("", "")), st.tuples(st.just("C0042"), texts))
letters = st.one_of(st.just(("", None)), st.tuples(st.sampled_from("ABZ"), year_dates))
accounts = st.sampled_from(ACCOUNTS)


def cents(value: int) -> Decimal:
    return Decimal(value).scaleb(-2)


@st.composite
def entry_amounts(draw: st.DrawFn) -> list[tuple[Decimal, Decimal]]:
    """2 to 6 (debit, credit) pairs that balance, each amount from 0.01 to 10^9."""
    size = draw(st.integers(2, 6))
    first_count = draw(st.integers(1, size - 1))
    first = draw(st.lists(st.integers(1, MAX_CENTS // 5), min_size=first_count,
                          max_size=first_count))
    total = sum(first)
    second_count = min(size - first_count, total)
    cuts = sorted(draw(st.sets(st.integers(1, total - 1), min_size=second_count - 1,
                               max_size=second_count - 1))) if second_count > 1 else []
    second = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
    pairs = [(cents(c), ZERO) for c in first] + [(ZERO, cents(c)) for c in second]
    if draw(st.booleans()):
        pairs = [(credit, debit) for debit, credit in pairs]
    return list(draw(st.permutations(pairs)))


@st.composite
def entries(draw: st.DrawFn, journal: tuple[str, str], number: int) -> list[BookLine]:
    posted = YEAR_START if journal == OPENING else draw(year_dates)
    validated = posted + dt.timedelta(days=draw(st.integers(0, 40)))
    piece = ("P" + draw(texts), draw(st.dates(min_value=dt.date(2025, 1, 1), max_value=posted)))
    labels = st.one_of(st.just(draw(texts)), texts)  # mostly one label per entry
    lines = []
    for debit, credit in draw(entry_amounts()):
        lines.append(book_line(
            journal, f"{journal[0]}{number:06d}", posted, (draw(accounts), draw(texts)), piece,
            draw(labels), debit=str(debit), credit=str(credit), aux=draw(auxes),
            letter=draw(letters), validated=validated,
        ))
    if draw(st.booleans()):
        lines[0] = replace(lines[0], treasury_code="T-0012", treasury_label="Atelier")
    return lines


@st.composite
def books(draw: st.DrawFn) -> list[BookLine]:
    """Several journals numbered continuously, à-nouveaux first when there are some."""
    journals = draw(st.lists(st.sampled_from(JOURNALS), min_size=1, max_size=4, unique=True))
    order = draw(st.lists(st.sampled_from(journals), min_size=1, max_size=6))
    order = [OPENING] * draw(st.integers(0, 2)) + order
    counters: dict[str, int] = defaultdict(int)
    lines: list[BookLine] = []
    for journal in order:
        counters[journal[0]] += 1
        lines += draw(entries(journal, counters[journal[0]]))
    return lines


def csv_balances(data: bytes, separator: str) -> tuple[dict, Decimal, Decimal]:
    """Balances per entry and in total, re-read with the csv module (not our parser)."""
    text = data.decode(ENCODING)
    # QUOTE_NONE: the FEC has no quoting, and a label may start with '"'.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator,
                        quoting=csv.QUOTE_NONE)
    header, *records = list(reader)
    column = {name: index for index, name in enumerate(header)}
    per_entry: dict = defaultdict(lambda: [ZERO, ZERO])
    for record in records:
        key = (record[column["JournalCode"]], record[column["EcritureNum"]])
        per_entry[key][0] += Decimal(record[column["Debit"]].replace(",", "."))
        per_entry[key][1] += Decimal(record[column["Credit"]].replace(",", "."))
    totals = [sum((v[side] for v in per_entry.values()), ZERO) for side in (0, 1)]
    return {k: tuple(v) for k, v in per_entry.items()}, totals[0], totals[1]


def book_balances(lines: list[BookLine]) -> tuple[dict, Decimal, Decimal]:
    per_entry: dict = defaultdict(lambda: [ZERO, ZERO])
    for line in lines:
        per_entry[line.entry_key][0] += line.debit
        per_entry[line.entry_key][1] += line.credit
    return (
        {k: tuple(v) for k, v in per_entry.items()},
        sum((line.debit for line in lines), ZERO),
        sum((line.credit for line in lines), ZERO),
    )


@pytest.mark.parametrize("separator", ["|", "\t"])
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=books())
def test_reading_back_a_written_random_book_gives_its_sanitised_lines(
    separator: str, lines: list[BookLine]
) -> None:
    data = written(lines, separator)
    assert read_fec(data, NAME) == [as_read(line) for line in lines]
    report = check(data)
    assert report.problems == []
    assert report.line_count == len(lines)


@pytest.mark.parametrize("separator", ["|", "\t"])
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=books())
def test_an_independent_csv_reading_of_a_random_book_finds_its_balances(
    separator: str, lines: list[BookLine]
) -> None:
    per_entry, total_debit, total_credit = csv_balances(written(lines, separator), separator)
    assert (per_entry, total_debit, total_credit) == book_balances(lines)
    assert all(debit == credit for debit, credit in per_entry.values())
    assert total_debit == total_credit
