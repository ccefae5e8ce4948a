"""The audit log in Chromium: an admin signs in, finds their own sign-in and a colleague's failed
one on /audit/, narrows the list and downloads it."""

from __future__ import annotations

import csv
import io
import re

from playwright.sync_api import expect

from audit.actions import Action
from audit.models import AuditEvent
from tests.helpers import log_in, screenshots


def test_an_admin_reads_filters_and_downloads_the_audit_log(page, admin_user, submitter) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill("sales")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    log_in(page, "admin")
    page.get_by_role("link", name="People").click()
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    failed = page.get_by_role("row", name=re.compile("Sign-in failed"))
    expect(failed).to_contain_text("sales")
    expect(page.get_by_role("row", name=re.compile("Signed in"))).to_contain_text("admin")
    screenshots(page, "audit-log")

    page.get_by_label("What").select_option("auth.login_failed")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("row", name=re.compile("Signed in"))).to_have_count(0)
    expect(page.get_by_role("row", name=re.compile("Sign-in failed"))).to_have_count(1)

    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download CSV").click()
    download = waiting.value
    with open(download.path(), encoding="utf-8") as handle:
        rows = list(csv.reader(io.StringIO(handle.read())))
    assert [row[2] for row in rows[1:]] == ["auth.login_failed"]
    assert AuditEvent.objects.filter(action=Action.DATA_EXPORTED).count() == 1

    page.get_by_label("What").select_option("scoring.weights_changed")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("heading", name="No events match")).to_be_visible()
    screenshots(page, "audit-log-empty")
