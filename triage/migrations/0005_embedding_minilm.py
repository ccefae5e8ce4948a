"""The sentence model changed (wordllama, 256 dimensions -> all-MiniLM-L6-v2, 384; see
core.embeddings): an initiative's vector of the old model is dropped, to be stored again by
`manage.py embed_backfill` (until then it is found by its words and embedded on the spot)."""

from django.db import migrations

OLD_VECTORS_DROPPED = (
    "UPDATE triage_initiative SET embedding = NULL "
    "WHERE embedding IS NOT NULL AND octet_length(embedding) <> 1536"
)


class Migration(migrations.Migration):
    dependencies = [("triage", "0004_embedding")]

    operations = [migrations.RunSQL(OLD_VECTORS_DROPPED, migrations.RunSQL.noop)]
