"""The hledger and Beancount exports, read back by hledger and bean-check themselves.

Expected balances are computed here from the lines (sum of debits minus credits per account
name), with names built by the test itself, never by the code under test.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kpa.ledger.exchange import BookLine
from kpa.ledger.plaintext import (
    Treasury,
    beancount_account_name,
    hledger_account_name,
    write_beancount,
    write_hledger,
)
from kpa.ledger.tests.oracles import (
    bean_check,
    beancount_balances,
    beancount_transactions,
    hledger_balances,
    hledger_postings,
    hledger_required,
    hledger_transaction_count,
)

TITLE = "Livres provisoires — écritures validées uniquement"
JOURNALS = {"AN": "À nouveaux", "VT": "Ventes", "AC": "Achats", "BQ": "Banque",
            "OD": "Opérations diverses"}
# The test's own chart map, for the numbers it uses (see CHART_ROOTS in plaintext.py).
ROOTS = {"101000": "Equity", "164": "Equity", "2183": "Assets", "401": "Liabilities",
         "411": "Assets", "44566": "Assets", "44571": "Liabilities", "512": "Assets",
         "606": "Expenses", "706": "Income", "860": "Expenses", "871": "Income"}


@pytest.fixture(scope="module")
def hledger() -> str:
    return hledger_required()


def book_line(journal: str, number: int, day: dt.date, account: str, amount: str, *,
              aux: str = "", treasury: str = "", lettering: str = "",
              label: str = "Écriture", piece: str = "") -> BookLine:
    """One line; a positive amount is a debit, a negative one a credit."""
    value = Decimal(amount)
    return BookLine(
        journal_code=journal, journal_label=JOURNALS[journal],
        entry_number=f"{journal}{number:06d}", entry_date=day,
        account_number=account, account_label=f"Compte {account}",
        aux_number=aux, aux_label=f"Tiers {aux}" if aux else "",
        piece_ref=piece or f"P-{journal}-{number}", piece_date=day, label=label,
        debit=max(value, Decimal(0)), credit=max(-value, Decimal(0)),
        lettering_code=lettering,
        lettered_on=dt.date(2026, 1, 31) if lettering else None,
        validated_on=day + dt.timedelta(days=1),
        treasury_code=treasury, treasury_label=f"Trésorerie {treasury}" if treasury else "",
    )


def hand_built_book() -> list[BookLine]:
    """Opening entries, a sale with VAT, a purchase, and both paid by bank and lettered."""
    jan = dt.date(2026, 1, 1)
    return [
        book_line("AN", 1, jan, "512", "5000.00", treasury="T-0012", label="À nouveaux"),
        book_line("AN", 1, jan, "512", "1500.00", treasury="T-0034", label="À nouveaux"),
        book_line("AN", 1, jan, "101000", "-6500.00", label="À nouveaux"),
        book_line("VT", 12, jan.replace(day=5), "411", "1200.00", aux="C0042", lettering="AA",
                  label="Facture F2026-12 Dupont", piece="F2026-12"),
        book_line("VT", 12, jan.replace(day=5), "706", "-1000.00", treasury="T-0012",
                  label="Facture F2026-12 Dupont"),
        book_line("VT", 12, jan.replace(day=5), "44571", "-200.00", label="TVA collectée"),
        book_line("AC", 3, jan.replace(day=8), "606", "300.00", treasury="T-0034",
                  label="Fournitures"),
        book_line("AC", 3, jan.replace(day=8), "44566", "60.00", label="Fournitures"),
        book_line("AC", 3, jan.replace(day=8), "401", "-360.00", aux="F0007", lettering="AB",
                  label="Fournitures"),
        book_line("BQ", 1, jan.replace(day=20), "512", "1200.00", treasury="T-0012",
                  label="Virement Dupont"),
        book_line("BQ", 1, jan.replace(day=20), "411", "-1200.00", aux="C0042",
                  lettering="AA", label="Virement Dupont"),
        book_line("BQ", 2, jan.replace(day=25), "401", "360.00", aux="F0007", lettering="AB",
                  label="Règlement fournisseur"),
        book_line("BQ", 2, jan.replace(day=25), "512", "-360.00", treasury="T-0034",
                  label="Règlement fournisseur"),
    ]


HAND_BUILT_BALANCES = {
    "512": Decimal("7340.00"), "101000": Decimal("-6500.00"), "411:C0042": Decimal("0.00"),
    "706": Decimal("-1000.00"), "44571": Decimal("-200.00"), "606": Decimal("300.00"),
    "44566": Decimal("60.00"), "401:F0007": Decimal("0.00"),
}


def hledger_text(lines: Iterable[BookLine], treasury: Treasury = "tag") -> str:
    out = io.StringIO()
    write_hledger(lines, out, treasury=treasury, title=TITLE)
    return out.getvalue()


def beancount_text(lines: Iterable[BookLine]) -> str:
    out = io.StringIO()
    write_beancount(lines, out, title=TITLE)
    return out.getvalue()


def sums_by(lines: Iterable[BookLine], name: Callable[[BookLine], str]) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = {}
    for line in lines:
        sums[name(line)] = sums.get(name(line), Decimal(0)) + line.debit - line.credit
    return sums


def joined(*parts: str) -> str:
    return ":".join(part for part in parts if part)


def hledger_name(line: BookLine, treasury: Treasury) -> str:
    extra = line.treasury_code if treasury == "subaccount" else ""
    return joined(line.account_number, line.aux_number, extra)


def beancount_name(line: BookLine) -> str:
    return joined(ROOTS[line.account_number], line.account_number, line.aux_number)


def entry_count(lines: Iterable[BookLine]) -> int:
    return len({line.entry_key for line in lines})


# --- Account names ---------------------------------------------------------------------------


def test_the_hledger_account_is_the_number_then_the_third_party_then_the_treasury() -> None:
    day = dt.date(2026, 1, 5)
    client = book_line("VT", 1, day, "411", "1.00", aux="C0042", treasury="T-0012")
    sale = book_line("VT", 1, day, "706", "-1.00", treasury="T-0012")

    assert hledger_account_name(client, "tag") == "411:C0042"
    assert hledger_account_name(client, "subaccount") == "411:C0042:T-0012"
    assert hledger_account_name(sale, "tag") == "706"
    assert hledger_account_name(sale, "subaccount") == "706:T-0012"


def test_the_beancount_account_starts_with_the_root_of_its_chart_class() -> None:
    day = dt.date(2026, 1, 5)

    def name(account: str, aux: str = "") -> str:
        return beancount_account_name(book_line("OD", 1, day, account, "1.00", aux=aux))

    assert name("411", "C0042") == "Assets:411:C0042"
    assert name("401", "F0007") == "Liabilities:401:F0007"
    assert name("4091") == "Assets:4091"
    assert name("44566") == "Assets:44566"
    assert name("44571") == "Liabilities:44571"
    assert name("101000") == "Equity:101000"
    assert name("512") == "Assets:512"
    assert name("606") == "Expenses:606"
    assert name("706") == "Income:706"
    assert name("860") == "Expenses:860"
    assert name("871") == "Income:871"


def test_codes_unfit_for_account_names_are_rewritten_so_both_tools_still_read_them(
    hledger: str,
) -> None:
    day = dt.date(2026, 1, 5)
    odd = [book_line("OD", 1, day, "411", "10.00", aux="c 42:x;(y)", treasury="[T 1]"),
           book_line("OD", 1, day, "706", "-10.00", treasury="t_2")]

    assert hledger_account_name(odd[0], "subaccount") == "411:c_42_x__y_:_T_1_"
    assert beancount_account_name(odd[0]) == "Assets:411:Xc-42-x--y-"
    assert hledger_balances(hledger_text(odd, "subaccount")) == {
        "411:c_42_x__y_:_T_1_": Decimal("10.00"), "706:t_2": Decimal("-10.00")}
    bean_check(beancount_text(odd))


# --- hledger: hand-built books ---------------------------------------------------------------


def test_hledger_finds_our_balance_for_every_account_of_the_hand_built_books(
    hledger: str,
) -> None:
    book = hand_built_book()

    balances = hledger_balances(hledger_text(book))

    assert balances == HAND_BUILT_BALANCES
    assert balances == sums_by(book, lambda line: hledger_name(line, "tag"))


def test_treasury_subaccounts_split_an_account_without_changing_its_total(hledger: str) -> None:
    book = hand_built_book()
    as_tags, as_subaccounts = hledger_text(book, "tag"), hledger_text(book, "subaccount")

    split = hledger_balances(as_subaccounts)

    assert hledger_balances(as_subaccounts, depth=1) == hledger_balances(as_tags, depth=1)
    assert split["512:T-0012"] == Decimal("6200.00")
    assert split["512:T-0034"] == Decimal("1140.00")
    assert split["706:T-0012"] == Decimal("-1000.00")
    assert split["606:T-0034"] == Decimal("300.00")
    assert "512" not in split
    assert split == sums_by(book, lambda line: hledger_name(line, "subaccount"))


def test_the_treasury_tag_selects_exactly_that_treasury_accounts_postings(hledger: str) -> None:
    text = hledger_text(hand_built_book())

    # Anchored: hledger matches tag values as regular expressions, "T-0012" would match T-00123.
    assert hledger_balances(text, query=["tag:tresorerie=^T-0012$"]) == {
        "512": Decimal("6200.00"), "706": Decimal("-1000.00")}
    assert hledger_balances(text, query=["tag:tresorerie=^T-0034$"]) == {
        "512": Decimal("1140.00"), "606": Decimal("300.00")}


def test_lettering_and_pieces_are_tags_an_auditor_can_query(hledger: str) -> None:
    text = hledger_text(hand_built_book())

    assert hledger_balances(text, query=["tag:lettrage=^AA$"]) == {"411:C0042": Decimal(0)}
    assert hledger_balances(text, query=["tag:piece=^F2026-12$"]) == {
        "411:C0042": Decimal("1200.00"), "706": Decimal("-1000.00"),
        "44571": Decimal("-200.00")}


def test_accounts_are_typed_by_chart_class_for_hledger_reports(hledger: str) -> None:
    text = hledger_text(hand_built_book())

    assert hledger_balances(text, query=["type:R"]) == {"706": Decimal("-1000.00")}
    assert hledger_balances(text, query=["type:X"]) == {"606": Decimal("300.00")}
    assert hledger_balances(text, query=["type:E"]) == {"101000": Decimal("-6500.00")}


def test_the_hledger_export_shows_title_codes_and_validation_status(hledger: str) -> None:
    book = hand_built_book()
    out = io.StringIO()

    count = write_hledger(book, out, title=TITLE)

    assert count == 5
    assert out.getvalue().startswith(f"; {TITLE}\n")
    postings = hledger_postings(out.getvalue())
    sale = [row for row in postings if row["code"] == "VT000012"]
    assert {row["status"] for row in postings} == {"*"}
    assert sale[0]["description"] == "Facture F2026-12 Dupont"
    assert sale[0]["date"] == "2026-01-05"
    assert [row["amount"] for row in sale] == ["1200.00", "-1000.00", "-200.00"]
    assert "lettrage:AA" in sale[0]["posting-comment"]


def test_each_entry_is_written_before_the_next_one_is_read() -> None:
    book = hand_built_book()
    out = io.StringIO()
    starts = [i for i, line in enumerate(book) if i == 0 or line.entry_key != book[i - 1].entry_key]

    def lines() -> Iterator[BookLine]:
        for i, line in enumerate(book):
            if i in starts:
                # Reading an entry's first line ends the previous one, which is then written.
                written = len(re.findall(r"^\d{4}-\d\d-\d\d \* ", out.getvalue(), re.MULTILINE))
                assert written >= starts.index(i) - 1
            yield line

    assert write_hledger(lines(), out) == 5


def test_an_unbalanced_entry_is_refused_with_its_key() -> None:
    day = dt.date(2026, 1, 5)
    lame = [book_line("OD", 7, day, "411", "10.00"), book_line("OD", 7, day, "706", "-9.99")]

    with pytest.raises(ValueError, match="OD OD000007"):
        write_hledger(lame, io.StringIO())
    with pytest.raises(ValueError, match="OD OD000007"):
        write_beancount(lame, io.StringIO())


def test_newlines_and_semicolons_in_labels_do_not_break_the_journal(hledger: str) -> None:
    day = dt.date(2026, 3, 1)
    tricky = ["Facture\n2026-03-01 * (X) fausse écriture", "Remise; chèque ;n°3",
              "  ; commentaire ?", "ligne\r\nsuivante\u2028et\x00autre", "type:Z, a:b\tc",
              "Avoir [2026-04-01]", "Acompte [2026/1]", "date:2026-02-30"]
    book = [line for number, label in enumerate(tricky, start=1)
            for line in (book_line("OD", number, day, "411", "12.50", label=label,
                                   piece=label, aux="C1"),
                         # A label unlike the description goes to the posting's comment.
                         book_line("OD", number, day, "706", "-12.50", label=f"Produit {label}"))]
    out = io.StringIO()

    count = write_hledger(book, out)

    assert count == len(tricky)
    assert hledger_transaction_count(out.getvalue()) == len(tricky)
    balances = {"411:C1": Decimal("100.00"), "706": Decimal("-100.00")}
    assert hledger_balances(out.getvalue()) == balances
    # "[2026-04-01]" in a posting comment would otherwise redate the posting.
    assert hledger_balances(out.getvalue(), query=["date:2026-03-01"]) == balances
    descriptions = {row["description"] for row in hledger_postings(out.getvalue())}
    assert "Remise, chèque ,n°3" in descriptions
    assert len(beancount_transactions(beancount_text(book))) == len(tricky)


# --- Beancount: hand-built books -------------------------------------------------------------


def test_bean_check_accepts_the_hand_built_books() -> None:
    bean_check(beancount_text(hand_built_book()))


def test_beancount_finds_our_balance_for_every_account_of_the_hand_built_books() -> None:
    book = hand_built_book()

    assert beancount_balances(beancount_text(book)) == sums_by(book, beancount_name)


def test_beancount_keeps_pieces_treasury_and_lettering_as_metadata() -> None:
    transactions = beancount_transactions(beancount_text(hand_built_book()))

    sale = next(txn for txn in transactions if txn.meta["ecriture"] == "VT000012")
    assert sale.narration == "Facture F2026-12 Dupont"
    assert sale.meta["piece"] == "F2026-12"
    assert sale.meta["journal"] == "VT"
    assert sale.meta["date_piece"] == dt.date(2026, 1, 5)
    client, income, _vat = sale.postings
    assert client.meta is not None
    assert income.meta is not None
    assert client.meta["lettrage"] == "AA"
    assert income.meta["tresorerie"] == "T-0012"


def test_accounts_open_on_their_earliest_entry_even_when_journals_are_not_in_date_order(
) -> None:
    day = dt.date(2026, 6, 1)
    # The bank journal comes first in the file but its entry is later than the sale.
    book = [book_line("BQ", 1, day, "512", "10.00"), book_line("BQ", 1, day, "411", "-10.00"),
            book_line("VT", 1, day.replace(month=2), "411", "10.00"),
            book_line("VT", 1, day.replace(month=2), "706", "-10.00")]
    text = beancount_text(book)

    bean_check(text)
    assert "2026-02-01 open Assets:411 EUR" in text


# --- Random books ----------------------------------------------------------------------------

# U+2019: the typographic apostrophe; U+2028 and U+0085: line breaks to Python; U+FEFF: a BOM.
SPECIALS = [*';#"«»\u2019:,|()[]\\\n\r\t ', "\u2028", "\x00", "\x85", "\ufeff"]
# Fragments that mean something to hledger or Beancount: random text alone seldom hits them.
TRAPS = ["[2026/1]", "[=2026-02-30]", "[2026-13-45]", "type:Z", "date:2026-99-99", " ; a:b, ",
         "\n2026-01-01 * x\n    512  1 EUR", "  ", '\\"', "(x)", "\n    ; c", "#t ^l", "@ 2 EUR",
         "{1 EUR}", "= 5 EUR", "|"]
texts = st.lists(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"])
            | st.sampled_from(SPECIALS), min_size=1, max_size=20)
    | st.sampled_from(TRAPS),
    min_size=1, max_size=3,
).map("".join)
labels = st.builds(lambda pad, text: " " * pad + text, st.integers(0, 3), texts)
cents = st.integers(min_value=1, max_value=10**11)  # up to 10^9 euros


@st.composite
def entries(draw: st.DrawFn, number: int) -> list[BookLine]:
    """One balanced entry of 2 to 6 lines: the last line balances the others."""
    journal = draw(st.sampled_from(sorted(JOURNALS)))
    day = draw(st.dates(dt.date(2025, 1, 1), dt.date(2026, 12, 31)))
    piece = draw(labels)
    signed_cents = st.builds(lambda c, sign: sign * c, cents, st.sampled_from([1, -1]))
    amounts = [Decimal(c) / 100 for c in draw(st.lists(signed_cents, min_size=1, max_size=5))]
    assume(sum(amounts) != 0)
    amounts.append(-sum(amounts, Decimal(0)))
    return [
        book_line(
            journal, number, day, draw(st.sampled_from(sorted(ROOTS))), str(amount),
            aux=draw(st.sampled_from(["", "", "C0042", "F0007", "S-1"])),
            treasury=draw(st.sampled_from(["", "T-0012", "T-0034", "T-1"])),
            lettering=draw(st.sampled_from(["", "AA", "AB"])),
            label=draw(labels), piece=piece,
        )
        for amount in amounts
    ]


@st.composite
def books(draw: st.DrawFn) -> list[BookLine]:
    count = draw(st.integers(min_value=1, max_value=6))
    return [line for number in range(1, count + 1) for line in draw(entries(number))]


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(book=books(), treasury=st.sampled_from(["tag", "subaccount"]))
def test_hledger_reads_any_balanced_book_and_prints_exactly_our_sums(
    hledger: str, book: list[BookLine], treasury: Treasury,
) -> None:
    text = hledger_text(book, treasury)

    assert hledger_balances(text) == sums_by(book, lambda line: hledger_name(line, treasury))
    assert hledger_transaction_count(text) == entry_count(book)
    # Both tools read the same one-line label ("," for ";", the start of an hledger comment).
    descriptions = {row["code"]: row["description"] for row in hledger_postings(text)}
    narrations = {str(txn.meta["ecriture"]): (txn.narration or "").replace(";", ",")
                  for txn in beancount_transactions(beancount_text(book))}
    assert descriptions == narrations


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(book=books())
def test_bean_check_accepts_any_balanced_book_with_exactly_our_sums(book: list[BookLine]) -> None:
    text = beancount_text(book)

    bean_check(text)
    assert beancount_balances(text) == sums_by(book, beancount_name)
    assert len(beancount_transactions(text)) == entry_count(book)
