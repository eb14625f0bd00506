"""Plain-text accounting exports: the books as hledger and Beancount journals.

Anyone can then audit our books with tools we did not write (`hledger bal`, `bean-check`,
fava...). Both writers are pure functions of `BookLine` values and stream: they read the lines
of one entry, write its transaction and forget it, so memory grows with the number of accounts,
never with the number of entries.

Free text (labels, piece references) is flattened to one line, because both formats are
line-based and a newline in a label would otherwise start a new directive. Codes that become
parts of account names are reduced to characters each format accepts in a name; the account
*labels* keep their full text in comments (hledger) or metadata (Beancount).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Literal, TextIO

from kpa.ledger.exchange import BookLine

Treasury = Literal["tag", "subaccount"]
CURRENCY = "EUR"

# --- What both formats share -----------------------------------------------------------------

# Beancount demands one of five roots; hledger uses the same classification as account types,
# so that `hledger bs` and `hledger is` work too. Class 4 mixes both sides of the balance sheet:
# the prefixes below name the usual debit-side tiers accounts (clients, supplier advances,
# deductible VAT, prepaid expenses); every other class 4 account is a liability. The longest
# matching prefix wins. The root only places an account in reports: amounts keep their sign.
CHART_ROOTS: dict[str, str] = {
    "1": "Equity",  # capitaux
    "2": "Assets",  # immobilisations
    "3": "Assets",  # stocks
    "4": "Liabilities",  # tiers
    "409": "Assets",  # fournisseurs débiteurs
    "41": "Assets",  # clients
    "419": "Liabilities",  # clients créditeurs
    "4456": "Assets",  # TVA déductible
    "486": "Assets",  # charges constatées d'avance
    "49": "Assets",  # dépréciations des comptes de tiers
    "5": "Assets",  # financiers
    "6": "Expenses",  # charges
    "7": "Income",  # produits
    "8": "Equity",  # comptes spéciaux
    "86": "Expenses",  # emplois des contributions volontaires en nature
    "87": "Income",  # contributions volontaires en nature
}
FALLBACK_ROOT = "Equity"  # a number outside the chart still has to land somewhere
HLEDGER_TYPES = {"Assets": "A", "Liabilities": "L", "Equity": "E", "Income": "R",
                 "Expenses": "X"}


def chart_root(account_number: str) -> str:
    """The Beancount root ("Assets", ...) of an account number, by its longest known prefix."""
    for length in range(len(account_number), 0, -1):
        root = CHART_ROOTS.get(account_number[:length])
        if root is not None:
            return root
    return FALLBACK_ROOT


def _entries(lines: Iterable[BookLine]) -> Iterator[list[BookLine]]:
    """The lines grouped by entry, one entry in memory at a time; refuses unbalanced entries
    here, with the entry's key, rather than leave hledger or bean-check to reject the file."""
    for key, group in itertools.groupby(lines, key=lambda line: line.entry_key):
        entry = list(group)
        debit = sum((line.debit for line in entry), Decimal(0))
        credit = sum((line.credit for line in entry), Decimal(0))
        if debit != credit:
            raise ValueError(f"entry {key[0]} {key[1]} is not balanced: {debit} != {credit}")
        yield entry


def _one_line(text: str) -> str:
    """Text on a single line: control characters and line breaks of every kind (\\r, U+2028...)
    become spaces, and runs of whitespace one space."""
    spaced = "".join(
        " " if unicodedata.category(char) in {"Cc", "Cs", "Zl", "Zp"} else char for char in text
    )
    return " ".join(spaced.split())


def _title_comments(title: str) -> str:
    # `;` starts a comment line in both formats.
    return "".join(f"; {_one_line(part)}".rstrip() + "\n" for part in title.splitlines())


def _amount(line: BookLine) -> str:
    # Fixed-point, never an exponent: Decimal("1E+3") must be written 1000.
    return format(line.debit - line.credit, "f")


def _labels(*parts: str) -> str:
    return " — ".join(_one_line(part) for part in parts if part.strip())


# --- hledger ---------------------------------------------------------------------------------


def _hledger_component(code: str) -> str:
    """A code as one account name component: letters, digits, "-", "_" and "." only. ":" would
    split the name, two spaces would end it, brackets would make the posting virtual."""
    return re.sub(r"[^\w.-]", "_", code.strip()) or "_"


