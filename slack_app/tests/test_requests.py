"""Slack's requests to FeedbackLoop, against a local Slack (tests/slack.py): signed exactly as
Slack signs them, refused when the signature or the timestamp is wrong, and each way of filing
(the slash command, the message shortcut, the modal's submission) end to end."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from accounts.models import User
from accounts.tests.factories import UserFactory
from intake.models import Customer, Ticket, TicketStatus
from intake.tests.factories import CustomerFactory, ProductAreaFactory
from notifications.models import DeliveryStatus, Notification, NotificationKind
from slack_app.models import SlackActivity
from tests.slack import FakeSlack, command_body, payload_body, signature, slack_post
from triage.models import InitiativeStatus
from triage.tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

COMMANDS = "/integrations/slack/commands/"
INTERACTIVITY = "/integrations/slack/interactivity/"
EVENTS = "/integrations/slack/events/"
FORM = "application/x-www-form-urlencoded"
REP_SLACK = "U0REP"
STRANGER_SLACK = "U0STRANGER"
AUTHOR_SLACK = "U0JOFRIEND"  # who wrote the message the rep files
MESSAGE = (
    "Acme keep asking: can we export invoices as CSV at month end?\n"
    "They copy every invoice by hand into their ledger today."
)


@pytest.fixture
def rep(db: None, slack: FakeSlack) -> User:
    user = UserFactory.create(username="sam", email="Sam@Staff.example", first_name="Sam")
    slack.add_user(REP_SLACK, "sam@staff.example")
    slack.add_user(STRANGER_SLACK, "visitor@elsewhere.example")
    slack.add_user(AUTHOR_SLACK, "jo.friend@partner.example", "Jo Friend")
    return user


def _shortcut(user: str = REP_SLACK, text: str = MESSAGE) -> dict[str, Any]:
    """A message shortcut's payload, as Slack sends it."""
    return {
        "type": "message_action",
        "token": "deprecated",
        "action_ts": f"{time.time():.6f}",
        "team": {"id": "T0001", "domain": "acme-corp"},
        "user": {"id": user, "name": "sam", "team_id": "T0001"},
        "channel": {"id": "C0GENERAL", "name": "general"},
        "is_enterprise_install": False,
        "callback_id": "file_feedback",
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        "response_url": "https://hooks.slack.com/app/T0001/1/abc",
        "message_ts": "1764130000.000100",
        "message": {
            "type": "message",
            "user": AUTHOR_SLACK,
            "ts": "1764130000.000100",
            "text": text,
        },
    }


def _plain(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def _selected(kind: str, value: str | None) -> dict[str, Any]:
    option = {"text": {"type": "plain_text", "text": value}, "value": value} if value else None
    return {"type": kind, "selected_option": option}


def _submission(opened: dict[str, Any], **answers: str | None) -> dict[str, Any]:
    """The modal's submission as Slack sends it: the view we opened, with state.values."""
    values = {
        "title": {"value": _plain(answers.get("title", "Export invoices as CSV"))},
        "description": {"value": _plain(answers.get("description", MESSAGE))},
        "company": {"value": _selected("external_select", answers.get("company", "new:Acme"))},
        "email": {
            "value": {"type": "email_text_input", "value": answers.get("email", "jo@acme.example")}
        },
        "importance": {"value": _selected("static_select", answers.get("importance", "critical"))},
        "kind": {"value": _selected("static_select", answers.get("kind", "feature_request"))},
    }
    if "product_area" in answers:
        values["product_area"] = {"value": _selected("static_select", answers["product_area"])}
    if "initiative" in answers:
        values["initiative"] = {"value": _selected("radio_buttons", answers["initiative"])}
    return {
        "type": "view_submission",
        "team": {"id": "T0001", "domain": "acme-corp"},
        "user": {"id": answers.get("user", REP_SLACK), "name": "sam", "team_id": "T0001"},
        "view": {**opened, "state": {"values": values}, "hash": "1.1"},
        "trigger_id": "2.2.3",
    }


def _opened(slack: FakeSlack) -> dict[str, Any]:
    [call] = slack.called("views.open")
    view = call.args["view"]
    return {**view, "id": "V0000001"}


def _inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}


# Signatures and timestamps -------------------------------------------------------------------


