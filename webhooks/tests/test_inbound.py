"""The trackers' webhooks, sent as GitHub and Linear send them (tests/trackers.py): a merged
pull request, a completed issue mark the linked initiative ready to ship; a bad signature, an
unknown item, a replayed delivery, a stale or malformed body get a clear 4xx and change
nothing; nothing else they send changes anything either."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

from notifications.models import Notification
from tests.trackers import (
    GITHUB_SECRET,
    LINEAR_SECRET,
    as_bytes,
    github_headers,
    github_issue,
    github_pull_request,
    linear_headers,
    linear_issue_update,
)
from triage.models import Initiative, InitiativeStatus
from triage.tests.factories import InitiativeFactory
from triage.tracker import work_item_add
from webhooks.models import InboundDelivery

pytestmark = pytest.mark.django_db

GITHUB = "/integrations/github/"
LINEAR = "/integrations/linear/"


@pytest.fixture(autouse=True)
def secrets(settings: Any) -> None:
    settings.GITHUB_WEBHOOK_SECRET = GITHUB_SECRET
    settings.LINEAR_WEBHOOK_SECRET = LINEAR_SECRET


@pytest.fixture
def initiative(pm) -> Initiative:
    initiative = InitiativeFactory.create(title="CSV export", status=InitiativeStatus.IN_PROGRESS)
    work_item_add(initiative=initiative, by=pm, url="https://github.com/acme/app/pull/7")
    work_item_add(initiative=initiative, by=pm, url="https://github.com/acme/app/issues/3")
    work_item_add(initiative=initiative, by=pm, url="https://linear.app/acme/issue/ENG-42/csv")
    return initiative


def post(path: str, body: bytes, headers: dict[str, str]) -> Any:
    return Client().post(path, data=body, content_type="application/json", headers=headers)


def unchanged(initiative: Initiative) -> bool:
    initiative.refresh_from_db()
    return (
        initiative.work_done_at is None
        and initiative.release_note_draft == ""
        and initiative.status == InitiativeStatus.IN_PROGRESS
        and not InboundDelivery.objects.exists()
    )


# ---------------------------------------------------------------------------------------------
# GitHub


def test_a_merged_pull_request_makes_the_initiative_ready_to_ship(initiative) -> None:
    body = as_bytes(github_pull_request("acme/app", 7, "Export invoices as CSV"))
    answer = post(GITHUB, body, github_headers(body, "pull_request"))
    assert answer.status_code == 200, answer.content
    assert answer.json()["initiatives"] == [initiative.pk]
    initiative.refresh_from_db()
    assert initiative.work_done_at is not None
    assert initiative.release_note_draft == "Export invoices as CSV: now available."
    assert initiative.status == InitiativeStatus.IN_PROGRESS
    assert not Notification.objects.exists(), "no customer is told before a PM ships"


def test_an_issue_closed_as_completed_counts_and_one_closed_as_not_planned_does_not(
    initiative,
) -> None:
    body = as_bytes(github_issue("acme/app", 3, "CSV export", state_reason="not_planned"))
    answer = post(GITHUB, body, github_headers(body, "issues"))
    assert answer.status_code == 202
    assert unchanged(initiative)
    body = as_bytes(github_issue("acme/app", 3, "CSV export"))
    assert post(GITHUB, body, github_headers(body, "issues")).status_code == 200
    initiative.refresh_from_db()
    assert initiative.work_done_at is not None


@pytest.mark.parametrize(
    ("payload", "event"),
    [
        (github_pull_request("acme/app", 7, "CSV", merged=False), "pull_request"),
        (github_pull_request("acme/app", 7, "CSV", merged=False, action="opened"), "pull_request"),
        ({"zen": "Design for failure.", "hook_id": 1}, "ping"),
        ({"ref": "refs/heads/main", "commits": []}, "push"),
    ],
)
def test_what_finishes_nothing_is_acknowledged_and_changes_nothing(
    initiative, payload, event
) -> None:
    body = as_bytes(payload)
    answer = post(GITHUB, body, github_headers(body, event))
    assert answer.status_code == 202
    assert "Nothing to do" in answer.json()["detail"]
    assert unchanged(initiative)


def test_a_bad_or_missing_signature_is_refused(initiative) -> None:
    body = as_bytes(github_pull_request("acme/app", 7, "CSV"))
    forged = github_headers(body, "pull_request", secret="not-the-secret")
    answer = post(GITHUB, body, forged)
    assert answer.status_code == 401
    assert "X-Hub-Signature-256" in answer.json()["detail"]
    headers = github_headers(body, "pull_request")
    del headers["X-Hub-Signature-256"]
    assert post(GITHUB, body, headers).status_code == 401
    # Signed, then changed on the way: the signature no longer matches.
    tampered = body.replace(b'"number": 7', b'"number": 8')
    assert post(GITHUB, tampered, github_headers(body, "pull_request")).status_code == 401
    assert unchanged(initiative)


def test_no_secret_set_refuses_everything(initiative, settings) -> None:
    settings.GITHUB_WEBHOOK_SECRET = ""
    body = as_bytes(github_pull_request("acme/app", 7, "CSV"))
    answer = post(GITHUB, body, github_headers(body, "pull_request", secret=""))
    assert answer.status_code == 401
    assert "GITHUB_WEBHOOK_SECRET" in answer.json()["detail"]
    assert unchanged(initiative)


def test_an_unknown_repository_or_item_is_not_found(initiative) -> None:
    for repo, number in (("acme/other", 7), ("acme/app", 99)):
        body = as_bytes(github_pull_request(repo, number, "CSV"))
        answer = post(GITHUB, body, github_headers(body, "pull_request"))
        assert answer.status_code == 404
        assert "No open initiative links GitHub" in answer.json()["detail"]
    assert unchanged(initiative)


def test_a_replayed_delivery_changes_nothing(initiative) -> None:
    body = as_bytes(github_pull_request("acme/app", 7, "Export invoices as CSV"))
    headers = github_headers(body, "pull_request")
    assert post(GITHUB, body, headers).status_code == 200
    initiative.refresh_from_db()
    Initiative.objects.filter(pk=initiative.pk).update(release_note_draft="Edited by the PM.")
    replay = post(GITHUB, body, headers)
    assert replay.status_code == 409
    assert "already handled" in replay.json()["detail"]
    initiative.refresh_from_db()
    assert initiative.release_note_draft == "Edited by the PM."
    assert InboundDelivery.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2]",
        b'{"action": "closed", "pull_request": {"merged": true}}',
        b'{"action": "closed", "pull_request": {"merged": true, "number": "7", "title": "x"},'
        b' "repository": {"full_name": "acme/app"}}',
        "\xff\xfe".encode("latin-1"),
    ],
)
def test_a_malformed_body_is_refused_with_what_is_wrong(initiative, body) -> None:
    answer = post(GITHUB, body, github_headers(body, "pull_request"))
    assert answer.status_code == 400
    assert answer.json()["detail"]
    assert unchanged(initiative)


def test_only_post(initiative) -> None:
    assert Client().get(GITHUB).status_code == 405
    assert Client().get(LINEAR).status_code == 405


# ---------------------------------------------------------------------------------------------
# Linear


def test_a_linear_issue_moved_to_done_makes_the_initiative_ready_to_ship(initiative) -> None:
    body = as_bytes(linear_issue_update("ENG-42", "Export invoices as CSV"))
    answer = post(LINEAR, body, linear_headers(body))
    assert answer.status_code == 200, answer.content
    initiative.refresh_from_db()
    assert initiative.work_done_at is not None
    assert initiative.release_note_draft == "Export invoices as CSV: now available."


def test_linear_refuses_a_bad_signature_a_stale_timestamp_and_a_replay(initiative) -> None:
    body = as_bytes(linear_issue_update("ENG-42", "CSV"))
    assert post(LINEAR, body, linear_headers(body, secret="wrong")).status_code == 401
    stale = as_bytes(linear_issue_update("ENG-42", "CSV", at=time.time() - 600))
    answer = post(LINEAR, stale, linear_headers(stale))
    assert answer.status_code == 400
    assert "webhookTimestamp" in answer.json()["detail"]
    assert unchanged(initiative)

    headers = linear_headers(body)
    assert post(LINEAR, body, headers).status_code == 200
    assert post(LINEAR, body, headers).status_code == 409


def test_linear_changes_that_finish_nothing_change_nothing(initiative) -> None:
    started = as_bytes(linear_issue_update("ENG-42", "CSV", state_type="started"))
    assert post(LINEAR, started, linear_headers(started)).status_code == 202
    edited = linear_issue_update("ENG-42", "CSV")
    edited["updatedFrom"] = {"title": "Old title"}  # a finished issue renamed: not a new finish
    body = as_bytes(edited)
    assert post(LINEAR, body, linear_headers(body)).status_code == 202
    unknown = as_bytes(linear_issue_update("ENG-7", "CSV"))
    assert post(LINEAR, unknown, linear_headers(unknown)).status_code == 404
    assert unchanged(initiative)
