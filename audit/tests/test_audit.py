"""The audit log: each security-relevant event is recorded with who, when, from where and what
changed; admins read it on /audit/ with filters, pages and a CSV download."""

from __future__ import annotations

import csv
import datetime
import io
import json
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

import audit
from accounts.models import Role, Team, User
from accounts.tests.factories import UserFactory
from audit.actions import Action
from audit.models import AuditEvent
from people.tests.factories import invitation_with_token
from tests.slack import slack_post
from triage.models import ScoringWeights

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AuditTest/1.0"


def _client(address: str = "203.0.113.7") -> Client:
    return Client(REMOTE_ADDR=address, HTTP_USER_AGENT=BROWSER)


def _body(response: Any) -> str:
    return b"".join(response.streaming_content).decode()


def _only(action: Action) -> AuditEvent:
    return AuditEvent.objects.get(action=action)


# --- signing in ------------------------------------------------------------------------------


def test_a_sign_in_is_recorded_with_who_and_from_where(submitter: User) -> None:
    client = _client()
    response = client.post("/login/", {"username": "sales", "password": "pw"})
    assert response.status_code == 302
    event = _only(Action.LOGIN)
    assert event.actor == submitter
    assert event.actor_name == f"{submitter.display_name} (sales)"
    assert event.ip_address == "203.0.113.7"
    assert event.user_agent == BROWSER
    assert event.changes == {"method": "password"}
    assert timezone.now() - event.created_at < datetime.timedelta(minutes=1)


def test_a_failed_sign_in_is_recorded_without_the_password(submitter: User) -> None:
    client = _client("198.51.100.4")
    response = client.post("/login/", {"username": "sales", "password": "wrong-secret-pw"})
    assert response.status_code == 200
    event = _only(Action.LOGIN_FAILED)
    assert event.actor is None
    assert event.actor_name == "sales"
    assert (event.target_type, event.target_id) == ("user", str(submitter.pk))
    assert event.ip_address == "198.51.100.4"
    assert "wrong-secret-pw" not in json.dumps(event.changes)
    assert not AuditEvent.objects.filter(action=Action.LOGIN).exists()


def test_a_failed_sign_in_for_nobody_names_what_was_typed(db: None) -> None:
    _client().post("/login/", {"username": "ghost", "password": "x"})
    event = _only(Action.LOGIN_FAILED)
    assert (event.target_label, event.target_id) == ("ghost", "")


def test_a_failed_api_token_call_is_recorded(api, submitter: User) -> None:
    answer = api.post("/api/auth/token/", {"username": "sales", "password": "nope"}, format="json")
    assert answer.status_code == 401  # well formed, wrong credentials
    assert _only(Action.LOGIN_FAILED).actor_name == "sales"


def test_signing_out_is_recorded(submitter: User) -> None:
    client = _client()
    client.force_login(submitter)
    client.post("/logout/")
    assert _only(Action.LOGOUT).actor == submitter


# --- people and roles (Django admin) ---------------------------------------------------------


