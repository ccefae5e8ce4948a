"""The insights roll-ups: tables, the triggers that keep them in the same transaction as every
change to tickets, initiatives and users' time zones, and a first build.

Statement-level triggers with transition tables: one COPY or UPDATE of a million rows appends
one grouped row per key, not a million. Rows are only appended (never updated in place), so
tickets filed at once never wait for each other on a counter row; insights.rollups compacts.
"""

from django.conf import settings
from django.db import migrations, models

# The keys a ticket row counts under (`t` the ticket, `i` its initiative, `z` the zone): the
# same expressions as insights.rollups._KEYS.
KEYS = """z.id, (t.created_at AT TIME ZONE z.zone)::date, t.source_team, t.source,
    coalesce(t.product_area_id, 0), coalesce(i.product_area_id, 0), t.status = 'new'"""
COLUMNS = "zone_id, day, source_team, source, product_area_id, initiative_area_id, waiting"
GROUPS = "1, 2, 3, 4, 5, 6, 7"
# An update changes the counts only when one of these differs.
DIFFERS = """(o.created_at, o.source_team, o.source, o.product_area_id, o.initiative_id,
    o.status = 'new') IS DISTINCT FROM (n.created_at, n.source_team, n.source, n.product_area_id,
    n.initiative_id, n.status = 'new')"""

CREATE = f"""
CREATE FUNCTION insights_ticket_day_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The initiatives whose tickets change are share-locked first: an initiative whose product
    -- area changes at the same time (insights_initiative_area_change) waits for this
    -- transaction or is waited for, so neither counts a ticket under a stale area.
    IF TG_OP = 'INSERT' THEN
        PERFORM 1 FROM triage_initiative WHERE id IN (SELECT initiative_id FROM new_rows)
            ORDER BY id FOR SHARE;
        INSERT INTO insights_ticketday ({COLUMNS}, tickets)
        SELECT {KEYS}, count(*)
        FROM new_rows t LEFT JOIN triage_initiative i ON i.id = t.initiative_id
            CROSS JOIN insights_rollupzone z
        GROUP BY {GROUPS};
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM 1 FROM triage_initiative WHERE id IN (SELECT initiative_id FROM old_rows)
            ORDER BY id FOR SHARE;
        INSERT INTO insights_ticketday ({COLUMNS}, tickets)
        SELECT {KEYS}, -count(*)
        FROM old_rows t LEFT JOIN triage_initiative i ON i.id = t.initiative_id
            CROSS JOIN insights_rollupzone z
        GROUP BY {GROUPS};
    ELSE
        PERFORM 1 FROM triage_initiative WHERE id IN (
            SELECT unnest(ARRAY[o.initiative_id, n.initiative_id])
            FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {DIFFERS}
        ) ORDER BY id FOR SHARE;
        INSERT INTO insights_ticketday ({COLUMNS}, tickets)
        SELECT {KEYS}, sum(t.change)
        FROM (
            SELECT n.*, 1 AS change FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE {DIFFERS}
            UNION ALL
            SELECT o.*, -1 FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {DIFFERS}
        ) t LEFT JOIN triage_initiative i ON i.id = t.initiative_id
            CROSS JOIN insights_rollupzone z
        GROUP BY {GROUPS}
        HAVING sum(t.change) <> 0;
    END IF;
    RETURN NULL;
END $$;

-- TRUNCATE (the benchmark's fill) fires no row or statement triggers of its own kind.
CREATE FUNCTION insights_ticket_day_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM insights_ticketday;
    RETURN NULL;
END $$;

-- An initiative's tickets count under its product area: moving the area moves their counts.
CREATE FUNCTION insights_initiative_area_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO insights_ticketday ({COLUMNS}, tickets)
    SELECT z.id, (t.created_at AT TIME ZONE z.zone)::date, t.source_team, t.source,
        coalesce(t.product_area_id, 0), coalesce(a.area, 0), t.status = 'new', sum(a.change)
    FROM (
        SELECT n.id, n.product_area_id AS area, 1 AS change
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE o.product_area_id IS DISTINCT FROM n.product_area_id
        UNION ALL
        SELECT o.id, o.product_area_id, -1
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE o.product_area_id IS DISTINCT FROM n.product_area_id
    ) a JOIN intake_ticket t ON t.initiative_id = a.id CROSS JOIN insights_rollupzone z
    GROUP BY {GROUPS}
    HAVING sum(a.change) <> 0;
    RETURN NULL;
END $$;

-- A user who picks a time zone nobody had sees insights in it: its days are counted now.
-- Ticket writes wait meanwhile (a few seconds at a million tickets, once per new zone), so
-- none is missed between the count and the zone's first trigger.
CREATE FUNCTION insights_zone_add() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    added bigint;
BEGIN
    IF NEW.time_zone = '' OR EXISTS (
        SELECT 1 FROM insights_rollupzone WHERE zone = NEW.time_zone
    ) THEN
        RETURN NULL;
    END IF;
    LOCK TABLE intake_ticket, triage_initiative IN SHARE MODE;
    INSERT INTO insights_rollupzone (zone) VALUES (NEW.time_zone)
        ON CONFLICT (zone) DO NOTHING RETURNING id INTO added;
    IF added IS NOT NULL THEN
        INSERT INTO insights_ticketday ({COLUMNS}, tickets)
        SELECT {KEYS}, count(*)
        FROM intake_ticket t LEFT JOIN triage_initiative i ON i.id = t.initiative_id
            JOIN insights_rollupzone z ON z.id = added
        GROUP BY {GROUPS};
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER insights_ticket_day_insert AFTER INSERT ON intake_ticket
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION insights_ticket_day_change();
CREATE TRIGGER insights_ticket_day_update AFTER UPDATE ON intake_ticket
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION insights_ticket_day_change();
CREATE TRIGGER insights_ticket_day_delete AFTER DELETE ON intake_ticket
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION insights_ticket_day_change();
CREATE TRIGGER insights_ticket_day_truncate AFTER TRUNCATE ON intake_ticket
    FOR EACH STATEMENT EXECUTE FUNCTION insights_ticket_day_truncate();
CREATE TRIGGER insights_initiative_area AFTER UPDATE ON triage_initiative
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION insights_initiative_area_change();
CREATE TRIGGER insights_zone_add AFTER INSERT OR UPDATE OF time_zone ON accounts_user
    FOR EACH ROW EXECUTE FUNCTION insights_zone_add();
"""

