"""`manage.py scim_token create NAME` prints a new SCIM bearer token (for automation);
`list` shows them, `revoke PREFIX` revokes one."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import DomainError
from sso.models import ScimToken
from sso.provisioning import scim_token_create, scim_token_revoke


class Command(BaseCommand):
    help = "Create, list or revoke the bearer tokens your identity provider's SCIM client uses."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="print a new token (shown once)")
        create.add_argument("name", help="what it is for, such as okta")
        sub.add_parser("list", help="the tokens, live and revoked")
        revoke = sub.add_parser("revoke", help="revoke a token by the first characters shown")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            try:
                _, key = scim_token_create(name=options["name"], by=None)
            except DomainError as error:
                raise CommandError(error.message) from error
            self.stdout.write(key)
        elif action == "list":
            for token in ScimToken.objects.all():
                state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "live"
                self.stdout.write(f"{token.prefix}…  {token.name}  ({state})")
        else:
            live = ScimToken.objects.filter(
                prefix=options["prefix"].rstrip("…"), revoked_at__isnull=True
            ).first()
            if live is None:
                raise CommandError(f"No live SCIM token starts with {options['prefix']!r}.")
            scim_token_revoke(token=live, by=None)
            self.stdout.write(f"Revoked {live.name}.")
