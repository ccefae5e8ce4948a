"""API tokens per person: several named ones, shown once, kept hashed, listed and revoked on the
Account page (admins: everyone's on /people/tokens/); a revoked token, or a deactivated
person's, stops at once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import UserFactory
from audit.actions import Action
from audit.models import AuditEvent
from people.models import ApiToken
from people.services import TOKENS_LIVE_MAX, api_token_create, person_save


def _calls(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/tickets/").status_code


def test_the_password_call_makes_a_new_named_token_each_time(api, submitter: User) -> None:
    first = api.post(
        "/api/auth/token/",
        {"username": "sales", "password": "pw", "name": "CRM sync"},
        format="json",
    )
    assert first.status_code == 200
    assert first.json()["name"] == "CRM sync"
    second = api.post("/api/auth/token/", {"username": "sales", "password": "pw"}, format="json")
    assert second.json()["name"].startswith("API, ")
    assert first.json()["token"] != second.json()["token"]
    assert _calls(first.json()["token"]) == 200
    assert _calls(second.json()["token"]) == 200
    assert list(ApiToken.objects.filter(user=submitter).values_list("name", flat=True)) == [
        second.json()["name"],
        "CRM sync",
    ]
    created = AuditEvent.objects.filter(action=Action.TOKEN_CREATED).order_by("created_at")
    assert [event.changes["name"] for event in created] == ["CRM sync", second.json()["name"]]
    assert all(event.actor == submitter for event in created)


def test_a_wrong_password_makes_no_token(api, submitter: User) -> None:
    answer = api.post("/api/auth/token/", {"username": "sales", "password": "no"}, format="json")
    assert answer.status_code == 401  # well formed, wrong credentials
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.TOKEN_CREATED).exists()


def test_only_the_keys_hash_is_stored(submitter: User) -> None:
    token, key = api_token_create(user=submitter, name="laptop")
    assert key.startswith("fl_")
    assert len(key) > 40
    assert token.prefix == key[:8]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM people_apitoken")
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert key not in stored
    assert key[8:20] not in stored


def test_a_bad_or_missing_token_is_refused(db: None) -> None:
    assert _calls("fl_not-a-token") == 401
    assert _calls("x" * 500) == 401


def test_the_last_use_is_noted(submitter: User) -> None:
    token, key = api_token_create(user=submitter, name="laptop")
    assert token.last_used_at is None
    assert _calls(key) == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_person_makes_sees_and_revokes_their_tokens_on_the_account_page(
    client: Client, submitter: User
) -> None:
    client.force_login(submitter)
    made = client.post("/account/", {"action": "token", "name": "Zapier"})
    assert made.status_code == 200
    key = made.context["new_key"]
    page = made.content.decode()
    assert key in page
    assert "Copy it now" in page
    again = client.get("/account/").content.decode()
    assert key not in again  # shown once
    assert "Zapier<div" in again
    assert key[:8] in again
    assert _calls(key) == 200

    token = ApiToken.objects.get(name="Zapier")
    response = client.post(f"/account/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    assert _calls(key) == 401
    revoked = AuditEvent.objects.get(action=Action.TOKEN_REVOKED)
    assert (revoked.actor, revoked.changes["name"]) == (submitter, "Zapier")
    assert "Revoked “Zapier”: it no longer works." in client.get("/account/").content.decode()
    assert "Zapier<div" not in client.get("/account/").content.decode()
    # Twice: said plainly, nothing more happens.
    twice = client.post(f"/account/tokens/{token.pk}/revoke/", follow=True)
    assert "was already revoked" in twice.content.decode()
    assert AuditEvent.objects.filter(action=Action.TOKEN_REVOKED).count() == 1


def test_a_token_without_a_name_is_refused_clearly(client: Client, submitter: User) -> None:
    client.force_login(submitter)
    answer = client.post("/account/", {"action": "token", "name": "   "})
    assert answer.status_code == 400
    assert "This field is required." in answer.content.decode()
    assert not ApiToken.objects.exists()


def test_a_person_holds_at_most_so_many_tokens(client: Client, submitter: User) -> None:
    for n in range(TOKENS_LIVE_MAX):
        api_token_create(user=submitter, name=f"t{n}")
    client.force_login(submitter)
    answer = client.post("/account/", {"action": "token", "name": "one more"})
    assert answer.status_code == 400
    assert "revoke one they no longer use first" in answer.content.decode()
    assert ApiToken.objects.count() == TOKENS_LIVE_MAX


def test_nobody_else_revokes_your_token(client: Client, submitter: User, pm: User) -> None:
    token, key = api_token_create(user=submitter, name="laptop")
    client.force_login(pm)
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    assert client.get("/people/tokens/").status_code == 403
    assert _calls(key) == 200
    assert not AuditEvent.objects.filter(action=Action.TOKEN_REVOKED).exists()


def test_an_admin_sees_and_revokes_anyones_token(
    client: Client, admin_user: User, submitter: User, pm: User, django_assert_max_num_queries
) -> None:
    _, key = api_token_create(user=submitter, name="<b>laptop</b>")
    api_token_create(user=pm, name="board export")
    client.force_login(admin_user)
    with django_assert_max_num_queries(8) as few:
        page = client.get("/people/tokens/")
    html = page.content.decode()
    assert "&lt;b&gt;laptop&lt;/b&gt;" in html
    assert "board export" in html
    for n in range(20):
        api_token_create(user=UserFactory.create(username=f"person{n}"), name="script")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/people/tokens/").context["page"]) == 22

    token = ApiToken.objects.get(user=submitter)
    response = client.post(f"/account/tokens/{token.pk}/revoke/", {"next": "tokens"})
    assert response["Location"] == "/people/tokens/"
    assert _calls(key) == 401
    event = AuditEvent.objects.get(action=Action.TOKEN_REVOKED)
    assert (event.actor, event.changes["owner"]) == (admin_user, "sales")


def test_a_deactivated_persons_tokens_stop_at_once(submitter: User) -> None:
    _, key = api_token_create(user=submitter, name="laptop")
    User.objects.filter(pk=submitter.pk).update(is_active=False)
    assert _calls(key) == 401


@pytest.mark.parametrize("back", [False, True])
def test_deactivating_someone_revokes_their_tokens_for_good(
    admin_user: User, submitter: User, back: bool
) -> None:
    _, key = api_token_create(user=submitter, name="laptop")
    submitter.is_active = False
    person_save(by=admin_user, person=submitter)
    assert _calls(key) == 401
    event = AuditEvent.objects.get(action=Action.TOKEN_REVOKED)
    assert event.changes == {"owner": "sales", "tokens": 1, "reason": "deactivated"}
    if back:  # reactivated, their old tokens stay revoked
        submitter.is_active = True
        person_save(by=admin_user, person=submitter)
        assert _calls(key) == 401


def test_the_migration_keeps_drf_tokens_working_and_hashed(submitter: User) -> None:
    import importlib

    from django.apps import apps
    from rest_framework.authtoken.models import Token

    old = Token.objects.create(user=submitter)
    migration = importlib.import_module("people.migrations.0003_api_tokens_from_drf")
    migration.forwards(apps, None)
    assert not Token.objects.exists()  # the plain-text copy is gone
    token = ApiToken.objects.get(user=submitter)
    assert token.name == "API token (from before named tokens)"
    assert token.key_hash != old.key
    assert _calls(old.key) == 200
