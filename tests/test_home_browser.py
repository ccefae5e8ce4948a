"""A person logs in through Chromium and lands on their home page."""

from __future__ import annotations

from tests.helpers import log_in, screenshot


def test_log_in_and_see_home(page, submitter) -> None:
    page.goto("/")
    assert "/login/" in page.url
    page.get_by_label("Username").fill("sales")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_role("alert").is_visible()
    log_in(page, "sales")
    assert page.get_by_role("heading", name=f"Hello, {submitter.first_name}").is_visible()
    assert page.get_by_text("Submitter").first.is_visible()
    screenshot(page, "home-submitter")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/")