def test_the_events_url_answers_slacks_challenge_when_signed(client: Client, slack) -> None:
    body = json.dumps(
        {
            "token": "x",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    ).encode()
    response = slack_post(client, EVENTS, body, "application/json")
    assert response.status_code == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
    assert SlackActivity.objects.get().last_request_at is not None


@pytest.mark.parametrize(
    "how",
    [
        "wrong secret",
        "stale by six minutes",
        "six minutes ahead",
        "no signature",
        "timestamp not a number",
        "body changed",
    ],
)
def test_a_request_not_signed_by_slack_now_is_refused_and_changes_nothing(
    client: Client, rep: User, slack: FakeSlack, how: str
) -> None:
    body = command_body(user_id=REP_SLACK, text=MESSAGE)
    now = int(time.time())
    cases: dict[str, dict[str, Any]] = {
        "wrong secret": {"secret": "not-the-signing-secret"},
        "stale by six minutes": {"timestamp": now - 6 * 60},
        "six minutes ahead": {"timestamp": now + 6 * 60},
        "no signature": {"sign": ""},
        "timestamp not a number": {"sign": "v0=abc", "timestamp": now},
        "body changed": {"sign": signature(b"other", now), "timestamp": now},
    }
    kwargs = cases[how]
    if how == "timestamp not a number":
        response = client.post(
            COMMANDS, data=body, content_type=FORM,
            headers={"X-Slack-Request-Timestamp": "1e9", "X-Slack-Signature": "v0=abc"},
        )  # fmt: skip
    else:
        response = slack_post(client, COMMANDS, body, FORM, **kwargs)
    assert response.status_code == 401
    assert slack.calls == []  # not even users.info
    assert Ticket.objects.count() == 0
    assert Notification.objects.count() == 0
    activity = SlackActivity.objects.get()
    assert activity.last_request_at is None
    assert "signature or timestamp did not check out" in activity.last_error


def test_a_request_four_minutes_old_is_still_slacks(client: Client, rep: User, slack) -> None:
    body = command_body(user_id=REP_SLACK, text=MESSAGE)
    response = slack_post(client, COMMANDS, body, FORM, timestamp=int(time.time()) - 4 * 60)
    assert response.status_code == 200
    assert slack.methods() == ["users.info", "views.open"]


def test_without_slack_settings_the_endpoints_are_not_there(client: Client, settings) -> None:
    settings.SLACK_SIGNING_SECRET = settings.SLACK_BOT_TOKEN = ""
    body = command_body(user_id=REP_SLACK)
    for path in (COMMANDS, INTERACTIVITY, EVENTS):
        assert slack_post(client, path, body, FORM, secret="anything").status_code == 404
    assert client.get(COMMANDS).status_code in (404, 405)


def test_a_get_is_refused(client: Client, slack) -> None:
    assert client.get(COMMANDS).status_code == 405


# The slash command ---------------------------------------------------------------------------


def test_the_slash_command_opens_the_modal_prefilled_and_then_lists_similar_initiatives(
    client: Client, rep: User, slack: FakeSlack, django_capture_on_commit_callbacks
) -> None:
    ProductAreaFactory.create(name="Billing", slug="billing")
    csv = InitiativeFactory.create(
        title="Export invoices as CSV", description="Invoices to a spreadsheet at month end.",
        status=InitiativeStatus.PLANNED,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = slack_post(client, COMMANDS, command_body(user_id=REP_SLACK, text=MESSAGE), FORM)
    assert response.status_code == 200
    assert response.content == b""
    assert slack.methods() == ["users.info", "views.open", "views.update"]
    info, opened, updated = slack.calls
    assert info.args == {"user": REP_SLACK}
    assert info.content_type == "application/x-www-form-urlencoded"
    assert info.authorization == "Bearer xoxb-test-token"
    assert opened.content_type.startswith("application/json")
    assert opened.args["trigger_id"] == "13345224609.738474920.8088930838d88f008e0"
    view = opened.args["view"]
    inputs = _inputs(view)
    assert inputs["title"]["initial_value"] == MESSAGE.splitlines()[0]
    assert inputs["description"]["initial_value"] == MESSAGE
    assert inputs["company"]["type"] == "external_select"
    assert inputs["email"]["type"] == "email_text_input"
    assert inputs["importance"]["initial_option"]["value"] == "important"
    assert [o["value"] for o in inputs["product_area"]["options"]] == ["billing"]
    assert "Looking for similar initiatives" in json.dumps(view)
    # The task filled in the similar initiatives, on the view Slack opened, with its hash.
    assert updated.args["view_id"] == "V00000001"
    assert updated.args["hash"]
    options = _inputs(updated.args["view"])["initiative"]["options"]
    assert options[0]["value"] == "own"
    assert f"initiative:{csv.pk}" in [o["value"] for o in options]
    assert _inputs(updated.args["view"]).keys() >= inputs.keys()


def test_an_unknown_slack_user_is_told_privately_and_nothing_is_filed(
    client: Client, rep: User, slack: FakeSlack
) -> None:
    response = slack_post(client, COMMANDS, command_body(user_id=STRANGER_SLACK), FORM)
    assert response.status_code == 200
    assert response.json()["response_type"] == "ephemeral"
    assert "Ask an admin to add you" in response.json()["text"]
    assert "visitor@elsewhere.example" in response.json()["text"]
    assert slack.methods() == ["users.info"]
    assert Ticket.objects.count() == 0


def test_a_deactivated_rep_is_a_stranger(client: Client, rep: User, slack: FakeSlack) -> None:
    User.objects.filter(pk=rep.pk).update(is_active=False)
    response = slack_post(client, COMMANDS, command_body(user_id=REP_SLACK), FORM)
    assert "Ask an admin to add you" in response.json()["text"]
    assert slack.methods() == ["users.info"]


def test_when_slack_will_not_say_who_it_is_the_command_says_so(
    client: Client, rep: User, slack: FakeSlack
) -> None:
    slack.fail("users.info", "ratelimited", status=429)
    response = slack_post(client, COMMANDS, command_body(user_id=REP_SLACK), FORM)
    assert "could not ask Slack who you are" in response.json()["text"]
    assert "users.info" in SlackActivity.objects.get().last_error


def test_a_slow_slack_still_gets_its_answer_within_three_seconds(
    client: Client, rep: User, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from slack_app import client as slack_client

    monkeypatch.setattr(slack_client, "IN_REQUEST_TIMEOUT", 2)  # as in production
    slack.delay = 2.5  # each call: over the in-request timeout
    started = time.monotonic()
    response = slack_post(client, COMMANDS, command_body(user_id=REP_SLACK), FORM)
    assert time.monotonic() - started < 3
    assert "could not ask Slack who you are" in response.json()["text"]


# The message shortcut ------------------------------------------------------------------------


def test_the_shortcut_opens_the_modal_with_the_message_and_its_permalink(
    client: Client, rep: User, slack: FakeSlack, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = slack_post(client, INTERACTIVITY, payload_body(_shortcut()), FORM)
    assert response.status_code == 200
    assert slack.methods() == [
        "users.info", "views.open", "chat.getPermalink", "users.info", "views.update",
    ]  # fmt: skip
    opened = slack.called("views.open")[0].args["view"]
    assert _inputs(opened)["description"]["initial_value"] == MESSAGE
    link = slack.called("chat.getPermalink")[0].args
    assert link == {"channel": "C0GENERAL", "message_ts": "1764130000.000100"}
    updated = slack.called("views.update")[0].args["view"]
    permalink = "https://acme-corp.slack.com/archives/C0GENERAL/p1764130000000100"
    assert f"<{permalink}|this message>" in json.dumps(updated)
    metadata = json.loads(updated["private_metadata"])
    assert (metadata["permalink"], metadata["author"], metadata["author_name"]) == (
        permalink, AUTHOR_SLACK, "Jo Friend",
    )  # fmt: skip
    assert "No similar initiative yet" in json.dumps(updated)


def test_a_stranger_using_the_shortcut_gets_a_direct_message_through_the_outbox(
    client: Client, rep: User, slack: FakeSlack, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = slack_post(
            client, INTERACTIVITY, payload_body(_shortcut(user=STRANGER_SLACK)), FORM
        )
    assert response.status_code == 200
    assert slack.methods() == ["users.info", "conversations.open", "chat.postMessage"]
    assert slack.called("conversations.open")[0].args == {"users": STRANGER_SLACK}
    [posted] = slack.posted()
    assert posted["channel"] == "D0STRANGER"
    assert "Ask an admin to add you" in posted["text"]
    row = Notification.objects.get(kind=NotificationKind.SLACK_NOT_STAFF)
    assert (row.status, row.recipient_address) == (DeliveryStatus.SENT, STRANGER_SLACK)
    assert Ticket.objects.count() == 0
    assert mail.outbox == []


def test_the_company_menu_suggests_known_customers_and_what_was_typed(
    client: Client, rep: User, slack: FakeSlack
) -> None:
    acme = CustomerFactory.create(name="Acme Inc")
    CustomerFactory.create(name="Acme Labs")
    CustomerFactory.create(name="Globex")
    suggestion = {
        "type": "block_suggestion",
        "user": {"id": REP_SLACK},
        "team": {"id": "T0001"},
        "block_id": "company",
        "action_id": "value",
        "value": "acme",
        "view": {"id": "V1", "callback_id": "file_feedback"},
    }
    response = slack_post(client, INTERACTIVITY, payload_body(suggestion), FORM)
    options = response.json()["options"]
    assert [(o["text"]["text"], o["value"]) for o in options] == [
        ("Acme Inc", f"customer:{acme.pk}"),
        ("Acme Labs", f"customer:{Customer.objects.get(name='Acme Labs').pk}"),
        ("New: acme", "new:acme"),
    ]
    suggestion["value"] = "acme inc"
    response = slack_post(client, INTERACTIVITY, payload_body(suggestion), FORM)
    assert [o["text"]["text"] for o in response.json()["options"]] == ["Acme Inc"]


# The submission ------------------------------------------------------------------------------


def _open_by_shortcut(client: Client, slack: FakeSlack, capture) -> dict[str, Any]:
    with capture(execute=True):
        slack_post(client, INTERACTIVITY, payload_body(_shortcut()), FORM)
    view: dict[str, Any] = slack.called("views.update")[0].args["view"]
    return {**view, "id": "V00000001"}


def test_submitting_the_modal_files_the_ticket_and_the_modal_says_so(
    client: Client, rep: User, slack: FakeSlack, django_capture_on_commit_callbacks
) -> None:
    ProductAreaFactory.create(name="Billing", slug="billing")
    opened = _open_by_shortcut(client, slack, django_capture_on_commit_callbacks)
    answer = slack_post(
        client, INTERACTIVITY, payload_body(_submission(opened, product_area="billing")), FORM
    )
    assert answer.status_code == 200
    ticket = Ticket.objects.get()
    assert (ticket.title, ticket.description) == ("Export invoices as CSV", MESSAGE)
    assert (ticket.customer.name, ticket.contact.email) == ("Acme", "jo@acme.example")
    assert (ticket.importance, ticket.kind, ticket.source_team) == (
        "critical", "feature_request", "sales",
    )  # fmt: skip
    assert ticket.product_area is not None
    assert ticket.product_area.slug == "billing"
    assert (ticket.submitted_by, ticket.status) == (rep, TicketStatus.NEW)
    assert (ticket.source, ticket.source_sender) == ("slack", "Jo Friend")
    assert ticket.source_reference == (
        "https://acme-corp.slack.com/archives/C0GENERAL/p1764130000000100"
    )
    assert ticket.source_sent_at is not None
    assert ticket.source_sent_at.timestamp() == 1764130000.0001
    body = answer.json()
    assert body["response_action"] == "update"
    said = json.dumps(body["view"])
    assert f"Filed #{ticket.pk}" in said
    assert f"/intake/tickets/{ticket.pk}/" in said


def test_choosing_a_similar_initiative_files_the_ticket_onto_it(
    client: Client, rep: User, slack: FakeSlack, django_capture_on_commit_callbacks
) -> None:
    csv = InitiativeFactory.create(
        title="Export invoices as CSV", description="Invoices to a spreadsheet at month end.",
        status=InitiativeStatus.PLANNED,
    )  # fmt: skip
    acme = CustomerFactory.create(name="Acme Inc")
    opened = _open_by_shortcut(client, slack, django_capture_on_commit_callbacks)
    submitted = _submission(
        opened, company=f"customer:{acme.pk}", initiative=f"initiative:{csv.pk}"
    )
    answer = slack_post(client, INTERACTIVITY, payload_body(submitted), FORM)
    ticket = Ticket.objects.get()
    assert (ticket.initiative, ticket.status, ticket.customer) == (csv, TicketStatus.LINKED, acme)
    assert "counted for “Export invoices as CSV”" in json.dumps(answer.json(), ensure_ascii=False)
    csv.refresh_from_db()
    assert csv.customer_count == 1


@pytest.mark.parametrize(
    ("answers", "block", "words"),
    [
        ({"email": "not-an-address"}, "email", "is not a valid email address"),
        ({"title": "   "}, "title", "title"),
        ({"description": ""}, "description", "What the customer said"),
        ({"company": None}, "company", "Type the customer's company"),
        ({"company": "customer:999999"}, "company", "no longer exists"),
        ({"initiative": "initiative:999999"}, "initiative", "no longer exists"),
        ({"importance": "urgent"}, "importance", "is not one of"),
    ],
)
def test_a_refused_submission_shows_the_error_under_its_field_and_files_nothing(
    client: Client, rep: User, slack: FakeSlack, django_capture_on_commit_callbacks,
    answers: dict[str, str | None], block: str, words: str,
) -> None:  # fmt: skip
    InitiativeFactory.create(title="Export invoices as CSV", status=InitiativeStatus.PLANNED)
    opened = _open_by_shortcut(client, slack, django_capture_on_commit_callbacks)
    answer = slack_post(client, INTERACTIVITY, payload_body(_submission(opened, **answers)), FORM)
    assert answer.status_code == 200
    body = answer.json()
    assert body["response_action"] == "errors"
    assert list(body["errors"]) == [block]
    assert words.lower() in body["errors"][block].lower()
    assert Ticket.objects.count() == 0
    assert Customer.objects.count() == 0


def test_a_declined_initiative_is_shown_but_takes_nothing(
    client: Client, rep: User, slack: FakeSlack, django_capture_on_commit_callbacks
) -> None:
    declined = InitiativeFactory.create(
        title="Export invoices as CSV", description="Invoices to a spreadsheet at month end.",
        status=InitiativeStatus.DECLINED, decline_reason="Use the accounting sync instead",
    )  # fmt: skip
    opened = _open_by_shortcut(client, slack, django_capture_on_commit_callbacks)
    assert "initiative" not in _inputs(opened)
    assert "Declined, “Export invoices as CSV”: Use the accounting sync instead" in json.dumps(
        opened, ensure_ascii=False
    )
    forged = _submission(opened, initiative=f"initiative:{declined.pk}")
    forged["view"]["blocks"].append({"type": "input", "block_id": "initiative"})
    answer = slack_post(client, INTERACTIVITY, payload_body(forged), FORM)
    assert answer.json()["response_action"] == "errors"
    assert "was declined" in answer.json()["errors"]["initiative"]
    assert Ticket.objects.count() == 0


def test_a_submission_from_someone_else_or_a_forged_form_is_refused(
    client: Client, rep: User, slack: FakeSlack, django_capture_on_commit_callbacks
) -> None:
    opened = _open_by_shortcut(client, slack, django_capture_on_commit_callbacks)
    other = _submission(opened, user=STRANGER_SLACK)
    assert slack_post(client, INTERACTIVITY, payload_body(other), FORM).status_code == 400
    forged = _submission(opened)
    forged["view"]["private_metadata"] = "{not json"
    assert slack_post(client, INTERACTIVITY, payload_body(forged), FORM).status_code == 400
    assert slack_post(client, INTERACTIVITY, b"payload=%7B", FORM).status_code == 400
    assert Ticket.objects.count() == 0


def test_a_rep_deactivated_while_the_modal_was_open_files_nothing(
    client: Client, rep: User, slack: FakeSlack, django_capture_on_commit_callbacks
) -> None:
    opened = _open_by_shortcut(client, slack, django_capture_on_commit_callbacks)
    User.objects.filter(pk=rep.pk).update(is_active=False)
    answer = slack_post(client, INTERACTIVITY, payload_body(_submission(opened)), FORM)
    assert answer.json()["response_action"] == "update"
    assert "Ask an admin to add you" in json.dumps(answer.json())
    assert Ticket.objects.count() == 0


def test_a_view_update_after_the_rep_submitted_is_let_go(
    client: Client, rep: User, slack: FakeSlack
) -> None:
    from slack_app.modal import Origin
    from slack_app.services import modal_similar_show

    slack_post(client, INTERACTIVITY, payload_body(_shortcut()), FORM)  # no task: not committed
    slack.close_view("V00000001")
    origin = Origin(user_id=rep.pk, slack_user=REP_SLACK, text=MESSAGE)
    assert modal_similar_show(view_id="V00000001", view_hash="old", origin=origin) is False
    assert SlackActivity.objects.get().last_error == ""


def test_the_app_removed_from_the_workspace_shows_as_the_last_error(client: Client, slack) -> None:
    body = json.dumps(
        {"type": "event_callback", "team_id": "T0001", "event": {"type": "app_uninstalled"}}
    ).encode()
    assert slack_post(client, EVENTS, body, "application/json").status_code == 200
    assert "removed from the Slack workspace" in SlackActivity.objects.get().last_error


@pytest.mark.parametrize(
    ("written", "plain"),
    [
        ("Acme &amp; Co want &lt;CSV&gt;", "Acme & Co want <CSV>"),
        (
            "see <https://acme.example/ledger|their ledger>",
            "see their ledger (https://acme.example/ledger)",
        ),
        ("see <https://acme.example/>", "see https://acme.example/"),
        ("<@U0JO> asked in <#C0SALES|sales>", "@U0JO asked in #sales"),
        ("<!here> urgent", "@here urgent"),
        (
            "mail <mailto:jo@acme.example|jo@acme.example>",
            "mail jo@acme.example",
        ),
    ],
)
def test_the_modal_starts_from_the_message_as_a_person_reads_it(written: str, plain: str) -> None:
    from slack_app.modal import slack_text_plain

    assert slack_text_plain(written) == plain


@pytest.mark.parametrize(
    ("path", "body", "content_type"),
    [
        (COMMANDS, command_body(user_id=REP_SLACK, trigger_id=""), FORM),
        (COMMANDS, b"\xff\xfe not utf-8", FORM),
        (INTERACTIVITY, payload_body([]), FORM),  # type: ignore[arg-type]
        (INTERACTIVITY, b"payload=%00", FORM),
        (INTERACTIVITY, payload_body({"type": "view_submission"}), FORM),
        (
            INTERACTIVITY,
            payload_body(
                {
                    "type": "view_submission",
                    "view": {"callback_id": "file_feedback", "private_metadata": "[1]"},
                }
            ),
            FORM,
        ),
        (
            INTERACTIVITY,
            payload_body({"type": "message_action", "callback_id": "file_feedback"}),
            FORM,
        ),
        (
            INTERACTIVITY,
            payload_body({"type": "block_suggestion", "block_id": "company", "value": ["x"]}),
            FORM,
        ),
        (EVENTS, b"[1, 2]", "application/json"),
        (EVENTS, b"{not json", "application/json"),
        (
            EVENTS,
            json.dumps({"type": "event_callback", "event": "app_uninstalled"}).encode(),
            "application/json",
        ),
    ],
)
def test_signed_hostile_input_gets_a_clear_answer_and_files_nothing(
    client: Client, rep: User, slack: FakeSlack, path: str, body: bytes, content_type: str
) -> None:
    response = slack_post(client, path, body, content_type)
    assert response.status_code in (200, 400, 401)
    assert Ticket.objects.count() == 0
    assert "views.open" not in slack.methods()


def test_a_submission_with_state_values_of_the_wrong_shape_is_refused_under_its_fields(
    client: Client, rep: User, slack: FakeSlack, django_capture_on_commit_callbacks
) -> None:
    opened = _open_by_shortcut(client, slack, django_capture_on_commit_callbacks)
    submitted = _submission(opened)
    submitted["view"]["state"]["values"] = {
        "title": ["not", "a", "block"],
        "description": {"value": "not an element"},
        "company": {"value": {"type": "external_select", "selected_option": "new:Acme"}},
        "email": {"value": {"type": "email_text_input", "value": "jo\x00@acme.example"}},
    }
    answer = slack_post(client, INTERACTIVITY, payload_body(submitted), FORM)
    assert answer.json()["response_action"] == "errors"
    assert Ticket.objects.count() == 0


def test_a_submission_before_the_task_brought_the_permalink_asks_for_it(
    client: Client, rep: User, slack: FakeSlack
) -> None:
    slack_post(client, INTERACTIVITY, payload_body(_shortcut()), FORM)  # no task: not committed
    opened = {**slack.called("views.open")[0].args["view"], "id": "V00000001"}
    answer = slack_post(client, INTERACTIVITY, payload_body(_submission(opened)), FORM)
    assert answer.json()["response_action"] == "update"
    assert slack.methods()[-1] == "chat.getPermalink"
    ticket = Ticket.objects.get()
    assert ticket.source_reference.endswith("/archives/C0GENERAL/p1764130000000100")
    assert ticket.source_sender == ""  # the author's name came with the task


def test_the_slash_command_files_a_slack_ticket_without_a_message(
    client: Client, rep: User, slack: FakeSlack
) -> None:
    slack_post(client, COMMANDS, command_body(user_id=REP_SLACK, text=MESSAGE), FORM)
    opened = {**slack.called("views.open")[0].args["view"], "id": "V00000001"}
    slack_post(client, INTERACTIVITY, payload_body(_submission(opened)), FORM)
    ticket = Ticket.objects.get()
    assert (ticket.source, ticket.source_reference, ticket.source_sent_at) == ("slack", "", None)
    assert "chat.getPermalink" not in slack.methods()
