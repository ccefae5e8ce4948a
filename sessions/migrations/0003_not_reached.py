from django.db import migrations, models

# What closing a session wrote on every undecided item before "not reached" had a value of its
# own: a deferral by the closer, with this rationale.
AUTOMATIC = "Not reached in the meeting."


def mark_not_reached(apps, schema_editor):
    """The automatic deferrals of sessions closed before now become "not reached", with no
    decider: they were never anyone's decision."""
    AgendaItem = apps.get_model("feedback_sessions", "AgendaItem")
    AgendaItem.objects.filter(decision="defer", rationale=AUTOMATIC).update(
        decision="not_reached", decided_by=None, decided_at=None
    )


def unmark_not_reached(apps, schema_editor):
    AgendaItem = apps.get_model("feedback_sessions", "AgendaItem")
    for item in AgendaItem.objects.filter(decision="not_reached").select_related("session"):
        item.decision = "defer"
        item.decided_by_id = item.session.facilitator_id
        item.decided_at = item.session.closed_at
        item.save(update_fields=["decision", "decided_by", "decided_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("feedback_sessions", "0002_same_ask_decision"),
    ]

    operations = [
        migrations.AlterField(
            model_name="agendaitem",
            name="decision",
            field=models.CharField(
                blank=True,
                choices=[
                    ("create_initiative", "Create an initiative"),
                    ("link", "Link to an initiative"),
                    ("same_ask", "Same ask as a waiting ticket"),
                    ("plan", "Plan it"),
                    ("decline", "Decline"),
                    ("defer", "Defer to the next review"),
                    ("needs_research", "Needs research"),
                    ("not_reached", "Not reached"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(mark_not_reached, unmark_not_reached),
    ]
