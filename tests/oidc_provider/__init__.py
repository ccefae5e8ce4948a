"""A real OpenID Connect provider for the tests: django-oauth-toolkit with OIDC on (RS256, PKCE,
discovery, userinfo), its own SQLite database and its own login page, run as a subprocess on a
free port by tests/oidc.py. Its people and their claims come from a JSON file the tests write."""
