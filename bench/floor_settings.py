"""The app's settings serving only the floor of `POST /api/tickets/` (bench/floor_urls.py):

    DJANGO_SETTINGS_MODULE=bench.floor_settings gunicorn feedbackloop.wsgi ...

Same database, same pool, same DEBUG, no middleware: a bare Django view doing one insert.
"""

from feedbackloop.settings import *  # noqa: F403

ROOT_URLCONF = "bench.floor_urls"
MIDDLEWARE = []
