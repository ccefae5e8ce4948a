from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import models

from intake.models import Ticket, embedding_size, without_current_vector
from intake.services import embeddings_fill
from triage.models import Initiative


class Command(BaseCommand):
    help = (
        "Store the sentence vector of every ticket and initiative that has none of the current "
        "model (rows filed before similar-feedback search had vectors, loaded in bulk, or "
        "embedded by an older model). Batched, resumable, safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500, help="rows a transaction")

    def handle(self, *args: Any, **options: Any) -> None:
        batch = max(1, options["batch_size"])
        model: type[models.Model]
        for label, model in (("initiatives", Initiative), ("tickets", Ticket)):
            missing = self._missing(model)
            total = model._default_manager.count()
            self.stdout.write(f"{label}: {missing:,} of {total:,} without a vector")
            done, after, batches, start = 0, 0, 0, time.monotonic()
            while (step := embeddings_fill(model=model, after=after, batch=batch)) is not None:
                after, written = step
                done += written
                batches += 1
                if batches % 20 == 0:
                    self.stdout.write(f"  {done:,} of {missing:,}")
            left = self._missing(model)
            self.stdout.write(
                f"{label}: {done:,} embedded in {time.monotonic() - start:.1f}s; {left:,} left"
            )

    @staticmethod
    def _missing(model: type[models.Model]) -> int:
        rows = model._default_manager.annotate(embedding_size=embedding_size())
        return rows.filter(without_current_vector()).count()
