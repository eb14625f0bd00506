"""The neutral shape in which the books leave and enter the platform.

FEC files, hledger and beancount journals are written from, and FEC files read into, plain
`BookLine` values: one per ledger line, in the order of the file. The models never reach the
writers, so each format is a pure function that can be tested on its own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class BookLine:
    journal_code: str  # "VT"
    journal_label: str  # "Ventes"
    entry_number: str  # "VT000012": unique within the journal and the fiscal year
    entry_date: dt.date
    account_number: str  # "411", "706000": starts with three digits of the chart
    account_label: str
    aux_number: str  # third-party code ("C0042") or ""
    aux_label: str  # its name, or ""
    piece_ref: str
    piece_date: dt.date
    label: str  # never empty
    debit: Decimal  # exactly one of debit and credit is positive, the other is zero
    credit: Decimal
    lettering_code: str  # "" when not lettered
    lettered_on: dt.date | None
    validated_on: dt.date
    treasury_code: str = ""  # analytic treasury account ("T-0012") or ""
    treasury_label: str = ""

    @property
    def entry_key(self) -> tuple[str, str]:
        """Lines of one entry share this key (FEC: JournalCode + EcritureNum)."""
        return (self.journal_code, self.entry_number)
