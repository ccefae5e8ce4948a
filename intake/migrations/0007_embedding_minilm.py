"""The sentence model changed (wordllama, 256 dimensions -> all-MiniLM-L6-v2, 384; see
core.embeddings): a vector of the old model cannot be compared with the new ones, so it is
dropped, and the ticket is found by its words and embedded on the spot until
`manage.py embed_backfill` stores its new vector."""

from django.db import migrations

OLD_VECTORS_DROPPED = (
    "UPDATE intake_ticket SET embedding = NULL "
    "WHERE embedding IS NOT NULL AND octet_length(embedding) <> 1536"
)


class Migration(migrations.Migration):
    dependencies = [("intake", "0006_ticket_source")]

    operations = [migrations.RunSQL(OLD_VECTORS_DROPPED, migrations.RunSQL.noop)]
