"""The one DRF token each person had becomes a named API token (its key still works, now kept
only as its SHA-256), and DRF's plain-text copy is deleted."""

import hashlib

from django.db import migrations


def forwards(apps, schema_editor):
    Token = apps.get_model("authtoken", "Token")
    ApiToken = apps.get_model("people", "ApiToken")
    for old in Token.objects.all().iterator():
        ApiToken.objects.get_or_create(
            key_hash=hashlib.sha256(old.key.encode()).hexdigest(),
            defaults={
                "user_id": old.user_id,
                "name": "API token (from before named tokens)",
                "prefix": old.key[:8],
                "created_at": old.created,
            },
        )
    Token.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0002_api_tokens"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
