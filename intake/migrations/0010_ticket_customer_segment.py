"""Each ticket keeps its customer's segment, set by the database on every write that could
change it, so the board's segment filter reads an index of tickets instead of joining a
customer for each one (insights.rollups checks the copy; `manage.py rollups --rebuild`)."""

from django.db import migrations, models

CREATE = """
-- A ticket's segment is its customer's, whatever its writer sent. The customer row is
-- share-locked, so a segment change at the same time waits for this ticket or is waited for.
CREATE FUNCTION intake_ticket_segment_copy() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.customer_segment := (
        SELECT c.segment FROM intake_customer c WHERE c.id = NEW.customer_id FOR SHARE
    );
    RETURN NEW;
END $$;

CREATE FUNCTION intake_customer_segment_spread() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE intake_ticket SET customer_segment = NEW.segment
    WHERE customer_id = NEW.id AND customer_segment <> NEW.segment;
    RETURN NULL;
END $$;

CREATE TRIGGER intake_ticket_segment BEFORE INSERT OR UPDATE OF customer_id, customer_segment
    ON intake_ticket FOR EACH ROW EXECUTE FUNCTION intake_ticket_segment_copy();
CREATE TRIGGER intake_customer_segment AFTER UPDATE OF segment ON intake_customer
    FOR EACH ROW WHEN (OLD.segment IS DISTINCT FROM NEW.segment)
    EXECUTE FUNCTION intake_customer_segment_spread();
"""

DROP = """
DROP TRIGGER intake_customer_segment ON intake_customer;
DROP TRIGGER intake_ticket_segment ON intake_ticket;
DROP FUNCTION intake_customer_segment_spread();
DROP FUNCTION intake_ticket_segment_copy();
"""

BACKFILL = """
UPDATE intake_ticket t SET customer_segment = c.segment
FROM intake_customer c WHERE c.id = t.customer_id AND t.customer_segment <> c.segment
"""


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0009_ticket_source_import"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="customer_segment",
            field=models.CharField(
                choices=[
                    ("enterprise", "Enterprise"),
                    ("mid_market", "Mid-market"),
                    ("smb", "Small business"),
                    ("startup", "Startup"),
                    ("other", "Other"),
                ],
                db_default="",
                default="",
                editable=False,
                max_length=20,
            ),
        ),
        migrations.RunSQL(CREATE, DROP),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
