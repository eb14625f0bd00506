"""The chart templates as data: structure, labels, and the accounts other apps rely on.

Checked against the ANC texts from memory and against Paheko's published charts by reading,
not by import (they are AGPL and not in this repository), so these tests are structural.
"""

from __future__ import annotations

import re

import pytest

from kpa.directory.models import Structure
from kpa.ledger import charts
from kpa.ledger.charts import (
    DATA_DIR,
    TEMPLATE_FILES,
    account_class,
    is_balance_sheet,
    is_income_statement,
    load_chart,
    parent_number,
)

TEMPLATES = ["pcg", "asso"]
CONSTANTS = ["RESULT_PROFIT", "RESULT_LOSS", "CUSTOMERS", "SUPPLIERS", "BANK", "CASH",
             "VAT_COLLECTED", "VAT_DEDUCTIBLE", "RETAINED_EARNINGS_CREDIT",
             "RETAINED_EARNINGS_DEBIT"]


def labels(template: str) -> dict[str, str]:
    return {a.number: a.label for a in load_chart(template)}


def test_the_templates_are_the_structure_choices() -> None:
    assert set(TEMPLATE_FILES) == set(Structure.ChartTemplate.values)


@pytest.mark.parametrize("template", TEMPLATES)
def test_both_charts_load_with_a_few_hundred_accounts(template: str) -> None:
    assert 250 <= len(load_chart(template)) <= 450


@pytest.mark.parametrize("template", TEMPLATES)
def test_files_are_plain_utf8_with_the_expected_header(template: str) -> None:
    raw = (DATA_DIR / TEMPLATE_FILES[template]).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in raw
    assert raw.endswith(b"\n")
    text = raw.decode("utf-8")
    assert text.splitlines()[0] == "number;label"
    assert all(row.count(";") == 1 for row in text.splitlines())


@pytest.mark.parametrize("template", TEMPLATES)
def test_numbers_are_unique_digit_strings_in_chart_order(template: str) -> None:
    numbers = [a.number for a in load_chart(template)]
    assert len(numbers) == len(set(numbers))
    assert all(re.fullmatch(r"[1-8][0-9]{0,5}", n) for n in numbers)
    assert numbers == sorted(numbers)


@pytest.mark.parametrize("template", TEMPLATES)
def test_labels_are_clean_french_text(template: str) -> None:
    for number, label in labels(template).items():
        assert label, number
        assert label == label.strip(), number
        assert not re.search(r"\s\s|[\t\xa0\u202f]", label), number
        assert not re.search(r"\d[.,]\d", label), number  # no float-like junk
        assert "\u2019" not in label, number  # one apostrophe style, the FEC-safe one
        label.encode("iso8859_15")  # FEC CompteLib needs no transliteration


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_account_has_its_parent_chain_down_to_the_class_digit(template: str) -> None:
    numbers = {a.number for a in load_chart(template)}
    for number in numbers:
        for end in range(1, len(number)):
            assert number[:end] in numbers, f"{number} lacks its parent {number[:end]}"


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_class_and_two_digit_account_has_its_line(template: str) -> None:
    chart = labels(template)
    assert chart["1"] == "Comptes de capitaux"
    assert chart["6"] == "Comptes de charges"
    assert chart["7"] == "Comptes de produits"
    for klass in "1234567":
        assert klass in chart
    assert chart["10"] in {"Capital et réserves", "Fonds propres et réserves"}


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("constant", CONSTANTS)
def test_the_accounts_other_apps_rely_on_exist_in_both_charts(template: str,
                                                              constant: str) -> None:
    assert getattr(charts, constant) in labels(template)


