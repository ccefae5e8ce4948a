"""The claims of each person, from the JSON file the tests write (people.json): email,
email_verified, names, groups, whatever a test wants the provider to say."""

import json

from oauth2_provider.oauth2_validators import OAuth2Validator

from tests.oidc_provider.settings import HOME


class Validator(OAuth2Validator):  # type: ignore[misc]
    oidc_claim_scope = None  # every claim, whatever the scopes

    def get_additional_claims(self, request):
        people = json.loads((HOME / "people.json").read_text())
        return dict(people.get(request.user.username, {}).get("claims", {}))
