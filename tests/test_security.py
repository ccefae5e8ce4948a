"""Proof of the security basics, end to end through the app.

- Who may open or call what: tests/test_access.py, one table of every route against every role.
- Stored text is shown escaped on every page and in every email (this file).
- CSRF is enforced on every form, htmx call and session-authenticated API write (this file).
- `manage.py check --deploy` is clean with production settings:
  tests/test_settings.py::test_check_deploy_is_clean_with_production_settings.
- Password guessing is slowed: the log-in form locks out, the API token view throttles (here).
- The API keeps its OpenAPI schema and never answers 500 to generated input: schemathesis with
  every check, tests/test_contract.py.
"""

from __future__ import annotations

import datetime
import html
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.utils import timezone

from accounts.models import User
from tests.test_access import (
    ANYMAIL_INBOUND,
    CALLS,
    DONE,
    LOGIN,
    Call,
    answer_of,
    as_role,
    make_world,
    send,
)

SCRIPT = "<script>alert(1)</script>"
ESCAPED = html.escape(SCRIPT, quote=False)  # &lt;script&gt;alert(1)&lt;/script&gt;


def stored(label: str) -> str:
    """Text a user typed: the script tag, then which field it is (to find it again)."""
    return f"{SCRIPT} {label}"


def _email(sender: str, subject: str, body: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "feedback@localhost"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="staff.example")
    message.set_content(body)
    return bytes(message)


# ---------------------------------------------------------------------------------------------
# Stored <script> in every text field: escaped on every page and in every email

# Every text field a person types; each must be found, escaped, on some page.
FIELDS = [
    "submitter first name",
    "submitter last name",
    "pm first name",
    "pm last name",
    "facilitator first name",
    "facilitator last name",
    "customer name",
    "contact name",
    "product area",
    "ticket title",
    "ticket description",
    "ticket tag",
    "comment",
    "question",
    "answer",
    "ticket decline reason",
    "initiative title",
    "initiative description",
    "effort",
    "release note",
    "initiative decline reason",
    "workshop title",
    "review title",
    "session description",
    "session location",
    "session notes",
    "item notes",
    "agenda comment",
    "decision rationale",
    "outcome",
]


