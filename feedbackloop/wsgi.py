import os

from django.core.wsgi import get_wsgi_application

from feedbackloop.config import ConfigError, check_database, check_model, exit_on_config_error

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "feedbackloop.settings")

try:
    application = get_wsgi_application()
    check_database()
    check_model()
except ConfigError as error:
    exit_on_config_error(error)
