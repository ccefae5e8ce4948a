from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    # Built without locking the table against writes (a million tickets take a while).
    atomic = False

    dependencies = [
        ("intake", "0010_ticket_customer_segment"),
        ("triage", "0007_initiative_open_menu"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("status", "new")),
                fields=["created_at"],
                include=("source_team", "source", "product_area"),
                name="ticket_waiting_since",
            ),
        ),
        AddIndexConcurrently(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("status__in", ["linked", "duplicate"])),
                fields=["initiative"],
                include=(
                    "id",
                    "customer",
                    "contact",
                    "source_team",
                    "source",
                    "product_area",
                    "created_at",
                    "customer_segment",
                ),
                name="ticket_counted_by_initiative",
            ),
        ),
        AddIndexConcurrently(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("status__in", ["linked", "duplicate"])),
                fields=["initiative", "created_at"],
                include=("source_team", "customer_segment"),
                name="ticket_counted_recent",
            ),
        ),
        AddIndexConcurrently(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("status__in", ["linked", "duplicate"])),
                fields=["created_at"],
                include=("initiative", "source_team", "customer_segment"),
                name="ticket_counted_since",
            ),
        ),
    ]