DROP = """
DROP TRIGGER insights_zone_add ON accounts_user;
DROP TRIGGER insights_initiative_area ON triage_initiative;
DROP TRIGGER insights_ticket_day_truncate ON intake_ticket;
DROP TRIGGER insights_ticket_day_delete ON intake_ticket;
DROP TRIGGER insights_ticket_day_update ON intake_ticket;
DROP TRIGGER insights_ticket_day_insert ON intake_ticket;
DROP FUNCTION insights_zone_add();
DROP FUNCTION insights_initiative_area_change();
DROP FUNCTION insights_ticket_day_truncate();
DROP FUNCTION insights_ticket_day_change();
"""

# The first build: the installation's zone and every user's, then every ticket in each.
ZONES = """
INSERT INTO insights_rollupzone (zone)
SELECT %s UNION SELECT DISTINCT time_zone FROM accounts_user WHERE time_zone <> ''
"""
BUILD = f"""
INSERT INTO insights_ticketday ({COLUMNS}, tickets)
SELECT {KEYS}, count(*)
FROM intake_ticket t LEFT JOIN triage_initiative i ON i.id = t.initiative_id
    CROSS JOIN insights_rollupzone z
GROUP BY {GROUPS}
"""


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0001_initial"),
        ("intake", "0010_ticket_customer_segment"),
        ("triage", "0007_initiative_open_menu"),
    ]

    operations = [
        migrations.CreateModel(
            name="RollupZone",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("zone", models.CharField(max_length=64, unique=True)),
            ],
        ),
        migrations.CreateModel(
            name="TicketDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "zone",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=models.deletion.CASCADE,
                        to="insights.rollupzone",
                    ),
                ),
                ("day", models.DateField()),
                ("source_team", models.CharField(max_length=20)),
                ("source", models.CharField(max_length=10)),
                ("product_area_id", models.IntegerField()),
                ("initiative_area_id", models.IntegerField()),
                ("waiting", models.BooleanField()),
                ("tickets", models.IntegerField()),
            ],
            options={
                "indexes": [models.Index(fields=["zone", "day"], name="ticket_day_zone_day")],
            },
        ),
        migrations.RunSQL(CREATE, DROP),
        migrations.RunSQL([(ZONES, [settings.TIME_ZONE]), BUILD], migrations.RunSQL.noop),
    ]