@pytest.fixture
def scripted(
    submitter: User,
    pm: User,
    facilitator: User,
    django_capture_on_commit_callbacks: Any,
    mailoutbox: list[Any],
) -> dict[str, Any]:
    """Every kind of stored text holds a script tag, made through the services as people do;
    every email those services send is delivered (Celery runs eagerly) to the empty outbox."""
    from accounts.models import Role, Team
    from accounts.tests.factories import UserFactory
    from email_intake.channels import email_test_send
    from email_intake.models import Via
    from email_intake.services import email_receive
    from intake.models import CommentKind, ProductArea
    from intake.services import comment_add, ticket_create
    from people.services import invitation_create
    from sessions.models import Decision, Outcome
    from sessions.services import (
        decision_record,
        item_comment_add,
        outcome_add,
        review_create,
        session_close,
        session_notes_save,
        sessions_remind,
        workshop_schedule,
    )
    from triage.models import InitiativeStatus
    from triage.services import (
        initiative_create,
        initiative_decline,
        initiative_move,
        initiative_ship,
        ticket_decline,
        ticket_link,
        ticket_mark_duplicate,
        tickets_same_ask,
    )

    for user in (submitter, pm, facilitator):
        name = {"sales": "submitter"}.get(user.username, user.username)
        user.first_name = stored(f"{name} first name")
        user.last_name = stored(f"{name} last name")
        user.save()
    area = ProductArea.objects.create(name=stored("product area"), slug="billing")

    def ticket(**extra: Any) -> Any:
        return ticket_create(
            submitted_by=submitter,
            title=stored("ticket title"),
            description=stored("ticket description"),
            company=stored("customer name"),
            email="ops@acme.example",
            contact_name=stored("contact name"),
            source_team="sales",
            kind="feature_request",
            importance="critical",
            revenue_at_stake="25000",
            product_area=area,
            tags=[stored("ticket tag")],
            **extra,
        )

    starts = timezone.now() + datetime.timedelta(hours=20)
    with django_capture_on_commit_callbacks(execute=True):
        waiting = ticket()  # stays in the inbox, editable, on the review's agenda
        comment_add(ticket=waiting, author=pm, body=stored("comment"))
        asked = ticket()
        comment_add(ticket=asked, author=pm, body=stored("question"), kind=CommentKind.QUESTION)
        comment_add(ticket=asked, author=submitter, body=stored("answer"), kind=CommentKind.ANSWER)
        declined = ticket()
        ticket_decline(ticket=declined, by=pm, reason=stored("ticket decline reason"))

        shipped = initiative_create(
            by=pm,
            title=stored("initiative title"),
            description=stored("initiative description"),
            product_area=area,
            effort=stored("effort"),
        )
        linked = ticket()
        ticket_link(ticket=linked, initiative=shipped, by=pm)
        ticket_mark_duplicate(ticket=ticket(), of=linked, by=pm)
        for status in (InitiativeStatus.PLANNED, InitiativeStatus.IN_PROGRESS):
            initiative_move(initiative=shipped, by=pm, status=status)
        initiative_ship(
            initiative=shipped,
            by=pm,
            release_note=stored("release note"),
        )
        # Open, with the same customer's ticket linked: its ship page previews the email.
        proposed = initiative_create(
            by=pm, title=stored("initiative title"), description=stored("initiative description")
        )
        ticket_link(ticket=ticket(), initiative=proposed, by=pm)
        # The rep calls two waiting tickets the same ask: the product manager who owns the
        # initiative it makes is told.
        tickets_same_ask(waiting=ticket(), ticket=ticket(), by=submitter)
        declined_initiative = initiative_create(by=pm, title=stored("initiative title"))
        initiative_decline(
            initiative=declined_initiative,
            by=pm,
            reason=stored("initiative decline reason"),
        )

        workshop = workshop_schedule(
            by=facilitator,
            title=stored("workshop title"),
            topic="friction_points",
            starts_at=starts,
            duration_minutes=60,
            description=stored("session description"),
            location=stored("session location"),
            invitees=[submitter, pm],
            product_area=area,
            tags=[stored("ticket tag")],
        )
        outcome_add(
            session=workshop, by=submitter, kind=Outcome.Kind.INSIGHT, body=stored("outcome")
        )
        session_notes_save(session=workshop, by=facilitator, notes=stored("session notes"))
        review, _ = review_create(
            month=(starts + datetime.timedelta(days=40)).date(),
            by=facilitator,
            starts_at=starts + datetime.timedelta(hours=1),
            title=stored("review title"),
            description=stored("session description"),
            location=stored("session location"),
            invitees=[submitter],
        )
        item = review.agenda.get(ticket=waiting)
        session_notes_save(session=review, by=facilitator, notes=stored("item notes"), item=item)
        item_comment_add(item=item, by=submitter, body=stored("agenda comment"), kind="context")
        decided = review.agenda.exclude(pk=item.pk).filter(ticket__isnull=False).first()
        assert decided is not None
        decision_record(
            item=decided,
            by=facilitator,
            decision=Decision.NEEDS_RESEARCH,
            rationale=stored("decision rationale"),
        )
        sessions_remind(now=timezone.now())
        session_close(
            session=workshop, by=facilitator, attended=[submitter.pk, facilitator.pk], early=True
        )

        # Emails to the feedback address, and their replies: filed, not filed, not from staff;
        # and the Channels page's test email.
        forward = (
            f"{stored('comment')}\n\n---------- Forwarded message ---------\n"
            f"From: Jo <jo@acme.example>\nSubject: {stored('ticket title')}\n\n"
            f"{stored('ticket description')}\n"
        )
        for sender, body in (
            (submitter.email, forward),
            (submitter.email, ""),
            ("stranger@elsewhere.example", "Hello"),
        ):
            email_receive(raw=_email(sender, stored("ticket title"), body), via=Via.WEBHOOK)
        email_test_send(facilitator)
        # An admin invites someone whose name holds the tag: the invite email.
        admin = UserFactory.create(
            username="admin",
            role=Role.ADMIN,
            is_staff=True,
            is_superuser=True,
            first_name=stored("admin first name"),
        )
        invitation_create(
            by=admin,
            email="newcomer@staff.example",
            role=Role.SUBMITTER,
            team=Team.SALES,
            first_name=stored("invitee first name"),
            last_name=stored("invitee last name"),
        )
        # A webhook endpoint failing for a day, its last answer holding the tag: the admins'
        # notice that it was turned off.
        from webhooks.models import WebhookEndpoint
        from webhooks.services import endpoint_failed

        endpoint = WebhookEndpoint.objects.create(
            url="https://hooks.example.com/in",
            secret="a-secret-of-twenty-chars",
            events=["*"],
            failing_since=timezone.now() - datetime.timedelta(days=2),
        )
        endpoint_failed(
            endpoint=endpoint, error=f"HTTP 500: {stored('webhook answer')}", now=timezone.now()
        )
    return {
        "waiting": waiting,
        "asked": asked,
        "declined": declined,
        "linked": linked,
        "shipped": shipped,
        "proposed": proposed,
        "declined_initiative": declined_initiative,
        "workshop": workshop,
        "review": review,
        "item": item,
        "month": f"{timezone.localtime(starts):%Y-%m}",
        "endpoint": endpoint,
    }


