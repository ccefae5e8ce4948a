"""Webhooks in Chromium: an admin registers an endpoint (a local receiver that checks the
signature), sees a ticket's delivery in its log, and sends it again; the receiver gets the same
event twice, signed both times."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.helpers import log_in, screenshots
from tests.webhooks import receiving
from webhooks.models import WebhookEndpoint
from webhooks.tests.test_delivery import file_ticket


def test_an_admin_registers_an_endpoint_sees_a_delivery_and_sends_it_again(
    page, admin_user, submitter
) -> None:
    with receiving() as receiver:
        log_in(page, "admin")
        page.get_by_role("link", name="Channels").click()
        page.get_by_role("link", name="Webhooks").click()
        expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
        expect(page.get_by_text("No endpoints yet")).to_be_visible()
        page.get_by_role("link", name="Register an endpoint").click()
        page.get_by_label("Address").fill(receiver.url())
        # The offered secret is what the receiver will check with.
        secret = page.get_by_label("Secret").input_value()
        assert len(secret) == 64
        receiver.secret = secret
        page.get_by_label("Every event").uncheck()
        page.get_by_label(re.compile(r"ticket\.created")).check()
        page.get_by_label("What it is for").fill("The roadmap tool")
        screenshots(page, "webhook-new")
        page.get_by_role("button", name="Register").click()
        expect(page.get_by_text(f"Registered {receiver.url()}")).to_be_visible()
        expect(page.get_by_text("No deliveries yet")).to_be_visible()
        assert WebhookEndpoint.objects.get().events == ["ticket.created"]

        # A rep files a ticket: it goes to the endpoint once the filing commits.
        ticket = file_ticket(submitter)
        page.reload()
        row = page.locator("tr[data-delivery]")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("ticket.created")
        expect(row).to_contain_text("Sent")
        expect(row).to_contain_text("HTTP 200")
        screenshots(page, "webhook-log")

        row.get_by_role("button", name="Send again").click()
        expect(
            page.get_by_text(f"Sending ticket.created to {receiver.url()} again.")
        ).to_be_visible()
        expect(page.locator("tr[data-delivery]")).to_have_count(2)
        expect(page.locator("tr[data-delivery]").first).to_contain_text("Sent")

        got = receiver.at()
        assert len(got) == 2
        assert all(r.signature_ok for r in got)
        assert got[0].delivery_id == got[1].delivery_id
        assert got[0].body == got[1].body
        assert got[0].json["data"]["id"] == ticket.pk

        page.get_by_role("main").get_by_role("link", name="Webhooks", exact=True).click()
        expect(page.locator("tr[data-endpoint]")).to_contain_text("Active")
        screenshots(page, "webhooks")

        # Removing asks first.
        page.get_by_role("link", name="Delivery log").click()
        page.get_by_role("link", name="Remove").click()
        expect(page.get_by_role("heading", name="Remove this webhook?")).to_be_visible()
        screenshots(page, "webhook-remove")
        page.get_by_role("button", name="Remove it").click()
        expect(page.get_by_text("nothing more is sent to it")).to_be_visible()
        assert not WebhookEndpoint.objects.exists()