def _user_form(user: User, **changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on" if user.is_active else "",
        "is_staff": "on" if user.is_staff else "",
        "is_superuser": "on" if user.is_superuser else "",
        "role": user.role,
        "team": user.team,
        "time_zone": user.time_zone,
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    form.update(changes)
    return {key: value for key, value in form.items() if value != ""}


def test_a_role_change_in_django_admin_is_recorded(admin_user: User, submitter: User) -> None:
    client = _client()
    client.force_login(admin_user)
    form = _user_form(submitter, role=Role.PRODUCT_MANAGER, team=Team.PRODUCT)
    response = client.post(f"/admin/accounts/user/{submitter.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    event = _only(Action.ROLE_CHANGED)
    assert event.actor == admin_user
    assert event.target_id == str(submitter.pk)
    assert event.changes == {
        "role": ["submitter", "product_manager"],
        "team": ["sales", "product"],
    }
    assert event.ip_address == "203.0.113.7"  # from the request, through the middleware
    assert not AuditEvent.objects.filter(action=Action.USER_DEACTIVATED).exists()


def test_deactivating_and_reactivating_someone_is_recorded(
    admin_user: User, submitter: User
) -> None:
    client = _client()
    client.force_login(admin_user)
    url = f"/admin/accounts/user/{submitter.pk}/change/"
    assert client.post(url, _user_form(submitter, is_active="")).status_code == 302
    assert _only(Action.USER_DEACTIVATED).changes == {"is_active": [True, False]}
    submitter.refresh_from_db()
    assert client.post(url, _user_form(submitter, is_active="on")).status_code == 302
    assert _only(Action.USER_REACTIVATED).actor == admin_user
    assert not AuditEvent.objects.filter(action=Action.ROLE_CHANGED).exists()


def test_making_someone_an_admin_is_a_role_change(admin_user: User, submitter: User) -> None:
    client = _client()
    client.force_login(admin_user)
    form = _user_form(submitter, role=Role.ADMIN, is_staff="on", is_superuser="on")
    assert client.post(f"/admin/accounts/user/{submitter.pk}/change/", form).status_code == 302
    assert _only(Action.ROLE_CHANGED).changes == {
        "role": ["submitter", "admin"],
        "is_staff": [False, True],
        "is_superuser": [False, True],
    }


def test_changing_someones_email_in_django_admin_is_recorded(
    admin_user: User, submitter: User
) -> None:
    client = _client()
    client.force_login(admin_user)
    form = _user_form(submitter, email="rep@staff.example", first_name="Rae")
    assert client.post(f"/admin/accounts/user/{submitter.pk}/change/", form).status_code == 302
    event = _only(Action.USER_CHANGED)
    assert event.actor == admin_user
    assert event.changes == {
        "email": [submitter.email, "rep@staff.example"],
        "first_name": [submitter.first_name, "Rae"],
    }
    assert not AuditEvent.objects.filter(action=Action.ROLE_CHANGED).exists()


def test_accepting_an_invite_records_the_new_person(admin_user: User) -> None:
    _, token = invitation_with_token(
        email="nora@staff.example", role=Role.PRODUCT_MANAGER, invited_by=admin_user
    )
    client = _client()
    response = client.post(
        f"/invite/{token}/",
        {"username": "nora", "password1": "long-enough-9", "password2": "long-enough-9"},
    )
    assert response.status_code == 302
    created = _only(Action.USER_CREATED)
    assert created.actor_name.endswith("(nora)")
    assert created.changes["via"] == "invite"
    assert created.changes["invited_by"] == "admin"
    assert created.changes["role"] == "product_manager"
    # Accepting logs them in: that is a sign-in too.
    assert _only(Action.LOGIN).actor == User.objects.get(username="nora")


# --- scoring weights, integrations -------------------------------------------------------------


def test_changing_the_scoring_weights_is_recorded_with_before_and_after(admin_user: User) -> None:
    ScoringWeights.current()
    client = _client()
    client.force_login(admin_user)
    form = {"nice_to_have": "1", "important": "4", "critical": "9", "revenue_weighting": "on"}
    response = client.post("/admin/triage/scoringweights/1/change/", form)
    assert response.status_code == 302
    event = _only(Action.SCORING_WEIGHTS_CHANGED)
    assert event.actor == admin_user
    assert event.changes == {
        "important": [2, 4],
        "critical": [3, 9],
        "revenue_weighting": [False, True],
        "initiatives_rescored": 0,
    }
    assert ScoringWeights.current().critical == 9


def test_a_channel_test_from_the_channels_page_is_recorded(admin_user: User) -> None:
    client = _client()
    client.force_login(admin_user)
    assert client.post("/channels/email-imap/test/").status_code == 302
    event = _only(Action.INTEGRATION_TESTED)
    assert event.actor == admin_user
    assert event.changes["channel"] == "email-imap"
    assert admin_user.email in event.changes["result"]


def test_slack_removing_the_app_is_recorded(client: Client, db: None, slack) -> None:
    body = json.dumps(
        {"type": "event_callback", "team_id": "T0001", "event": {"type": "app_uninstalled"}}
    ).encode()
    assert (
        slack_post(client, "/integrations/slack/events/", body, "application/json").status_code
        == 200
    )
    event = _only(Action.INTEGRATION_REMOVED)
    assert event.actor is None
    assert event.actor_name == "Slack"
    assert event.changes == {"event": "app_uninstalled", "team": "T0001"}


def test_an_unsigned_slack_event_records_nothing(client: Client, db: None, slack) -> None:
    body = json.dumps({"type": "event_callback", "event": {"type": "app_uninstalled"}}).encode()
    answer = slack_post(
        client, "/integrations/slack/events/", body, "application/json", sign="v0=0"
    )
    assert answer.status_code == 401
    assert not AuditEvent.objects.exists()


def test_an_event_recorded_in_a_change_that_is_rolled_back_is_gone(submitter: User) -> None:
    def change() -> None:
        with transaction.atomic():
            audit.record(Action.TOKEN_CREATED, actor=submitter, target=submitter)
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change()
    assert not AuditEvent.objects.exists()


# --- the page ----------------------------------------------------------------------------------


def _events(count: int, *, actor: User | None, action: Action, days_ago: int = 0) -> None:
    when = timezone.now() - datetime.timedelta(days=days_ago)
    AuditEvent.objects.bulk_create(
        AuditEvent(
            created_at=when - datetime.timedelta(seconds=n),
            actor=actor,
            actor_name=actor.username if actor else "",
            action=action,
            target_label=f"thing {n}",
            ip_address="192.0.2.1",
            changes={"n": n},
        )
        for n in range(count)
    )


def test_only_admins_see_the_audit_log(client: Client, pm: User, admin_user: User) -> None:
    client.force_login(pm)
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/?format=csv").status_code == 403
    client.force_login(admin_user)
    assert client.get("/audit/").status_code == 200


def test_the_page_filters_by_actor_action_and_dates(
    client: Client, admin_user: User, submitter: User, pm: User
) -> None:
    _events(3, actor=submitter, action=Action.LOGIN)
    _events(2, actor=pm, action=Action.TOKEN_CREATED)
    _events(4, actor=pm, action=Action.LOGIN, days_ago=10)
    client.force_login(admin_user)

    page = client.get("/audit/", {"actor": pm.pk}).context["page"]
    assert page.paginator.count == 6
    page = client.get("/audit/", {"actor": str(pm.pk), "action": "auth.login"}).context["page"]
    assert page.paginator.count == 4
    today = timezone.localdate()
    recent: dict[str, Any] = {
        "since": (today - datetime.timedelta(days=2)).isoformat(),
        "until": today.isoformat(),
    }
    page = client.get("/audit/", {"action": "auth.login", **recent}).context["page"]
    assert page.paginator.count == 4  # the submitter's three and the admin's own, just now
    assert {event.actor for event in page} == {submitter, admin_user}
    old = (today - datetime.timedelta(days=10)).isoformat()
    page = client.get("/audit/", {"since": old, "until": old}).context["page"]
    assert page.paginator.count == 4


def test_a_range_that_ends_before_it_starts_is_refused_clearly(client: Client, admin_user) -> None:
    client.force_login(admin_user)
    today = timezone.localdate()
    response = client.get(
        "/audit/",
        {"since": today.isoformat(), "until": (today - datetime.timedelta(days=3)).isoformat()},
    )
    assert response.status_code == 400
    assert "The end comes before the start." in response.content.decode()
    assert client.get("/audit/", {"since": "yesterday"}).status_code == 400
    far = client.get("/audit/", {"until": "9999-12-31", "format": "csv"})
    assert far.status_code == 400
    assert "Choose a day between 1900 and 9000." in far.content.decode()
    assert client.get("/audit/", {"since": "0001-01-01"}).status_code == 400
    assert client.get("/audit/", {"action": "nothing.like.this"}).status_code == 400


def test_the_page_shows_stored_text_escaped_and_pages_by_fifty(
    client: Client, admin_user: User
) -> None:
    audit.record(Action.LOGIN_FAILED, actor_name="<script>x()</script>", target_label="<b>t</b>")
    _events(60, actor=admin_user, action=Action.LOGIN, days_ago=1)
    client.force_login(admin_user)
    first = client.get("/audit/")
    html = first.content.decode()
    assert "&lt;script&gt;x()&lt;/script&gt;" in html
    assert "<script>x()" not in html
    assert len(first.context["page"]) == 50
    assert "Page 1 of 2" in html
    second = client.get("/audit/", {"page": 2}).context["page"]
    assert len(second) == 12  # and the admin's own sign-in


def test_the_page_has_a_fixed_number_of_queries(
    client: Client, admin_user: User, django_assert_max_num_queries
) -> None:
    client.force_login(admin_user)
    _events(3, actor=admin_user, action=Action.LOGIN)
    with django_assert_max_num_queries(8) as few:
        client.get("/audit/", {"actor": admin_user.pk})
    _events(45, actor=admin_user, action=Action.TOKEN_REVOKED)
    for n in range(10):
        UserFactory.create(username=f"person{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/audit/", {"actor": admin_user.pk})
    assert len(response.context["page"]) == 49  # and the admin's own sign-in


def test_the_csv_has_every_matching_event_and_records_the_export(
    admin_user: User, submitter: User
) -> None:
    _events(3, actor=submitter, action=Action.LOGIN)
    audit.record(Action.LOGIN_FAILED, actor_name='=HYPERLINK("http://x")', target_label="x")
    client = _client()
    client.force_login(admin_user)
    response = client.get("/audit/", {"actor": str(submitter.pk), "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(_body(response))))
    assert rows[0][:3] == ["when (UTC)", "actor", "action"]
    assert [row[1] for row in rows[1:]] == ["sales", "sales", "sales"]
    assert json.loads(rows[1][8]) == {"n": 0}
    exported = _only(Action.DATA_EXPORTED)
    assert exported.actor == admin_user
    assert exported.changes["what"] == "audit log"
    assert exported.changes["rows"] == 3
    assert exported.changes["filters"] == {"actor_id": submitter.pk}
    assert exported.ip_address == "203.0.113.7"

    everything = client.get("/audit/", {"format": "csv"})
    text = _body(everything)
    assert "'=HYPERLINK" in text  # a spreadsheet shows it as text, never runs it


# --- webhooks ----------------------------------------------------------------------------------


def test_adding_changing_and_deleting_a_webhook_is_recorded_without_its_secret(
    admin_user: User,
) -> None:
    client = _client()
    client.force_login(admin_user)
    secret = "s" * 40
    form = {
        "url": "https://tools.example.com/hooks/T0KEN-IN-PATH",
        "secret": secret,
        "events": ["ticket.created"],
        "active": "on",
    }
    assert client.post("/webhooks/new/", form).status_code == 302
    created = _only(Action.WEBHOOK_CREATED)
    assert created.actor == admin_user
    assert created.changes == {
        "host": "tools.example.com",
        "events": ["ticket.created"],
        "active": True,
    }
    from webhooks.models import WebhookEndpoint

    endpoint = WebhookEndpoint.objects.get()
    edit = {
        "url": "https://other.example.com/hooks",
        "secret": "t" * 40,
        "events": ["ticket.created", "initiative.shipped"],
        "active": "on",
    }
    assert client.post(f"/webhooks/{endpoint.pk}/edit/", edit).status_code == 302
    changed = _only(Action.WEBHOOK_CHANGED)
    assert changed.changes == {
        "host": ["tools.example.com", "other.example.com"],
        "secret": "changed",
        "events": [["ticket.created"], ["ticket.created", "initiative.shipped"]],
    }
    assert client.post(f"/webhooks/{endpoint.pk}/delete/").status_code == 302
    assert _only(Action.WEBHOOK_DELETED).target_label == "other.example.com"
    stored = json.dumps(list(AuditEvent.objects.values_list("changes", "target_label")))
    assert secret not in stored
    assert "t" * 40 not in stored
    assert "T0KEN-IN-PATH" not in stored
