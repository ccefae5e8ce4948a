#!/usr/bin/env python
"""Django's command-line utility, with start-up errors reduced to one clear line."""

import os
import sys

# These run without a database, or check it themselves (start checks Redis first).
COMMANDS_WITHOUT_DATABASE = {"help", "check", "makemigrations", "collectstatic", "start"}
# These write tickets or vectors, so the embedding model must load (start checks it itself).
COMMANDS_WITH_MODEL = {"runserver", "embed_backfill", "seed_demo"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "feedbackloop.settings")
    from django.conf import settings
    from django.core.management import execute_from_command_line

    from feedbackloop.config import (
        ConfigError,
        check_database,
        check_model,
        exit_on_config_error,
    )

    command = sys.argv[1] if len(sys.argv) > 1 else "help"
    try:
        settings.INSTALLED_APPS  # noqa: B018 -- load settings here so their errors are ours
        if command not in COMMANDS_WITHOUT_DATABASE:
            check_database()
        if command in COMMANDS_WITH_MODEL:
            check_model()
        execute_from_command_line(sys.argv)
    except ConfigError as error:
        exit_on_config_error(error)


if __name__ == "__main__":
    main()