def _pages(objects: dict[str, Any]) -> list[tuple[str, str]]:
    """(role, path) for every page that shows stored text."""
    t = objects["waiting"].pk
    asked = objects["asked"].pk
    declined = objects["declined"].pk
    shipped = objects["shipped"].pk
    proposed = objects["proposed"].pk
    declined_initiative = objects["declined_initiative"].pk
    workshop = objects["workshop"].pk
    review = objects["review"].pk
    return [
        ("submitter", "/"),
        ("pm", "/"),
        ("facilitator", "/"),
        ("submitter", "/intake/mine/"),
        ("submitter", "/intake/tickets/"),
        ("pm", "/intake/tickets/?q=ticket+title"),
        ("submitter", f"/intake/tickets/{t}/"),
        ("submitter", f"/intake/tickets/{t}/edit/"),
        ("submitter", f"/intake/tickets/{asked}/"),
        ("submitter", f"/intake/tickets/{declined}/"),
        ("pm", f"/intake/tickets/{objects['linked'].pk}/"),
        ("submitter", "/intake/new/similar/?title=ticket+title&description=initiative"),
        ("submitter", "/intake/new/companies/?company=%3Cscript"),
        ("pm", "/triage/"),
        ("pm", "/triage/?period=3"),
        ("pm", "/triage/inbox/"),
        ("pm", "/triage/inbox/?view=asked"),
        ("pm", f"/triage/inbox/{t}/link/"),
        ("pm", f"/triage/inbox/{t}/create/"),
        ("pm", f"/triage/inbox/{t}/duplicate/"),
        ("pm", f"/triage/inbox/{t}/decline/"),
        ("pm", f"/triage/inbox/{t}/ask/"),
        ("pm", f"/triage/inbox/{t}/snooze/"),
        ("pm", f"/triage/initiatives/{shipped}/"),
        ("submitter", f"/triage/initiatives/{shipped}/"),
        ("pm", f"/triage/initiatives/{proposed}/"),
        ("pm", f"/triage/initiatives/{declined_initiative}/"),
        ("pm", f"/triage/initiatives/{shipped}/edit/"),
        ("pm", f"/triage/initiatives/{proposed}/status/?to=shipped"),
        ("pm", f"/triage/initiatives/{proposed}/status/?to=declined"),
        ("pm", "/insights/"),
        ("submitter", "/notices/"),
        ("pm", "/notices/"),
        ("facilitator", "/notices/"),
        ("pm", "/notices/deliveries/"),
        ("admin_user", f"/notices/deliveries/?initiative={shipped}"),
        ("submitter", "/sessions/"),
        ("submitter", f"/sessions/calendar/?month={objects['month']}"),
        ("submitter", f"/sessions/{workshop}/"),
        ("facilitator", f"/sessions/{workshop}/"),
        ("submitter", f"/sessions/{review}/"),
        ("facilitator", f"/sessions/{review}/"),
        ("pm", f"/sessions/{review}/"),
        ("pm", f"/sessions/{review}/items/{objects['item'].pk}/matches/"),
        ("pm", f"/triage/inbox/{t}/same/"),
        ("admin_user", "/admin/intake/ticket/"),
        ("admin_user", f"/admin/intake/ticket/{t}/change/"),
        ("admin_user", f"/admin/triage/initiative/{shipped}/change/"),
        ("admin_user", "/admin/accounts/user/"),
        ("admin_user", f"/webhooks/{objects['endpoint'].pk}/"),
    ]


