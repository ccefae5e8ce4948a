"""Run by tests/oidc.py in the provider's environment: its tables, its people (from people.json)
and the FeedbackLoop client (id, secret and redirect URIs from the arguments)."""

import json
import sys

import django

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from oauth2_provider.models import Application  # noqa: E402

from tests.oidc_provider.settings import HOME  # noqa: E402


def main() -> None:
    call_command("migrate", verbosity=0)
    people = json.loads((HOME / "people.json").read_text())
    for username, person in people.items():
        user, _ = User.objects.get_or_create(username=username)
        user.set_password(person["password"])
        user.save()
    for client in json.loads(sys.argv[1]):
        Application.objects.update_or_create(
            client_id=client["client_id"],
            defaults={
                "name": client["client_id"],
                "client_secret": client["client_secret"],
                "client_type": Application.CLIENT_CONFIDENTIAL,
                "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
                "redirect_uris": " ".join(client["redirect_uris"]),
                "algorithm": Application.RS256_ALGORITHM,
                "skip_authorization": True,
            },
        )


main()
