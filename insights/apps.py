from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.db import connections
from django.db.models.signals import post_migrate


def _zone_ensure(*, using: str = "default", **kwargs: Any) -> None:
    from insights.rollups import rollups_zone_add

    # Not when the roll-ups' tables are migrated away (`migrate insights zero`).
    if "insights_rollupzone" in connections[using].introspection.table_names():
        rollups_zone_add(settings.TIME_ZONE, using=using)


class InsightsConfig(AppConfig):
    name = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        # After migrate, and after a test database is flushed (which empties the zones too).
        post_migrate.connect(_zone_ensure, sender=self)
