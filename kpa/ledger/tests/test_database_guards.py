"""PostgreSQL itself refuses to change a validated entry or to validate an unbalanced one, even
through raw SQL that bypasses the models."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from kpa.ledger.models import Entry, EntryLine
from kpa.ledger.tests.conftest import Ledger, sale

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql",
                                reason="database triggers exist on PostgreSQL only")

MARCH = dt.date(2026, 3, 15)


def _raw(sql: str, *params: object) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        # Deferred constraint triggers fire at commit; inside the test's transaction, force it.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.parametrize("sql", [
    "UPDATE ledger_entry SET label = 'changé' WHERE id = %s",
    "UPDATE ledger_entry SET status = 'draft', number = NULL, validated_on = NULL WHERE id = %s",
    "DELETE FROM ledger_entry WHERE id = %s",
    "UPDATE ledger_entryline SET debit = debit + 1 WHERE entry_id = %s",
    "DELETE FROM ledger_entryline WHERE entry_id = %s",
    "INSERT INTO ledger_entryline (entry_id, fiscal_year_id, validated, position, account_id,"
    " label, debit, credit, lettering_code) SELECT entry_id, fiscal_year_id, false, 9,"
    " account_id, 'ajout', 1, 0, '' FROM ledger_entryline WHERE entry_id = %s LIMIT 1",
])
def test_raw_sql_cannot_change_a_validated_entry(ledger: Ledger, sql: str) -> None:
    entry = ledger.entry("VT", MARCH, *sale("10"))
    with pytest.raises(DatabaseError):
        _raw(sql, entry.pk)
    assert Entry.objects.get(pk=entry.pk).label == "Écriture"
    assert sorted(EntryLine.objects.filter(entry=entry).values_list("debit", flat=True)) == [
        0, 10]


def test_raw_sql_may_letter_a_validated_line(ledger: Ledger) -> None:
    entry = ledger.entry("VT", MARCH, *sale("10"))
    _raw("UPDATE ledger_entryline SET lettering_code = 'A', lettered_on = %s "
         "WHERE entry_id = %s", MARCH, entry.pk)
    assert set(EntryLine.objects.filter(entry=entry).values_list("lettering_code", flat=True)) \
        == {"A"}


def test_raw_sql_cannot_validate_an_unbalanced_entry(ledger: Ledger) -> None:
    draft = ledger.entry("VT", MARCH, *sale("10"), validate=False)
    _raw("UPDATE ledger_entryline SET debit = 12 WHERE entry_id = %s AND debit > 0", draft.pk)
    _raw("UPDATE ledger_entryline SET validated = true WHERE entry_id = %s", draft.pk)
    with pytest.raises(DatabaseError, match="not balanced"):
        _raw("UPDATE ledger_entry SET status = 'validated', number = 99, validated_on = %s "
             "WHERE id = %s", MARCH, draft.pk)
    assert Entry.objects.get(pk=draft.pk).status == "draft"


def test_raw_sql_cannot_validate_an_entry_whose_lines_are_not_marked(ledger: Ledger) -> None:
    draft = ledger.entry("VT", MARCH, *sale("10"), validate=False)
    with pytest.raises(DatabaseError, match="not balanced"):
        _raw("UPDATE ledger_entry SET status = 'validated', number = 99, validated_on = %s "
             "WHERE id = %s", MARCH, draft.pk)
