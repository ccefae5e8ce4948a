"""The intake pages: filing through the form, lists in fixed queries, escaping, who may edit."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from intake.models import Ticket, TicketStatus
from intake.tests.factories import TicketFactory
from triage.models import Initiative

pytestmark = pytest.mark.django_db

FORM = {
    "title": "Export invoices as CSV",
    "description": "Finance needs every invoice as CSV.",
    "company": "Acme Corp",
    "contact_name": "Jane Doe",
    "email": "jane@acme.example",
    "source_team": "sales",
    "kind": "feature_request",
    "importance": "critical",
    "revenue_at_stake": "",
    "product_area": "",
    "tags": "billing, export",
}


def test_filing_through_the_form(client, submitter) -> None:
    client.force_login(submitter)
    page = client.get("/intake/new/")
    assert page.status_code == 200
    assert 'value="sales" selected' in page.content.decode()  # defaults to the submitter's team
    response = client.post("/intake/new/", FORM)
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/intake/tickets/{ticket.pk}/"
    assert ticket.tags == ["billing", "export"]
    assert ticket.submitted_by == submitter
    assert ticket.source == "web"
    assert ticket.customer.segment == "other"  # no segment chosen
    assert ticket.source_reference == ""


def test_the_list_filters_by_source_and_the_page_says_where_a_ticket_came_from(
    client, submitter
) -> None:
    sent = timezone.now() - datetime.timedelta(days=2)
    emailed = TicketFactory.create(
        title="Bulk export",
        source="email",
        source_reference="<CAF=x1@mail.gmail.com>",
        source_sender="Jo Park <jo@acme.example>",
        source_sent_at=sent,
    )
    TicketFactory.create(title="Dark mode")
    client.force_login(submitter)
    html = client.get("/intake/tickets/", {"source": "email"}).content.decode()
    assert "Bulk export" in html
    assert "Dark mode" not in html
    assert "by Email" in html
    page = client.get(f"/intake/tickets/{emailed.pk}/").content.decode()
    assert "Forwarded by email on" in page
    assert "from Jo Park &lt;jo@acme.example&gt;" in page  # escaped, as all stored text
    assert "Message-ID &lt;CAF=x1@mail.gmail.com&gt;" in page
    assert f"(sent {sent.astimezone(timezone.get_current_timezone()):%b} " in page


def test_a_new_customer_gets_the_segment_chosen_on_the_form(client, submitter) -> None:
    client.force_login(submitter)
    assert 'name="segment"' in client.get("/intake/new/").content.decode()
    response = client.post("/intake/new/", {**FORM, "segment": "mid_market"})
    assert response.status_code == 302
    assert Ticket.objects.get().customer.segment == "mid_market"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("description", "", "This field is required."),
        ("description", "x" * 10_001, "at most 10000 characters"),
        ("email", "jane@", "Enter a valid email address."),
        ("company", "    ", "This field is required."),
        ("revenue_at_stake", "-5", "greater than or equal to 0"),
        ("revenue_at_stake", "abc", "Enter a number."),
        ("importance", "urgent", "Select a valid choice."),
        ("source_team", "marketing", "Select a valid choice."),
        ("segment", "huge", "Select a valid choice."),
    ],
)
def test_a_rejected_form_explains_keeps_input_and_stores_nothing(
    client, submitter, field, value, message
) -> None:
    client.force_login(submitter)
    response = client.post("/intake/new/", {**FORM, field: value})
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert 'value="Export invoices as CSV"' in html  # what was typed is kept
    assert Ticket.objects.count() == 0


def test_a_refusal_by_the_service_is_a_400_beside_its_field(client, submitter) -> None:
    """The form passes tags through; ticket_create refuses them, answered as the API does."""
    client.force_login(submitter)
    response = client.post("/intake/new/", {**FORM, "tags": "x" * 41})
    assert response.status_code == 400
    html = response.content.decode()
    assert '<p class="error-text" id="id_tags_error">Tags are at most 40 characters' in html
    assert 'value="Export invoices as CSV"' in html
    assert Ticket.objects.count() == 0


def test_add_my_customer_to_an_initiative(client, submitter) -> None:
    initiative = Initiative.objects.create(title="CSV export for invoices")
    client.force_login(submitter)
    response = client.post("/intake/new/", {**FORM, "initiative": str(initiative.pk)})
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.initiative == initiative
    assert ticket.status == TicketStatus.LINKED


def test_similar_fragment_offers_the_initiative(client, submitter) -> None:
    Initiative.objects.create(title="CSV export for invoices")
    client.force_login(submitter)
    response = client.get(
        "/intake/new/similar/", {"title": "export invoices as CSV"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert "CSV export for invoices" in html
    assert "Same ask — add my customer" in html


def test_stored_html_is_shown_escaped(client, submitter) -> None:
    ticket = TicketFactory.create(
        submitted_by=submitter,
        title="<script>alert('t')</script>",
        description="<img src=x onerror=alert(1)>",
        customer__name="<b>Evil</b>",
    )
    client.force_login(submitter)
    for url in (f"/intake/tickets/{ticket.pk}/", "/intake/tickets/", "/intake/mine/", "/"):
        html = client.get(url).content.decode()
        assert "<script>alert(" not in html, url
        assert "<b>Evil</b>" not in html, url
    html = client.get(f"/intake/tickets/{ticket.pk}/").content.decode()
    assert "&lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


@pytest.mark.parametrize("url", ["/intake/tickets/", "/intake/mine/", "/"])
def test_lists_make_a_fixed_number_of_queries(
    client, submitter, django_assert_max_num_queries, url
) -> None:
    client.force_login(submitter)
    TicketFactory.create_batch(3, submitted_by=submitter)
    with django_assert_max_num_queries(10) as few:
        assert client.get(url).status_code == 200
    TicketFactory.create_batch(
        30, submitted_by=submitter, initiative=Initiative.objects.create(title="I")
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_list_filters_and_search(client, submitter) -> None:
    TicketFactory.create(title="Export invoices as CSV", importance="critical")
    TicketFactory.create(title="Dark mode", importance="nice_to_have")
    client.force_login(submitter)
    html = client.get("/intake/tickets/", {"q": "invoices"}).content.decode()
    assert "Export invoices as CSV" in html
    assert "Dark mode" not in html
    html = client.get("/intake/tickets/", {"importance": "nice_to_have"}).content.decode()
    assert "Dark mode" in html
    assert "Export invoices" not in html
    html = client.get("/intake/tickets/", {"q": "nothing-like-this"}).content.decode()
    assert "No tickets match" in html
    bad = client.get("/intake/tickets/", {"status": "bogus"})
    assert bad.status_code == 200
    assert "Select a valid choice" in bad.content.decode()


def test_a_search_matching_too_many_to_rank_lists_them_newest_first(
    client, submitter, monkeypatch
) -> None:
    monkeypatch.setattr("intake.selectors.LIST_COUNT_CAP", 2)
    now = timezone.now()
    for days, title in [(3, "Invoices invoices invoices"), (2, "Invoices as CSV"), (1, "Invoices")]:
        TicketFactory.create(title=title, created_at=now - datetime.timedelta(days=days))
    TicketFactory.create(title="Dark mode")
    client.force_login(submitter)
    html = client.get("/intake/tickets/", {"q": "invoices"}).content.decode()
    assert "More than 2 tickets match, so they are listed newest first" in html
    # The newest first, and only as many as were counted.
    assert html.index("Invoices</a>") < html.index("Invoices as CSV")
    assert "Invoices invoices invoices" not in html
    # Narrowed to what can be ranked, the best match comes first again.
    monkeypatch.setattr("intake.selectors.LIST_COUNT_CAP", 3)
    html = client.get("/intake/tickets/", {"q": "invoices"}).content.decode()
    assert "listed newest first" not in html
    assert html.index("Invoices invoices invoices") < html.index("Invoices</a>")


def test_the_list_is_paginated(client, submitter) -> None:
    TicketFactory.create_batch(30)
    client.force_login(submitter)
    first = client.get("/intake/tickets/").content.decode()
    assert "Page 1 of 2" in first
    assert "Page 2 of 2" in client.get("/intake/tickets/", {"page": 2}).content.decode()


def test_only_the_submitter_edits_and_only_until_triaged(
    client, submitter, other_submitter
) -> None:
    ticket = TicketFactory.create(submitted_by=submitter)
    data = {**FORM, "title": "Sharper title"}
    client.force_login(other_submitter)
    assert client.post(f"/intake/tickets/{ticket.pk}/edit/", data).status_code == 403
    client.force_login(submitter)
    assert client.post(f"/intake/tickets/{ticket.pk}/edit/", data).status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).title == "Sharper title"
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.LINKED)
    response = client.post(f"/intake/tickets/{ticket.pk}/edit/", {**data, "title": "Late"})
    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).title == "Sharper title"


def test_comment_thread_over_htmx(client, submitter, pm) -> None:
    ticket = TicketFactory.create(submitted_by=submitter)
    client.force_login(pm)
    response = client.post(
        f"/intake/tickets/{ticket.pk}/comments/",
        {"body": "Which plan are they on?", "kind": "question"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Which plan are they on?" in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.NEEDS_INFO
    client.force_login(submitter)
    refused = client.post(
        f"/intake/tickets/{ticket.pk}/comments/", {"body": "?", "kind": "question"}
    )
    assert refused.status_code == 400  # not a choice the submitter is offered
    assert ticket.comments.count() == 1


def test_a_missing_ticket_is_404(client, submitter) -> None:
    client.force_login(submitter)
    assert client.get("/intake/tickets/999999/").status_code == 404


@pytest.mark.parametrize("initiative", ["999999", "abc"])
def test_a_missing_initiative_is_explained_and_nothing_filed(client, submitter, initiative) -> None:
    client.force_login(submitter)
    response = client.post("/intake/new/", {**FORM, "initiative": initiative})
    assert response.status_code == 200
    assert "That initiative no longer exists" in response.content.decode()
    assert Ticket.objects.count() == 0