def hledger_account_name(line: BookLine, treasury: Treasury) -> str:
    """411:C0042 (third party as sub-account); with treasury="subaccount" also 411:C0042:T-0012
    or 706:T-0012. With treasury="tag" the treasury account is a posting tag instead."""
    if treasury not in ("tag", "subaccount"):
        raise ValueError(f"treasury must be 'tag' or 'subaccount', not {treasury!r}")
    parts = [line.account_number, line.aux_number]
    if treasury == "subaccount":
        parts.append(line.treasury_code)
    return ":".join(_hledger_component(part) for part in parts if part.strip())


def _no_posting_date(text: str) -> str:
    # In a posting comment hledger reads "[2026-03-01]" as the posting's own date, and fails on
    # "[2026/1]": a space after the bracket makes it plain text again.
    return re.sub(r"\[(?=[\d=])", "[ ", text)


def _hledger_comment(text: str) -> str:
    """Free text for a `;` comment. hledger reads every `word:` in a comment as a tag (and
    `type:` in an account comment as the account type), so a colon glued to a word gets a space
    before it, French style."""
    return _no_posting_date(re.sub(r"(?<=\S):", " :", _one_line(text)))


def _hledger_tag(name: str, value: str) -> str:
    # A tag value runs to the next comma or the end of the line.
    return f"{name}:{_no_posting_date(_one_line(value).replace(',', ';'))}"


def _hledger_description(text: str) -> str:
    # The description ends at the first `;`, where the transaction comment starts.
    return _one_line(text.replace(";", ","))


def _hledger_declaration(line: BookLine, name: str, treasury: Treasury) -> str:
    label = _labels(line.account_label, line.aux_label,
                    line.treasury_label if treasury == "subaccount" else "")
    comment = ", ".join(
        part for part in (_hledger_comment(label),
                          f"type:{HLEDGER_TYPES[chart_root(line.account_number)]}") if part
    )
    return f"account {name}  ; {comment}\n"


def _hledger_posting_comment(line: BookLine, description: str, treasury: Treasury) -> str:
    parts = []
    label = _hledger_comment(line.label)
    if label and label != _hledger_comment(description):
        parts.append(label)  # before the tags: a tag's value would swallow it
    if treasury == "tag" and line.treasury_code.strip():
        parts.append(_hledger_tag("tresorerie", line.treasury_code))
    if line.lettering_code.strip():
        parts.append(_hledger_tag("lettrage", line.lettering_code))
        if line.lettered_on is not None:
            parts.append(_hledger_tag("date_lettrage", line.lettered_on.isoformat()))
    return f"  ; {', '.join(parts)}" if parts else ""


def _hledger_transaction(entry: list[BookLine], names: list[str], treasury: Treasury) -> str:
    first = entry[0]
    description = _hledger_description(first.label)
    tags = [_hledger_tag("journal", first.journal_code)]
    if first.piece_ref.strip():
        tags.append(_hledger_tag("piece", first.piece_ref))
    tags += [_hledger_tag("date_piece", first.piece_date.isoformat()),
             _hledger_tag("validation", first.validated_on.isoformat())]
    code = _hledger_component(first.entry_number)
    text = [f"{first.entry_date.isoformat()} * ({code}) {description}".rstrip(),
            f"    ; {', '.join(tags)}"]
    amounts = [f"{_amount(line)} {CURRENCY}" for line in entry]
    name_width = max(map(len, names))
    amount_width = max(map(len, amounts))
    for line, name, amount in zip(entry, names, amounts, strict=True):
        comment = _hledger_posting_comment(line, first.label, treasury)
        text.append(f"    {name:<{name_width}}  {amount:>{amount_width}}{comment}")
    return "\n".join(text) + "\n"


def write_hledger(lines: Iterable[BookLine], out: TextIO, *, treasury: Treasury = "tag",
                  title: str = "") -> int:
    """Write the lines as an hledger journal and return the number of transactions.

    Every validated entry becomes a cleared (`*`) transaction coded with its entry number;
    debits are positive amounts, credits negative. Each account is declared (`account`
    directive, with its labels and its type) just before the first transaction that posts to
    it: hledger accepts directives between transactions, so one pass is enough and
    `hledger --strict` can still check that every posted account is declared. Read it with a
    UTF-8 locale (LC_ALL=C.UTF-8): hledger decodes files with the locale's encoding.
    """
    if treasury not in ("tag", "subaccount"):
        raise ValueError(f"treasury must be 'tag' or 'subaccount', not {treasury!r}")
    if title.strip():
        out.write(_title_comments(title) + "\n")
    # Pinned number formats, so that no amount is ever read with "," as the decimal mark.
    out.write(f"decimal-mark .\ncommodity 1000.00 {CURRENCY}\n")
    declared: set[str] = set()
    count = 0
    for entry in _entries(lines):
        names = [hledger_account_name(line, treasury) for line in entry]
        declarations = ""
        for line, name in zip(entry, names, strict=True):
            if name not in declared:
                declared.add(name)
                declarations += _hledger_declaration(line, name, treasury)
        out.write(f"\n{declarations}")
        if declarations:
            out.write("\n")
        out.write(_hledger_transaction(entry, names, treasury))
        count += 1
    return count


