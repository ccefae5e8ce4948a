"""Staff see their notices in the app, with an unread count in the navigation."""

from __future__ import annotations

import pytest

from intake.models import CommentKind
from intake.services import comment_add
from intake.tests.factories import TicketFactory
from notifications.models import Notice

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
    assert f'href="/intake/tickets/{ticket.pk}/"' in page

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
