"""The chart templates a structure's books start from, read from `data/*.csv`.

- `pcg.csv`: the Plan comptable général (ANC 2014-03 as modernised by ANC 2022-06, years opened
  from 1 January 2025), for the CAE (SCOP/SCIC): classes 1 to 7, every 2- and 3-digit account
  and the 4/5-digit accounts a small cooperative posts to.
- `pca.csv`: the same backbone for the host association with the ANC 2018-06 specifics (fonds
  propres avec/sans droit de reprise, fonds reportés et dédiés, usagers, générosité du public,
  cotisations, contributions volontaires en nature) and without the company-only accounts
  (capital, associés, participation des salariés).

Choices an accountant should check:

- Exceptional items (ANC 2022-06). Classes 67/77 still exist but only for "événements majeurs
  et inhabituels": disposals moved to 657/757 (intangible and tangible assets) and 6671/7671
  (financial assets), bad debts to 654, penalties to 658, insurance indemnities to 7587, the
  release of investment subsidies from 777 to 747. Only 672/772 (exercices antérieurs) and
  678/778 remain. The transferts de charges (79x) are gone, so neither chart has class 79.
- Associations apply the PCG wherever ANC 2018-06 is silent, so the PCA follows the 2022-06
  backbone too. Its 657 is "Aides financières" (ANC 2018-06), so the book value of disposed
  assets goes to 652 in the PCA, as Paheko's 2025 association chart does.
- Subsidies in the PCA: 74 stays "Subventions d'exploitation" (741) as in the PCG, and 73 is
  "Concours publics": ANC 2018-06 art. 142-9 (as amended by ANC 2022-02) defines them as
  contributions granted under a law or regulation, unlike a discretionary subsidy, and books
  them in 73. The compte de résultat adds both on one line, "Concours publics et subventions
  d'exploitation" (see `statements`).
- 530 (caisse), 580 (virements internes) and 730 (concours publics) are 3-digit subdivisions
  of 53, 58 and 73 that the official lists leave implicit; the FEC wants three digits.
- Labels stay within ISO-8859-15 (plain hyphens and "...") so that the FEC's CompteLib can be
  written without transliteration.
"""

from __future__ import annotations

import csv
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
# Keys are the values of Structure.ChartTemplate (kpa/directory/models.py).
TEMPLATE_FILES = {"pcg": "pcg.csv", "asso": "pca.csv"}

RESULT_PROFIT = "120"
RESULT_LOSS = "129"
RETAINED_EARNINGS_CREDIT = "110"
RETAINED_EARNINGS_DEBIT = "119"
CUSTOMERS = "411"
SUPPLIERS = "401"
BANK = "512"
CASH = "530"
VAT_COLLECTED = "44571"
VAT_DEDUCTIBLE = "44566"

BALANCE_SHEET_CLASSES = frozenset({1, 2, 3, 4, 5})
INCOME_STATEMENT_CLASSES = frozenset({6, 7})


@dataclass(frozen=True)
class ChartAccount:
    number: str
    label: str


@cache
def load_chart(template: str) -> tuple[ChartAccount, ...]:
    """The accounts of a template, in chart order (the order of the file)."""
    try:
        filename = TEMPLATE_FILES[template]
    except KeyError:
        raise ValueError(f"Unknown chart template: {template!r}") from None
    with (DATA_DIR / filename).open(encoding="utf-8", newline="") as data:
        rows = list(csv.DictReader(data, delimiter=";"))
    accounts = tuple(ChartAccount(row["number"], row["label"]) for row in rows)
    for account in accounts:
        if not account.number.isdigit() or not account.label:
            raise ValueError(f"Malformed line in {filename}: {account!r}")
    return accounts


def parent_number(number: str, known: Collection[str]) -> str | None:
    """The longest proper prefix of `number` present in `known` (None at the top)."""
    for end in range(len(number) - 1, 0, -1):
        if number[:end] in known:
            return number[:end]
    return None


def account_class(number: str) -> int:
    """The class of an account: its first digit, 1 to 8 (9 is analytical, not in the books)."""
    if not number or number[0] not in "12345678":
        raise ValueError(f"Not an account of classes 1 to 8: {number!r}")
    return int(number[0])


def is_balance_sheet(number: str) -> bool:
    return account_class(number) in BALANCE_SHEET_CLASSES


def is_income_statement(number: str) -> bool:
    return account_class(number) in INCOME_STATEMENT_CLASSES