@pytest.mark.django_db
def test_stored_script_is_escaped_on_every_page(
    request: pytest.FixtureRequest, scripted: dict[str, Any]
) -> None:
    seen: set[str] = set()
    raw, unescaped = [], []
    for role, path in _pages(scripted):
        response = as_role(request, role).get(path)
        assert response.status_code == 200, (role, path, response.status_code)
        page = response.content.decode()
        if SCRIPT in page:
            raw.append(f"{path} as {role}")
        if ESCAPED not in page:
            unescaped.append(f"{path} as {role}")
        seen |= {label for label in FIELDS if html.escape(stored(label), quote=False) in page}
    # The ship page previews the email as the release note is typed (an htmx POST).
    preview = as_role(request, "pm").post(
        f"/triage/initiatives/{scripted['proposed'].pk}/preview/",
        {"release_note": stored("release note")},
    )
    assert SCRIPT not in preview.content.decode()
    # The API answers JSON, which browsers are told not to sniff and render as HTML.
    api = as_role(request, "pm").get("/api/tickets/")
    assert api["Content-Type"] == "application/json"
    assert api["X-Content-Type-Options"] == "nosniff"
    assert SCRIPT in api.content.decode()  # as typed: JSON is data, its reader escapes it
    assert not raw, f"a raw <script> on: {raw}"
    assert not unescaped, f"no stored text shown on: {unescaped}"
    assert seen == set(FIELDS), f"never shown: {sorted(set(FIELDS) - seen)}"


@pytest.mark.django_db
def test_stored_script_is_escaped_in_every_email(
    scripted: dict[str, Any], mailoutbox: list[Any]
) -> None:
    from notifications import registry
    from notifications.models import Notification, NotificationKind

    # Every kind that goes by email (Slack's messages are escaped for Slack: slack_app tests).
    emailed = {kind for kind in NotificationKind if registry.channel_of(kind) == registry.EMAIL}
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert kinds == emailed, f"not sent: {emailed - kinds}"
    assert len(mailoutbox) == Notification.objects.count()
    for message in mailoutbox:
        assert isinstance(message, mail.EmailMultiAlternatives), message.subject
        htmls = [str(body) for body, mimetype in message.alternatives if mimetype == "text/html"]
        assert len(htmls) == 1, message.subject
        assert SCRIPT not in htmls[0], message.subject
        assert ESCAPED in htmls[0], message.subject
        # The plain-text part is text/plain: the tag is only text there, and shown as typed.
        assert SCRIPT in message.body, message.subject


# ---------------------------------------------------------------------------------------------
# CSRF on every form, htmx call and session-authenticated API write


@pytest.fixture
def world(submitter: User, pm: User, facilitator: User) -> dict[str, str]:
    """The objects the access table's placeholders name."""
    return make_world(submitter=submitter, pm=pm, facilitator=facilitator)