def test_the_association_chart_has_its_specific_accounts() -> None:
    chart = labels("asso")
    assert chart["102"] == "Fonds propres sans droit de reprise"
    assert chart["103"] == "Fonds propres avec droit de reprise"
    assert chart["1068"] == "Réserves pour projet de l'entité"
    assert {"19", "191", "194", "195", "196"} <= chart.keys()
    assert chart["4681"] == "Frais des bénévoles"
    assert chart["657"] == "Aides financières"
    assert {"689", "6894", "6895", "6896", "789", "7894", "7895", "7896"} <= chart.keys()
    assert chart["7063"] == "Parrainages"
    assert chart["7073"] == "Ventes de dons en nature"
    assert chart["73"] == "Concours publics"
    assert chart["741"] == "Subventions d'exploitation"
    assert chart["754"] == "Ressources liées à la générosité du public"
    assert chart["75412"] == "Abandons de frais par les bénévoles"
    assert {"7541", "7542", "7543", "755", "756", "7561", "7562"} <= chart.keys()
    assert {"8", "86", "860", "861", "862", "864", "87", "870", "871", "875"} <= chart.keys()


def test_the_association_chart_speaks_of_usagers_and_has_no_company_accounts() -> None:
    chart = labels("asso")
    assert chart["41"] == "Usagers et comptes rattachés"
    assert chart["411"] == "Usagers"
    for company_only in ("101", "104", "109", "455", "691"):
        assert company_only not in chart


def test_the_pcg_has_no_association_equity_or_in_kind_accounts() -> None:
    chart = labels("pcg")
    # The PCG does have a 102, but it holds fiducie funds, not an association's equity.
    assert chart["102"] == "Fonds fiduciaires"
    assert "103" not in chart
    assert not [n for n in chart if n.startswith(("19", "8", "73", "7541", "4681"))]
    assert chart["754"] == "Ristournes perçues des coopératives provenant des excédents"


@pytest.mark.parametrize("template", TEMPLATES)
def test_the_charts_follow_anc_2022_06(template: str) -> None:
    chart = labels(template)
    # Transferts de charges are abolished; class 67/77 keeps only prior-year items and
    # other exceptional items; disposals and subsidy releases moved to operations.
    assert not [n for n in chart if n.startswith("79")]
    assert sorted(n for n in chart if n.startswith("67") and len(n) == 3) == ["672", "678"]
    assert sorted(n for n in chart if n.startswith("77") and len(n) == 3) == ["772", "778"]
    assert {"747", "757", "767"} <= chart.keys()
    assert not {"671", "675", "775", "777"} & chart.keys()
    disposals = "657" if template == "pcg" else "652"
    assert chart[disposals] == (
        "Valeurs comptables des immobilisations incorporelles et corporelles cédées")


def test_load_chart_is_cached_and_refuses_unknown_templates() -> None:
    assert load_chart("pcg") is load_chart("pcg")
    with pytest.raises(ValueError, match="Unknown chart template"):
        load_chart("ifrs")


def test_parent_number_is_the_longest_known_proper_prefix() -> None:
    known = {"4", "41", "411", "4111"}
    assert parent_number("41110042", known) == "4111"
    assert parent_number("4111", known) == "411"
    assert parent_number("4119", known) == "411"
    assert parent_number("4", known) is None
    assert parent_number("512", known) is None


@pytest.mark.parametrize("template", TEMPLATES)
def test_parent_number_builds_the_chart_tree(template: str) -> None:
    numbers = {a.number for a in load_chart(template)}
    for number in numbers:
        expected = None if len(number) == 1 else number[:-1]
        assert parent_number(number, numbers) == expected


def test_account_class_is_the_first_digit_from_1_to_8() -> None:
    assert [account_class(n) for n in ("101", "2183", "37", "411", "512", "606", "706",
                                        "875")] == [1, 2, 3, 4, 5, 6, 7, 8]
    for bad in ("", "9100", "0", "A411", " 411"):
        with pytest.raises(ValueError, match="classes 1 to 8"):
            account_class(bad)


def test_balance_sheet_and_income_statement_accounts_are_told_apart() -> None:
    assert all(is_balance_sheet(n) for n in ("1013", "2183", "31", "44571", "512"))
    assert not any(is_balance_sheet(n) for n in ("606", "706", "864"))
    assert all(is_income_statement(n) for n in ("606", "706"))
    assert not any(is_income_statement(n) for n in ("512", "875"))
