"""On PostgreSQL the database itself keeps validated entries immutable and balanced.

- `ledger_entry`: a validated row is never updated nor deleted.
- `ledger_entryline`: a line of a validated entry is never deleted, never added, and only its
  lettering (code and date) may change.
- A deferred constraint trigger checks, at commit, that an entry becoming validated has at
  least two lines, all marked validated, in its fiscal year, with Σ debit = Σ credit.

SQLite has no such triggers here: there the models and the services guard the same rules.
"""

from django.db import migrations

FORWARD = r"""
CREATE FUNCTION ledger_entry_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'validated' THEN
        RAISE EXCEPTION 'kpa ledger: validated entry % never changes', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER ledger_entry_immutable
    BEFORE UPDATE OR DELETE ON ledger_entry
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_immutable();

CREATE FUNCTION ledger_entryline_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.validated OR EXISTS (
            SELECT 1 FROM ledger_entry WHERE id = NEW.entry_id AND status = 'validated'
        ) THEN
            RAISE EXCEPTION 'kpa ledger: validated entry % takes no new line', NEW.entry_id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        IF OLD.validated THEN
            RAISE EXCEPTION 'kpa ledger: line % of a validated entry is never deleted', OLD.id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.validated AND (
        NEW.entry_id, NEW.fiscal_year_id, NEW.validated, NEW.position, NEW.account_id,
        NEW.third_party_id, NEW.treasury_account_id, NEW.label, NEW.debit, NEW.credit
    ) IS DISTINCT FROM (
        OLD.entry_id, OLD.fiscal_year_id, OLD.validated, OLD.position, OLD.account_id,
        OLD.third_party_id, OLD.treasury_account_id, OLD.label, OLD.debit, OLD.credit
    ) THEN
        RAISE EXCEPTION 'kpa ledger: line % of a validated entry never changes', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER ledger_entryline_immutable
    BEFORE INSERT OR UPDATE OR DELETE ON ledger_entryline
    FOR EACH ROW EXECUTE FUNCTION ledger_entryline_immutable();

CREATE FUNCTION ledger_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    line_count integer;
    stray_count integer;
    total_debit numeric;
    total_credit numeric;
BEGIN
    SELECT count(*),
           count(*) FILTER (WHERE NOT validated OR fiscal_year_id <> NEW.fiscal_year_id),
           coalesce(sum(debit), 0), coalesce(sum(credit), 0)
      INTO line_count, stray_count, total_debit, total_credit
      FROM ledger_entryline WHERE entry_id = NEW.id;
    IF line_count < 2 OR stray_count > 0 OR total_debit <> total_credit THEN
        RAISE EXCEPTION 'kpa ledger: entry % is not balanced (% lines, debit %, credit %)',
            NEW.id, line_count, total_debit, total_credit
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER ledger_entry_balanced
    AFTER INSERT OR UPDATE ON ledger_entry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.status = 'validated')
    EXECUTE FUNCTION ledger_entry_balanced();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS ledger_entry_balanced ON ledger_entry;
DROP FUNCTION IF EXISTS ledger_entry_balanced();
DROP TRIGGER IF EXISTS ledger_entryline_immutable ON ledger_entryline;
DROP FUNCTION IF EXISTS ledger_entryline_immutable();
DROP TRIGGER IF EXISTS ledger_entry_immutable ON ledger_entry;
DROP FUNCTION IF EXISTS ledger_entry_immutable();
"""


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FORWARD)  # no parameters: the % signs are plpgsql's


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_books")]

    operations = [migrations.RunPython(forward, backward)]
