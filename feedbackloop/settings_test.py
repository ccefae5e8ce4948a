"""The test suite's settings: the normal ones in development mode, tuned for speed.

Tasks run eagerly, with their real code; tests that need a real worker start one on the
Redis (REDIS_URL's, or an embedded one the tests start: tests/worker.py).
"""

import os

os.environ.setdefault("DEBUG", "1")

from feedbackloop.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The webhook tests' receivers listen on 127.0.0.1.
WEBHOOKS_ALLOW_PRIVATE = True
WEBHOOKS_TIMEOUT_SECONDS = 2.0
# One database: the suite's tests roll back transactions no second connection could see, so a
# DATABASE_REPLICA_URL in the environment is ignored; tests/test_replica.py starts a real one.
DATABASES.pop("replica", None)  # noqa: F405
