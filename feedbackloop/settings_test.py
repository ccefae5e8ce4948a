"""The test suite's settings: the normal ones in development mode, tuned for speed.

Tasks run eagerly, with their real code; tests that need a real worker start one on the
broker (Redis when REDIS_URL is set, Celery's in-memory transport otherwise).
"""

import os

os.environ.setdefault("DEBUG", "1")

from feedbackloop.settings import *  # noqa: F403
from feedbackloop.settings import REDIS_URL

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = REDIS_URL or "memory://"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
