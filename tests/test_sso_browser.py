"""Single sign-on in Chromium: a colleague signs in through the company's provider (a real
OpenID Connect provider on a local port), on its own page, and lands on FeedbackLoop's home
page with the role their group maps to; someone from another company is told why not."""

from __future__ import annotations

from playwright.sync_api import expect

from accounts.models import Role, Team, User
from sso.models import GroupMapping
from tests.helpers import screenshots


def _through_the_provider(page, username: str, password: str, shot: str = "login-sso") -> None:
    page.goto("/login/")
    screenshots(page, shot)
    page.get_by_role("link", name="Sign in with Northwind SSO").click()
    expect(page.get_by_role("heading", name="Test Identity Provider")).to_be_visible()
    page.get_by_label("Provider username").fill(username)
    page.get_by_label("Provider password").fill(password)
    page.get_by_role("button", name="Sign in to the provider").click()


def test_a_colleague_signs_in_through_the_provider_and_lands_home(page, live_server, oidc) -> None:
    GroupMapping.objects.create(group="fl-product", role=Role.PRODUCT_MANAGER, team=Team.PRODUCT)
    _through_the_provider(page, "nora", "nora-pw-123")
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("link", name="Nora Lindqvist")).to_be_visible()
    expect(page.locator('nav a[href="/triage/inbox/"]')).to_have_count(1)
    assert User.objects.get(username="nora").role == Role.PRODUCT_MANAGER


def test_someone_from_another_company_is_told_why_not(page, live_server, oidc, settings) -> None:
    settings.SSO_ONLY = True
    page.goto("/login/")
    expect(page.get_by_label("Password")).to_have_count(0)
    _through_the_provider(page, "eve", "eve-pw-123", shot="login-sso-only")
    expect(page.get_by_role("heading", name="Not a company account")).to_be_visible()
    expect(
        page.get_by_text("eve@elsewhere.example is not an address of the company")
    ).to_be_visible()
    screenshots(page, "sso-refused")
    assert not User.objects.exists()


def test_an_admin_connects_provisioning_with_a_scim_token(page, live_server, admin_user) -> None:
    import json
    import re
    import urllib.request

    from tests.helpers import log_in

    log_in(page, "admin")
    page.get_by_role("link", name="People").click()
    page.get_by_role("link", name="Provisioning (SCIM)").click()
    expect(page.get_by_text(f"{live_server.url}/scim/v2/")).to_have_count(0)  # SITE_URL's, not ours
    page.get_by_label("Token name").fill("Okta")
    page.get_by_role("button", name="Create token").click()
    key = page.get_by_label("The new SCIM token").input_value()
    assert key.startswith("scim_")
    screenshots(page, "scim-tokens")
    request = urllib.request.Request(
        f"{live_server.url}/scim/v2/Users", headers={"Authorization": f"Bearer {key}"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert json.loads(answer.read())["totalResults"] == 1  # the admin
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("row", name=re.compile("Okta")).get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("Revoked “Okta”")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Okta"))).to_contain_text("Revoked")
