"""API tokens in Chromium: a rep makes a token on their Account page, sees it once, the API takes
it, and revoking it stops it; an admin sees everyone's tokens and revokes one."""

from __future__ import annotations

import re
import urllib.error
import urllib.request

from playwright.sync_api import expect

from people.services import api_token_create
from tests.helpers import log_in, screenshots


def _api_status(base: str, key: str) -> int:
    request = urllib.request.Request(
        f"{base}/api/tickets/", headers={"Authorization": f"Token {key}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_a_rep_makes_uses_and_revokes_a_token(page, live_server, submitter) -> None:
    log_in(page, "sales")
    page.get_by_role("link", name=submitter.display_name).click()
    page.get_by_label("Token name").fill("CRM sync")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_text("Created the token “CRM sync”. Copy it now.")).to_be_visible()
    key = page.get_by_label("Your new token").input_value()
    assert key.startswith("fl_")
    screenshots(page, "account-new-token")
    assert _api_status(live_server.url, key) == 200

    page.goto("/account/")
    expect(page.get_by_label("Your new token")).to_have_count(0)
    row = page.get_by_role("row", name=re.compile("CRM sync"))
    expect(row).to_contain_text(key[:8])
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("Revoked “CRM sync”: it no longer works.")).to_be_visible()
    expect(page.get_by_text("No tokens yet.")).to_be_visible()
    assert _api_status(live_server.url, key) == 401


def test_an_admin_revokes_a_colleagues_token(page, live_server, admin_user, submitter) -> None:
    _, key = api_token_create(user=submitter, name="Old laptop")
    log_in(page, "admin")
    page.get_by_role("link", name="People").click()
    page.get_by_role("link", name="API tokens").click()
    row = page.get_by_role("row", name=re.compile("Old laptop"))
    expect(row).to_contain_text(submitter.display_name)
    screenshots(page, "api-tokens")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("Revoked “Old laptop”: it no longer works.")).to_be_visible()
    expect(page.get_by_role("heading", name="No API tokens")).to_be_visible()
    assert _api_status(live_server.url, key) == 401
