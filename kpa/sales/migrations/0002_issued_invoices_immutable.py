"""On PostgreSQL the database itself keeps issued invoices and credit notes as they were issued.

- `sales_invoice`: an issued row is never deleted; of its columns only the payment follow-up
  (`amount_paid`, `paid_on`), the delivery stamp (`sent_at`) and the reminder date
  (`last_reminder_on`) may change.
- `sales_invoiceline`: a line of an issued document is never added, changed nor deleted.

SQLite has no such triggers here: there the services guard the same rules (and their tests).
"""

from django.db import migrations

FORWARD = r"""
CREATE FUNCTION sales_invoice_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status <> 'issued' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'kpa sales: issued document % is never deleted', OLD.number
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF (to_jsonb(NEW) - 'amount_paid' - 'paid_on' - 'sent_at' - 'last_reminder_on' - 'pdf')
           IS DISTINCT FROM
       (to_jsonb(OLD) - 'amount_paid' - 'paid_on' - 'sent_at' - 'last_reminder_on' - 'pdf')
       OR NEW.pdf IS DISTINCT FROM OLD.pdf THEN
        RAISE EXCEPTION 'kpa sales: issued document % never changes', OLD.number
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER sales_invoice_immutable
    BEFORE UPDATE OR DELETE ON sales_invoice
    FOR EACH ROW EXECUTE FUNCTION sales_invoice_immutable();

CREATE FUNCTION sales_invoiceline_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    invoice_ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        invoice_ids := ARRAY[NEW.invoice_id];
    ELSIF TG_OP = 'DELETE' THEN
        invoice_ids := ARRAY[OLD.invoice_id];
    ELSE
        invoice_ids := ARRAY[OLD.invoice_id, NEW.invoice_id];
    END IF;
    IF EXISTS (SELECT 1 FROM sales_invoice WHERE id = ANY(invoice_ids) AND status = 'issued')
    THEN
        RAISE EXCEPTION 'kpa sales: the lines of an issued document never change'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER sales_invoiceline_immutable
    BEFORE INSERT OR UPDATE OR DELETE ON sales_invoiceline
    FOR EACH ROW EXECUTE FUNCTION sales_invoiceline_immutable();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS sales_invoiceline_immutable ON sales_invoiceline;
DROP FUNCTION IF EXISTS sales_invoiceline_immutable();
DROP TRIGGER IF EXISTS sales_invoice_immutable ON sales_invoice;
DROP FUNCTION IF EXISTS sales_invoice_immutable();
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
    dependencies = [("sales", "0001_sales_documents_and_till")]

    operations = [migrations.RunPython(forward, backward)]
