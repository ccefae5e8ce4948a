"""GET/POST /api/webhooks/ and PATCH/DELETE /api/webhooks/{id}/: admins only, bad input 400 with
the field's message and nothing written, the secret never shown again."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from notifications.models import DeliveryStatus, Notification
from tests.webhooks import SECRET
from webhooks.models import WebhookEndpoint
from webhooks.services import endpoint_create

pytestmark = pytest.mark.django_db

GOOD: dict[str, Any] = {"url": "https://tools.example.com/hooks", "secret": SECRET, "events": ["*"]}


@pytest.fixture
def admin_api(admin_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


def test_an_admin_registers_lists_changes_and_removes_an_endpoint(admin_api) -> None:
    created = admin_api.post("/api/webhooks/", GOOD, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["url"] == GOOD["url"]
    assert body["events"] == ["*"]
    assert body["active"] is True
    assert "secret" not in body
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret == SECRET
    assert endpoint.created_by is not None

    listed = admin_api.get("/api/webhooks/").json()
    assert listed["count"] == 1
    assert listed["results"][0]["id"] == body["id"]
    assert "secret" not in listed["results"][0]

    changed = admin_api.patch(
        f"/api/webhooks/{body['id']}/",
        {"events": ["initiative.shipped", "ticket.created"], "active": False},
        format="json",
    )
    assert changed.status_code == 200
    # In the order the API lists event types, whatever order they were sent in.
    assert changed.json()["events"] == ["ticket.created", "initiative.shipped"]
    assert changed.json()["active"] is False
    endpoint.refresh_from_db()
    assert endpoint.url == GOOD["url"]
    assert endpoint.secret == SECRET

    assert admin_api.delete(f"/api/webhooks/{body['id']}/").status_code == 204
    assert not WebhookEndpoint.objects.exists()
    assert admin_api.get(f"/api/webhooks/{body['id']}/").status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"url": "ftp://tools.example.com/"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "https://" + "a" * 2000 + ".example.com/"}, "url"),
        ({"secret": "short"}, "secret"),
        ({"events": []}, "events"),
        ({"events": ["ticket.deleted"]}, "events"),
        ({"events": "*"}, "events"),
        ({"active": "maybe"}, "active"),
    ],
)
def test_bad_input_is_refused_with_the_field_and_writes_nothing(admin_api, change, field) -> None:
    answer = admin_api.post("/api/webhooks/", {**GOOD, **change}, format="json")
    assert answer.status_code == 400
    assert list(answer.json()) == [field]
    assert all(isinstance(message, str) for message in answer.json()[field])
    assert not WebhookEndpoint.objects.exists()


def test_every_event_wins_over_a_list(admin_api) -> None:
    answer = admin_api.post(
        "/api/webhooks/", {**GOOD, "events": ["ticket.created", "*"]}, format="json"
    )
    assert answer.status_code == 201
    assert answer.json()["events"] == ["*"]


def test_a_missing_field_is_named(admin_api) -> None:
    answer = admin_api.post("/api/webhooks/", {"url": GOOD["url"]}, format="json")
    assert answer.status_code == 400
    assert set(answer.json()) == {"secret", "events"}


def test_a_private_address_is_refused_over_the_api(admin_api, settings) -> None:
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    answer = admin_api.post(
        "/api/webhooks/", {**GOOD, "url": "http://127.0.0.1:9000/x"}, format="json"
    )
    assert answer.status_code == 400
    assert "private" in answer.json()["url"][0]
    assert not WebhookEndpoint.objects.exists()


def test_a_bad_patch_changes_nothing(admin_api, admin_user) -> None:
    endpoint = endpoint_create(by=admin_user, **GOOD)
    answer = admin_api.patch(
        f"/api/webhooks/{endpoint.pk}/", {"url": "https://ok.example.com/", "events": ["x"]}
    , format="json")  # fmt: skip
    assert answer.status_code == 400
    endpoint.refresh_from_db()
    assert endpoint.url == GOOD["url"]
    assert endpoint.events == ["*"]


@pytest.mark.parametrize("role", ["submitter", "pm", "facilitator"])
def test_only_admins_may(request, role, admin_user) -> None:
    endpoint = endpoint_create(by=admin_user, **GOOD)
    client = APIClient()
    client.force_authenticate(request.getfixturevalue(role))
    assert client.get("/api/webhooks/").status_code == 403
    assert client.post("/api/webhooks/", GOOD, format="json").status_code == 403
    assert client.patch(f"/api/webhooks/{endpoint.pk}/", {"active": False}).status_code == 403
    assert client.delete(f"/api/webhooks/{endpoint.pk}/").status_code == 403
    assert WebhookEndpoint.objects.get().active


def test_anonymous_is_asked_to_sign_in() -> None:
    answer = APIClient().get("/api/webhooks/")
    assert answer.status_code == 401
    assert "detail" in answer.json()


def test_the_list_is_a_fixed_number_of_queries(
    admin_api, admin_user, django_assert_max_num_queries
) -> None:
    for n in range(30):
        endpoint_create(
            by=admin_user, url=f"https://tools.example.com/{n}", secret=SECRET, events=["*"]
        )
    with django_assert_max_num_queries(5):
        answer = admin_api.get("/api/webhooks/")
    assert answer.json()["count"] == 30


def test_removing_an_endpoint_drops_what_still_waited_for_it(
    admin_api, admin_user, submitter
) -> None:
    from webhooks.tests.test_delivery import file_ticket

    endpoint = endpoint_create(by=admin_user, **GOOD)
    file_ticket(submitter)
    [row] = Notification.objects.filter(kind="webhook")
    assert row.status == DeliveryStatus.PENDING
    assert admin_api.delete(f"/api/webhooks/{endpoint.pk}/").status_code == 204
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SUPPRESSED


def test_the_schema_documents_the_calls_and_their_errors(admin_api) -> None:
    schema = admin_api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    listing = schema["paths"]["/api/webhooks/"]
    detail = schema["paths"]["/api/webhooks/{endpoint_id}/"]
    assert {"201", "400", "401", "403"} <= set(listing["post"]["responses"])
    assert {"200", "401", "403", "404"} <= set(listing["get"]["responses"])
    assert {"200", "400", "401", "403", "404"} <= set(detail["patch"]["responses"])
    assert {"204", "401", "403", "404"} <= set(detail["delete"]["responses"])
    write = schema["components"]["schemas"]["WebhookEndpointWriteRequest"]
    assert set(write["required"]) == {"url", "secret", "events"}
    assert write["properties"]["secret"]["minLength"] == 16
    assert write["properties"]["url"]["pattern"] == "^https?://"
    enum = write["properties"]["events"]["items"]["$ref"].rsplit("/", 1)[-1]
    assert schema["components"]["schemas"][enum]["enum"] == [
        "*",
        "ticket.created",
        "ticket.triaged",
        "initiative.created",
        "initiative.status_changed",
        "initiative.shipped",
        "customer.notified",
    ]
