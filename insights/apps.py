from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.db import connections, router
from django.db.models.signals import post_migrate


def _zone_ensure(*, using: str = "default", **kwargs: Any) -> None:
    from insights.models import RollupZone
    from insights.rollups import rollups_zone_add

    # Only where the schema is migrated (not a read replica), and not when the roll-ups'
    # tables were migrated away (`migrate insights zero`).
    if (
        router.allow_migrate_model(using, RollupZone)
        and "insights_rollupzone" in connections[using].introspection.table_names()
    ):
        rollups_zone_add(settings.TIME_ZONE, using=using)


class InsightsConfig(AppConfig):
    name = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        # After migrate, and after a test database is flushed (which empties the zones too).
        post_migrate.connect(_zone_ensure, sender=self)