# --- Beancount -------------------------------------------------------------------------------


def _beancount_component(code: str) -> str:
    """A code as one Beancount name component: ASCII letters, digits and "-", starting with an
    uppercase letter or a digit (v3 would take more of Unicode; fava and v2 tools might not)."""
    component = re.sub(r"[^A-Za-z0-9-]", "-", code.strip())
    return component if re.match(r"[A-Z0-9]", component) else f"X{component}"


def beancount_account_name(line: BookLine) -> str:
    """Assets:411:C0042, Income:706: the root by chart class, then the account number and the
    third party. The treasury account is metadata (`tresorerie`), never part of the name."""
    parts = [line.account_number, line.aux_number]
    return ":".join([chart_root(line.account_number.strip()),
                     *(_beancount_component(part) for part in parts if part.strip())])


def _beancount_string(text: str) -> str:
    escaped = _one_line(text).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _beancount_meta(indent: str, name: str, value: str) -> str:
    return f"{indent}{name}: {_beancount_string(value)}\n"


def _beancount_transaction(entry: list[BookLine]) -> str:
    first = entry[0]
    narration = _one_line(first.label)
    text = f"{first.entry_date.isoformat()} * {_beancount_string(narration)}\n"
    text += _beancount_meta("  ", "journal", first.journal_code)
    text += _beancount_meta("  ", "ecriture", first.entry_number)
    if first.piece_ref.strip():
        text += _beancount_meta("  ", "piece", first.piece_ref)
    text += f"  date_piece: {first.piece_date.isoformat()}\n"
    text += f"  validation: {first.validated_on.isoformat()}\n"
    for line in entry:
        text += f"  {beancount_account_name(line)}  {_amount(line)} {CURRENCY}\n"
        if _one_line(line.label) != narration:
            text += _beancount_meta("    ", "libelle", line.label)
        if line.treasury_code.strip():
            text += _beancount_meta("    ", "tresorerie", line.treasury_code)
        if line.lettering_code.strip():
            text += _beancount_meta("    ", "lettrage", line.lettering_code)
            if line.lettered_on is not None:
                text += f"    date_lettrage: {line.lettered_on.isoformat()}\n"
    return text


def _beancount_open(line: BookLine, name: str, opened_on: str) -> str:
    text = f"{opened_on} open {name} {CURRENCY}\n"
    if line.account_label.strip():
        text += _beancount_meta("  ", "libelle", line.account_label)
    if line.aux_label.strip():
        text += _beancount_meta("  ", "tiers", line.aux_label)
    return text


def write_beancount(lines: Iterable[BookLine], out: TextIO, *, title: str = "") -> int:
    """Write the lines as a Beancount v3 ledger and return the number of transactions.

    Streamed like the hledger export. An account must be opened on or before its first
    posting, and the lines need not come in date order (they come journal by journal), so the
    `open` directives are written at the end, each dated on the earliest entry posting to the
    account: Beancount sorts directives by date, whatever their place in the file. Only the
    accounts (name, first line, earliest date) are kept in memory.
    """
    if title.strip():
        out.write(_title_comments(title))
        out.write(f"option \"title\" {_beancount_string(title)}\n")
    out.write(f'option "operating_currency" "{CURRENCY}"\n')
    accounts: dict[str, tuple[BookLine, str]] = {}
    count = 0
    for entry in _entries(lines):
        out.write("\n" + _beancount_transaction(entry))
        count += 1
        for line in entry:
            name = beancount_account_name(line)
            known = accounts.get(name)
            day = line.entry_date.isoformat()
            if known is None or day < known[1]:
                accounts[name] = (known[0] if known else line, day)
    if accounts:
        out.write("\n; Comptes, ouverts à la date de leur première écriture\n")
    for name, (line, opened_on) in sorted(accounts.items()):
        out.write(_beancount_open(line, name, opened_on))
    return count
