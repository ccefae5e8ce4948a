"""People in Chromium: an admin invites a colleague by email, the colleague follows the link, sets
a password and is in; a used link says so; everyone changes their own settings on one page."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from accounts.models import User
from notifications.models import Notification, NotificationKind
from tests.helpers import log_in, screenshots


def test_invite_a_colleague_who_sets_a_password_and_is_in(page, admin_user, browser) -> None:
    log_in(page, "admin")
    page.get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", name="People", exact=True)).to_be_visible()
    page.get_by_label("Email").fill("nora@northwind.example")
    page.get_by_label("First name").fill("Nora")
    page.get_by_label("Role").select_option("product_manager")
    page.get_by_label("Team").select_option("product")
    page.get_by_role("button", name="Send invite").click()
    expect(page.get_by_text("Invited nora@northwind.example")).to_be_visible()
    pending = page.get_by_role("row", name=re.compile("nora@northwind.example"))
    expect(pending).to_contain_text("Product manager")
    expect(pending.get_by_role("button", name="Revoke")).to_be_visible()
    screenshots(page, "people")

    # The invitee, in a browser of their own, follows the emailed link.
    email = Notification.objects.get(kind=NotificationKind.ACCOUNT_INVITE)
    found = re.search(r"/invite/\S+/", email.body_text)
    assert found is not None
    link = found.group(0)
    invitee = browser.new_context(base_url=page.url.split("/people/")[0])
    invitee.set_default_timeout(10_000)
    nora = invitee.new_page()
    nora.set_viewport_size({"width": 390, "height": 844})
    nora.goto(link)
    expect(nora.get_by_text("invited you as a product manager")).to_be_visible()
    expect(nora.get_by_label("Username")).to_have_value("nora")
    nora.get_by_label("Password", exact=True).fill("long-enough-9")
    nora.get_by_label("Password again").fill("not-the-same-9")
    nora.get_by_role("button", name="Set my password and log in").click()
    expect(nora.get_by_text("The two passwords differ")).to_be_visible()
    screenshots(nora, "invite-accept")
    nora.get_by_label("Password", exact=True).fill("long-enough-9")
    nora.get_by_label("Password again").fill("long-enough-9")
    nora.get_by_role("button", name="Set my password and log in").click()
    expect(nora.get_by_text("Welcome to FeedbackLoop, Nora.")).to_be_visible()
    # A product manager now: the (phone's folded) menu has the inbox.
    expect(nora.locator('nav a[href="/triage/inbox/"]')).to_have_count(1)
    user = User.objects.get(username="nora")
    assert user.email == "nora@northwind.example"

    # The link is used up: it says so and points to the log-in.
    nora.goto(link)
    expect(nora.get_by_role("heading", name="This invite was already used")).to_be_visible()
    screenshots(nora, "invite-used")
    invitee.close()

    page.reload()
    expect(page.get_by_text("No invites waiting.")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("nora@northwind.example"))).to_contain_text(
        "Product manager"
    )


def test_a_person_changes_their_time_zone_and_email_settings_on_one_page(page, submitter) -> None:
    log_in(page, "sales")
    page.get_by_role("link", name=submitter.display_name).click()
    expect(page.get_by_role("heading", name="Account")).to_be_visible()
    page.get_by_label("Your time zone").select_option("Asia/Tokyo")
    page.get_by_role("button", name="Save time zone").click()
    expect(page.get_by_text("Times now show in Asia/Tokyo.")).to_be_visible()
    page.get_by_label("A question on your ticket").uncheck()
    page.get_by_role("button", name="Save email settings").click()
    expect(page.get_by_text("Saved your email settings.")).to_be_visible()
    expect(page.get_by_label("A question on your ticket")).not_to_be_checked()
    screenshots(page, "account")
    submitter.refresh_from_db()
    assert submitter.time_zone == "Asia/Tokyo"
