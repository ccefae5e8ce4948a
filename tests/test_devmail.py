"""Development mail: with DEBUG on and no EMAIL_URL each email is an .eml file, and the "Sent
mail" page (admins and staff, DEBUG only) shows it as its recipient sees it — the HTML in a
sandboxed frame whose links work, the text, the headers, the attachments to download."""

from __future__ import annotations

import re
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from django.core.mail import EmailMultiAlternatives
from django.test import Client
from playwright.sync_api import expect

from accounts.models import User
from feedbackloop.devmail import sent_get, sent_names
from intake.models import Contact
from intake.tests.factories import ContactFactory, CustomerFactory, TicketFactory
from tests.helpers import log_in, screenshots
from triage.services import initiative_move, initiative_ship, ticket_link
from triage.tests.factories import InitiativeFactory

ICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"


@pytest.fixture
def mailbox(settings: Any, tmp_path: Path) -> Path:
    """Development's mail settings (the suite's are Django's in-memory outbox)."""
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "feedbackloop.devmail.EmlBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    return tmp_path / "mail"


def send(subject: str, *, html: str = "", ics: bool = False, to: str = "ops@acme.example") -> None:
    message = EmailMultiAlternatives(subject, f"Text of {subject}", "app@example.com", [to])
    if html:
        message.attach_alternative(html, "text/html")
    if ics:
        message.attach("invite.ics", ICS, "text/calendar; method=REQUEST")
    message.send()


def as_user(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_each_message_is_one_eml_file_newest_first(mailbox: Path) -> None:
    send("First")
    send("Second", html="<p>Hello <b>there</b></p>", ics=True)

    names = sent_names()
    assert len(names) == 2
    assert sorted(p.name for p in mailbox.iterdir()) == sorted(names)
    parsed = message_from_bytes((mailbox / names[0]).read_bytes())
    assert parsed["Subject"] == "Second"
    shown = sent_get(names[0])
    assert shown is not None
    assert "<b>there</b>" in shown.html
    assert shown.text == "Text of Second"
    [attachment] = shown.attachments
    assert (attachment.filename, attachment.content_type) == ("invite.ics", "text/calendar")


def test_the_page_is_for_admins_and_staff_in_debug_only(
    mailbox: Path, settings: Any, admin_user: User, pm: User, submitter: User
) -> None:
    send("Hello")
    name = sent_names()[0]
    staff = pm
    staff.is_staff = True
    staff.save()
    paths = ["/dev/mail/", f"/dev/mail/{name}/", f"/dev/mail/{name}/raw/"]
    for path in paths:
        assert as_user(admin_user).get(path).status_code == 200
        assert as_user(staff).get(path).status_code == 200
        assert as_user(submitter).get(path).status_code == 404
    settings.DEBUG = False
    for path in paths:
        assert as_user(admin_user).get(path).status_code == 404


def test_the_menu_links_it_only_in_debug(mailbox: Path, settings: Any, admin_user: User) -> None:
    assert b'href="/dev/mail/"' in as_user(admin_user).get("/").content
    settings.DEBUG = False
    assert b'href="/dev/mail/"' not in as_user(admin_user).get("/").content


@pytest.mark.parametrize(
    "name",
    ["..%2F..%2Fsettings.py", "x.eml", "20260101-000000-000000-0123abcd.eml", ".hidden.eml"],
)
def test_only_the_backends_own_files_are_read(mailbox: Path, admin_user: User, name: str) -> None:
    send("Hello")
    (mailbox / "x.eml").write_text("Subject: not ours\n\nhi")
    assert as_user(admin_user).get(f"/dev/mail/{name}/").status_code == 404


def test_an_attachment_is_a_download_and_stored_html_is_never_run_in_the_page(
    mailbox: Path, admin_user: User
) -> None:
    send("Invite", html='<p>Hi</p><script>alert("x")</script>', ics=True)
    name = sent_names()[0]
    client = as_user(admin_user)

    page = client.get(f"/dev/mail/{name}/").content.decode()
    # The message's HTML is only inside the sandboxed frame's srcdoc, escaped.
    assert "<script>alert" not in page
    assert re.search(r'<iframe[^>]+sandbox="allow-popups allow-popups-to-escape-sandbox"', page)
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page

    download = client.get(f"/dev/mail/{name}/attachments/0/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"] == 'attachment; filename="invite.ics"'
    assert download.content.replace(b"\r\n", b"\n") == ICS.replace("\r\n", "\n").encode()
    assert client.get(f"/dev/mail/{name}/attachments/1/").status_code == 404


def test_the_list_pages_by_25(mailbox: Path, admin_user: User) -> None:
    for n in range(30):
        send(f"Message {n:02d}")
    client = as_user(admin_user)
    first = client.get("/dev/mail/").content.decode()
    assert first.count('href="/dev/mail/2') == 25  # file names start with the year
    assert "Message 29" in first
    assert "Page 1 of 2 · 30 emails" in first
    second = client.get("/dev/mail/?page=2").content.decode()
    assert "Message 00" in second
    assert "Message 29" not in second


def test_an_admin_reads_a_shipped_email_and_follows_its_unsubscribe_link(
    page: Any, live_server: Any, mailbox: Path, settings: Any, admin_user: User, pm: User, submitter
) -> None:
    settings.SITE_URL = live_server.url
    admin_user.set_password("pw")
    admin_user.save()
    log_in(page, "admin")
    page.get_by_role("link", name="Sent mail").click()
    expect(page.get_by_role("heading", name="No mail yet")).to_be_visible()
    screenshots(page, "sent-mail-empty")

    initiative = InitiativeFactory.create(title="CSV export for invoices")
    customer = CustomerFactory.create(name="Acme", name_key="acme")
    contact = ContactFactory.create(customer=customer, name="Acme Ops", email="ops@acme.example")
    ticket = TicketFactory.create(
        title="Invoices as CSV", customer=customer, contact=contact, submitted_by=submitter
    )
    ticket_link(ticket=ticket, initiative=initiative, by=pm)
    for status in ("planned", "in_progress"):
        initiative_move(initiative=initiative, by=pm, status=status)
    initiative_ship(initiative=initiative, by=pm, release_note="Export any invoice list as CSV.")

    page.reload()
    row = page.get_by_role("row", name=re.compile("ops@acme.example"))
    expect(row).to_contain_text("You asked, we shipped")
    screenshots(page, "sent-mail-list")
    row.get_by_role("link").click()
    expect(page.locator(".mail-fields").first).to_contain_text("ops@acme.example")
    frame = page.frame_locator("iframe.mail-frame")
    expect(frame.get_by_text("Export any invoice list as CSV.")).to_be_visible()
    expect(page.locator(".mail-text")).to_contain_text("Export any invoice list as CSV.")
    screenshots(page, "sent-mail-message")

    # The link opens in a new tab (the frame is sandboxed) on this server: links follow SITE_URL.
    with page.context.expect_page() as opened:
        frame.get_by_role("link", name=re.compile("nsubscribe")).click()
    unsubscribe = opened.value
    unsubscribe.wait_for_load_state()
    assert unsubscribe.url.startswith(f"{live_server.url}/unsubscribe/")
    unsubscribe.get_by_role("button", name=re.compile("nsubscribe")).click()
    expect(unsubscribe.get_by_text(re.compile("unsubscribed", re.IGNORECASE))).to_be_visible()
    assert Contact.objects.get(pk=contact.pk).unsubscribed_at is not None
