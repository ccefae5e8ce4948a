"""Staff see their notices in the app, with an unread count in the navigation."""

from __future__ import annotations

import pytest

from intake.models import CommentKind
from intake.services import comment_add
from intake.tests.factories import TicketFactory
from notifications.models import Notice, Notification

pytestmark = pytest.mark.django_db


def test_a_question_shows_up_in_the_submitters_notices(client, submitter, pm) -> None:
    ticket = TicketFactory.create(submitted_by=submitter, title="<i>CSV</i> export")
    comment_add(ticket=ticket, author=pm, body="Which invoices?", kind=CommentKind.QUESTION)
    client.force_login(submitter)
    home = client.get("/").content.decode()
    assert 'aria-label="1 unread"' in home
    page = client.get("/notices/").content.decode()
    assert "asked about" in page
    assert "&lt;i&gt;CSV&lt;/i&gt;" in page
    notice = Notice.objects.get(user=submitter)
    assert f'href="/notices/{notice.pk}/"' in page

    response = client.post("/notices/read/")
    assert response.status_code == 302
    assert Notice.objects.filter(user=submitter, read_at__isnull=True).count() == 0
    assert "unread" not in client.get("/").content.decode()


def test_notices_are_private_and_the_list_is_fixed_cost(
    client, submitter, other_submitter, pm, django_assert_max_num_queries
) -> None:
    for _ in range(3):
        ticket = TicketFactory.create(submitted_by=submitter)
        comment_add(ticket=ticket, author=pm, body="?", kind=CommentKind.QUESTION)
    client.force_login(other_submitter)
    assert "Nothing yet" in client.get("/notices/").content.decode()
    client.force_login(submitter)
    with django_assert_max_num_queries(8) as few:
        client.get("/notices/")
    for _ in range(20):
        ticket = TicketFactory.create(submitted_by=submitter)
        comment_add(ticket=ticket, author=pm, body="?", kind=CommentKind.QUESTION)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/notices/")


def test_opening_a_notice_reads_it_and_goes_where_it_points(client, submitter, pm) -> None:
    ticket = TicketFactory.create(submitted_by=submitter)
    comment_add(ticket=ticket, author=pm, body="Which invoices?", kind=CommentKind.QUESTION)
    comment_add(ticket=ticket, author=pm, body="And which format?", kind=CommentKind.QUESTION)
    first, second = Notice.objects.filter(user=submitter).order_by("id")
    client.force_login(submitter)
    assert 'aria-label="2 unread"' in client.get("/").content.decode()
    response = client.get(f"/notices/{first.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/intake/tickets/{ticket.pk}/"
    first.refresh_from_db()
    assert first.read_at is not None
    assert 'aria-label="1 unread"' in client.get(response["Location"]).content.decode()
    read_at = first.read_at
    client.get(f"/notices/{first.pk}/")  # again: read when it was first opened
    first.refresh_from_db()
    assert first.read_at == read_at
    # Someone else's notice is as good as missing, and stays unread.
    client.force_login(pm)
    assert client.get(f"/notices/{second.pk}/").status_code == 404
    second.refresh_from_db()
    assert second.read_at is None


def test_the_notice_email_links_through_the_notice(submitter, pm, settings) -> None:
    ticket = TicketFactory.create(submitted_by=submitter)
    comment_add(ticket=ticket, author=pm, body="Which invoices?", kind=CommentKind.QUESTION)
    notice = Notice.objects.get(user=submitter)
    email = Notification.objects.get(recipient_user=submitter)
    assert f"{settings.SITE_URL}/notices/{notice.pk}/" in email.body_text
    assert f'href="{settings.SITE_URL}/notices/{notice.pk}/"' in email.body_html


def test_answering_a_question_reads_its_notice(submitter, pm) -> None:
    ticket = TicketFactory.create(submitted_by=submitter)
    other = TicketFactory.create(submitted_by=submitter)
    comment_add(ticket=ticket, author=pm, body="Which invoices?", kind=CommentKind.QUESTION)
    comment_add(ticket=other, author=pm, body="Which plan?", kind=CommentKind.QUESTION)
    comment_add(ticket=ticket, author=submitter, body="All of them.", kind=CommentKind.ANSWER)
    unread = Notice.objects.filter(user=submitter, read_at__isnull=True)
    assert list(unread.values_list("url", flat=True)) == [f"/intake/tickets/{other.pk}/"]
