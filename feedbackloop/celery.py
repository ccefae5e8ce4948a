"""The Celery app: broker REDIS_URL, JSON only, late acks; settings under CELERY_* in settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "feedbackloop.settings")

app = Celery("feedbackloop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
