from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("triage", "0007_initiative_open_menu"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="initiative",
            index=models.Index(
                fields=["status"], include=("id", "product_area"), name="initiative_status_area"
            ),
        ),
    ]
