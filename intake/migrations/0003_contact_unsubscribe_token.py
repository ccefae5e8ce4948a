import secrets

from django.contrib.postgres.functions import RandomUUID
from django.db import migrations, models
from django.db.models.functions import Cast

import intake.models


def fill_tokens(apps, schema_editor):  # type: ignore[no-untyped-def]
    Contact = apps.get_model("intake", "Contact")
    for contact in Contact.objects.filter(unsubscribe_token__isnull=True).only("pk"):
        contact.unsubscribe_token = secrets.token_urlsafe(24)
        contact.save(update_fields=["unsubscribe_token"])


class Migration(migrations.Migration):
    dependencies = [("intake", "0002_initial")]

    operations = [
        migrations.AddField(
            model_name="contact",
            name="unsubscribe_token",
            field=models.CharField(max_length=64, null=True, editable=False),
        ),
        migrations.RunPython(fill_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="contact",
            name="unsubscribe_token",
            field=models.CharField(
                default=intake.models.new_unsubscribe_token,
                db_default=Cast(RandomUUID(), output_field=models.CharField()),
                editable=False,
                max_length=64,
                unique=True,
            ),
        ),
    ]
