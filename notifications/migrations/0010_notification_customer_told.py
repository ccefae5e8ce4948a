from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    # Built without locking the table against writes.
    atomic = False

    dependencies = [
        ("notifications", "0009_webhook_kinds"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="notification",
            index=models.Index(
                condition=models.Q(("kind", "customer_shipped"), ("status", "sent")),
                fields=["initiative", "contact", "-created_at", "-id"],
                include=("sent_at",),
                name="notification_customer_told",
            ),
        ),
    ]