# The writes that need no CSRF token, and why.
CSRF_EXEMPT = {
    # RFC 8058 one-click unsubscribe: mail clients POST it with no cookie and no token.
    "/unsubscribe/{unsubscribe}/",
    # Trades a password for a token; it reads no cookie, so a forged request gains nothing.
    "/api/auth/token/",
    # Email providers post inbound mail with a basic-auth secret, never a cookie.
    *(f"/anymail/{provider}/inbound/" for provider in ANYMAIL_INBOUND),
    # Slack posts these with its signature instead of a cookie (slack_app.views.slack_request).
    "/integrations/slack/commands/",
    "/integrations/slack/interactivity/",
    "/integrations/slack/events/",
    # GitHub and Linear sign theirs (webhooks.views.github_receive, linear_receive).
    "/integrations/github/",
    "/integrations/linear/",
}
ALLOWED = (DONE, 200, 201, 204, LOGIN)


def _writes() -> int:
    """Rows this transaction has inserted, updated or deleted so far, in any table."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)"
            " FROM pg_stat_xact_user_tables"
        )
        return int(cursor.fetchone()[0])


def _csrf_cases() -> list[tuple[Call, str]]:
    """Every write in the access table, with a role it is allowed to."""
    cases = []
    for call in CALLS:
        if call.method == "get" or call.path in CSRF_EXEMPT:
            continue
        if call.answers["anonymous"] in (DONE, 200):  # logging in
            cases.append((call, "anonymous"))
            continue
        staff = [role for role, answer in call.answers.items() if role != "anonymous"]
        cases.append((call, next(role for role in staff if call.answers[role] in ALLOWED)))
    return cases


CSRF_CASES = _csrf_cases()


def test_every_write_but_the_exempt_ones_is_checked_for_csrf() -> None:
    checked = {str(call) for call, _ in CSRF_CASES}
    writes = {str(call) for call in CALLS if call.method != "get"}
    assert writes - checked == {f"POST {path}" for path in CSRF_EXEMPT}


@pytest.mark.django_db
def test_every_write_needs_the_csrf_token(
    request: pytest.FixtureRequest, world: dict[str, str]
) -> None:
    wrong = []
    for call, role in CSRF_CASES:
        client = as_role(request, role, enforce_csrf_checks=True)
        # Without the token: refused before the view runs, and nothing is written.
        sid = transaction.savepoint()
        before = _writes()
        refused = send(client, call, world)
        written = _writes() - before
        if refused.status_code != 403 or written:
            wrong.append(f"{call} as {role} without a token: {refused.status_code}, {written} rows")
        transaction.savepoint_rollback(sid)
        # With it, as a form field or (API, htmx) the X-CSRFToken header: the table's answer.
        cache.clear()
        sid = transaction.savepoint()
        client.get("/login/" if role == "anonymous" else "/")
        token = client.cookies["csrftoken"].value
        if call.path.startswith("/api/"):
            answered = send(client, call, world, HTTP_X_CSRFTOKEN=token)
        else:
            with_token = Call(
                call.method, call.path, {**(call.body or {}), "csrfmiddlewaretoken": token}, {}
            )
            answered = send(client, with_token, world)
        transaction.savepoint_rollback(sid)
        if answer_of(answered) != call.answers[role]:
            wrong.append(f"{call} as {role} with the token: {answer_of(answered)}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.django_db
def test_htmx_sends_the_token_the_page_gives_it(
    request: pytest.FixtureRequest, world: dict[str, str]
) -> None:
    import re

    client = as_role(request, "pm", enforce_csrf_checks=True)
    page = client.get("/triage/inbox/").content.decode()
    match = re.search(r"""<body hx-headers='\{"X-CSRFToken": "([^"]+)"\}'>""", page)
    assert match, "the page gives htmx no CSRF token"
    action = f"/triage/inbox/{world['{ticket}']}/decline/"
    htmx = {"HX-Request": "true"}
    assert client.post(action, {"reason": "No."}, headers=htmx).status_code == 403
    done = client.post(action, {"reason": "No."}, headers={**htmx, "X-CSRFToken": match.group(1)})
    assert done.status_code == 200
    assert "Declined" in done.content.decode()


@pytest.mark.django_db
def test_api_writes_with_a_token_need_no_csrf_token(
    request: pytest.FixtureRequest, world: dict[str, str]
) -> None:
    from people.tests.factories import api_key_for

    wrong = []
    keys: dict[str, str] = {}
    for call, role in CSRF_CASES:
        if not call.path.startswith("/api/"):
            continue
        if role not in keys:
            keys[role] = api_key_for(request.getfixturevalue(role))
        client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {keys[role]}")
        cache.clear()
        sid = transaction.savepoint()
        answer = answer_of(send(client, call, world))
        transaction.savepoint_rollback(sid)
        if answer != call.answers[role]:
            wrong.append(f"{call} as {role}: {answer}")
    assert not wrong, "\n".join(wrong)


# ---------------------------------------------------------------------------------------------
# Password guessing


@pytest.fixture
def fresh_throttles() -> Any:
    """The token view's throttle counts in the cache, which no test transaction undoes."""
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_the_login_form_locks_out_after_ten_wrong_passwords(submitter: User, pm: User) -> None:
    from axes.models import AccessAttempt
    from django.conf import settings

    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 10
    client = Client()
    for attempt in range(1, limit):
        wrong = client.post("/login/", {"username": "sales", "password": f"guess{attempt}"})
        assert wrong.status_code == 200, attempt
        assert "Please enter a correct username and password" in wrong.content.decode()
    tenth = client.post("/login/", {"username": "sales", "password": "guess10"})
    assert tenth.status_code == 429
    # The right password now is refused too, with a page that says to wait.
    right = client.post("/login/", {"username": "sales", "password": "pw"})
    assert right.status_code == 429
    page = right.content.decode()
    assert "Too many failed log-ins" in page
    assert "Please wait 15 minutes before you try again" in page
    assert "_auth_user_id" not in client.session
    # Only that username from that address: the same person elsewhere, and others here, log in.
    elsewhere = Client(REMOTE_ADDR="10.0.0.7")
    assert elsewhere.post("/login/", {"username": "sales", "password": "pw"}).status_code == 302
    assert Client().post("/login/", {"username": "pm", "password": "pw"}).status_code == 302
    # After the cool-off, the right password works again.
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - datetime.timedelta(seconds=1)
    )
    again = client.post("/login/", {"username": "sales", "password": "pw"})
    assert again.status_code == 302
    assert again["Location"] == "/"


@pytest.mark.django_db
def test_a_successful_login_clears_earlier_failures(submitter: User) -> None:
    client = Client()
    for _ in range(9):
        client.post("/login/", {"username": "sales", "password": "wrong"})
    assert client.post("/login/", {"username": "sales", "password": "pw"}).status_code == 302
    client.post("/logout/")
    for _ in range(9):
        assert client.post("/login/", {"username": "sales", "password": "no"}).status_code == 200


@pytest.mark.django_db
@pytest.mark.usefixtures("fresh_throttles")
def test_the_api_token_view_allows_ten_attempts_a_minute(api: Any, submitter: User) -> None:
    for attempt in range(10):
        wrong = api.post("/api/auth/token/", {"username": "sales", "password": f"x{attempt}"})
        assert wrong.status_code == 401, attempt
    eleventh = api.post("/api/auth/token/", {"username": "sales", "password": "pw"})
    assert eleventh.status_code == 429
    assert int(eleventh["Retry-After"]) > 0
    assert "token" not in eleventh.json()
    # The failures also count against the log-in form: the same guesser is locked out there.
    assert Client().post("/login/", {"username": "sales", "password": "pw"}).status_code == 429
