from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from triage.models import Initiative
from triage.scoring import initiatives_rescore_all


class Command(BaseCommand):
    help = "Recompute every initiative's priority score from its tickets and the current weights."

    def handle(self, *args: Any, **options: Any) -> None:
        changed = initiatives_rescore_all()
        total = Initiative.objects.count()
        self.stdout.write(f"Rescored {total} initiatives; {changed} changed.")
