"""The admins' Webhooks pages: list, register (a refused address shown beside its field),
edit (the secret kept when left blank), remove after confirming, and the delivery log's
"send again"."""

from __future__ import annotations

import pytest
from django.test import Client

from notifications.models import Notification, NotificationKind
from tests.webhooks import SECRET, receiving
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import endpoint_create
from webhooks.tests.test_delivery import file_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def test_an_admin_registers_an_endpoint_from_the_form(admin_client) -> None:
    page = admin_client.get("/webhooks/new/")
    assert page.status_code == 200
    offered = page.context["form"].initial["secret"]
    assert len(offered) == 64  # a fresh random secret to copy into the receiver
    answer = admin_client.post(
        "/webhooks/new/",
        {
            "url": "https://tools.example.com/hooks",
            "secret": offered,
            "events": ["ticket.created", "initiative.shipped"],
            "description": "The roadmap tool",
            "active": "on",
        },
    )
    endpoint = WebhookEndpoint.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == f"/webhooks/{endpoint.pk}/"
    assert endpoint.secret == offered
    assert endpoint.events == ["ticket.created", "initiative.shipped"]


def test_a_refused_address_is_shown_beside_its_field_and_nothing_is_written(
    admin_client, settings
) -> None:
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    answer = admin_client.post(
        "/webhooks/new/",
        {"url": "http://169.254.169.254/latest/", "secret": SECRET, "events": ["*"]},
    )
    assert answer.status_code == 400
    assert "private" in answer.context["form"].errors["url"][0]
    assert b"169.254.169.254" in answer.content
    assert not WebhookEndpoint.objects.exists()


def test_editing_without_a_secret_keeps_it(admin_client, admin_user) -> None:
    endpoint = endpoint_create(
        by=admin_user, url="https://a.example.com/", secret=SECRET, events=["*"]
    )
    page = admin_client.get(f"/webhooks/{endpoint.pk}/edit/")
    assert SECRET.encode() not in page.content  # never shown again
    admin_client.post(
        f"/webhooks/{endpoint.pk}/edit/",
        {"url": "https://b.example.com/", "secret": "", "events": ["ticket.created"]},
    )
    endpoint.refresh_from_db()
    assert endpoint.url == "https://b.example.com/"
    assert endpoint.secret == SECRET
    assert endpoint.events == ["ticket.created"]
    assert not endpoint.active


def test_removing_asks_first(admin_client, admin_user) -> None:
    endpoint = endpoint_create(
        by=admin_user, url="https://a.example.com/", secret=SECRET, events=["*"]
    )
    confirm = admin_client.get(f"/webhooks/{endpoint.pk}/delete/")
    assert confirm.status_code == 200
    assert b"Remove this webhook?" in confirm.content
    assert WebhookEndpoint.objects.exists()
    assert admin_client.post(f"/webhooks/{endpoint.pk}/delete/")["Location"] == "/webhooks/"
    assert not WebhookEndpoint.objects.exists()


def test_the_log_shows_each_delivery_and_sends_one_again_with_the_same_event_id(
    admin_client, admin_user, submitter, django_assert_max_num_queries
) -> None:
    with receiving() as receiver:
        endpoint = endpoint_create(by=admin_user, url=receiver.url(), secret=SECRET, events=["*"])
        for n in range(30):
            file_ticket(submitter, f"Ask {n}")
        first = WebhookDelivery.objects.order_by("pk").first()
        assert first is not None
        with django_assert_max_num_queries(8):
            page = admin_client.get(f"/webhooks/{endpoint.pk}/")
        assert page.status_code == 200
        assert page.content.count(b"Send again") == 25  # a page of the log
        assert b"ticket.created" in page.content

        again = admin_client.post(f"/webhooks/{endpoint.pk}/deliveries/{first.pk}/again/")
        assert again.status_code == 302
        newest = WebhookDelivery.objects.order_by("-pk").first()
        assert newest is not None
        assert newest.pk != first.pk
        assert newest.event_id == first.event_id
        assert Notification.objects.filter(kind=NotificationKind.WEBHOOK).count() == 31


def test_the_list_is_a_fixed_number_of_queries(
    admin_client, admin_user, django_assert_max_num_queries
) -> None:
    for n in range(20):
        endpoint_create(
            by=admin_user, url=f"https://t.example.com/{n}", secret=SECRET, events=["*"]
        )
    with django_assert_max_num_queries(6):
        page = admin_client.get("/webhooks/")
    assert page.content.count(b"Delivery log") == 20


@pytest.mark.parametrize("role", ["submitter", "pm", "facilitator"])
def test_only_admins_see_the_pages(request, role, admin_user) -> None:
    endpoint = endpoint_create(
        by=admin_user, url="https://a.example.com/", secret=SECRET, events=["*"]
    )
    client = Client()
    client.force_login(request.getfixturevalue(role))
    for path in ("/webhooks/", "/webhooks/new/", f"/webhooks/{endpoint.pk}/"):
        assert client.get(path).status_code == 403
    assert client.post(f"/webhooks/{endpoint.pk}/delete/").status_code == 403
    assert WebhookEndpoint.objects.exists()


def test_the_outbox_delivery_log_shows_webhook_rows_on_their_channel(
    admin_client, admin_user, submitter
) -> None:
    endpoint_create(by=admin_user, url="https://tools.example.com/in", secret=SECRET, events=["*"])
    file_ticket(submitter)
    page = admin_client.get("/notices/deliveries/?kind=webhook")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Webhook</span> https://tools.example.com/in" in text
    assert "ticket.created → https://tools.example.com/in" in text
