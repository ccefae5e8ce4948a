"""Admins invite people by email; the link sets a password once, until it expires; revoked,
used, replaced and expired links say so; the account page keeps what is each person's own."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Role, Team, User
from core.errors import DomainError
from notifications.models import DeliveryStatus, Notification, NotificationKind
from notifications.services import notification_deliver
from people.models import Invitation
from people.services import (
    invitation_accept,
    invitation_create,
    invitation_resend,
    invitation_revoke,
)
from people.tests.factories import invitation_with_token

pytestmark = pytest.mark.django_db

NEW = {"email": "Nora@Northwind.example", "role": Role.PRODUCT_MANAGER, "team": Team.PRODUCT}


def _link(notification: Notification) -> str:
    found = re.search(r"(https?://\S+/invite/\S+/)", notification.body_text)
    assert found, notification.body_text
    return found.group(1)


def test_an_invite_is_an_outbox_email_with_a_link_that_sets_a_password(
    client, admin_user, settings
) -> None:
    invitation = invitation_create(by=admin_user, first_name="Nora", last_name="Ng", **NEW)
    assert invitation.email == "nora@northwind.example"
    row = Notification.objects.get(kind=NotificationKind.ACCOUNT_INVITE)
    assert row.recipient_email == "nora@northwind.example"
    assert row.subject == f"{admin_user.display_name} invited you to FeedbackLoop"
    link = _link(row)
    assert link.startswith(f"{settings.SITE_URL}/invite/")
    assert link in row.body_html
    token = link.rstrip("/").rsplit("/", 1)[-1]
    assert token not in str(Invitation.objects.values_list("token_hash", flat=True)[0])
    # Delivered by the outbox's own code, no worker needed: the email the invitee gets.
    mail.outbox.clear()
    Notification.objects.filter(pk=row.pk).update(status=DeliveryStatus.PENDING)
    assert notification_deliver(notification_id=row.pk) in (DeliveryStatus.SENT, None)
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT

    path = link.removeprefix(settings.SITE_URL)
    page = client.get(path)
    assert page.status_code == 200
    assert "as a product manager" in page.content.decode()
    response = client.post(
        path, {"username": "nora", "password1": "long-enough-9", "password2": "long-enough-9"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(username="nora")
    assert (user.email, user.role, user.team, user.first_name) == (
        "nora@northwind.example",
        Role.PRODUCT_MANAGER,
        Team.PRODUCT,
        "Nora",
    )
    assert user.check_password("long-enough-9")
    assert client.get("/").status_code == 200  # signed in
    used = client.get(path)
    assert used.status_code == 410
    assert "already used" in used.content.decode()


def test_an_admin_invite_makes_an_admin(admin_user) -> None:
    _invitation, token = invitation_with_token(email="other@staff.example", role=Role.ADMIN)
    user = invitation_accept(token=token, username="root", password="long-enough-9")
    assert user.is_staff
    assert user.is_superuser


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"role": "overlord"}, "role"),
        ({"team": "marketing"}, "team"),
        ({"first_name": "A\x00"}, "first_name"),
    ],
)
def test_bad_invites_name_the_field_and_store_nothing(admin_user, change, field) -> None:
    with pytest.raises(DomainError) as error:
        invitation_create(by=admin_user, **{**NEW, **change})
    assert error.value.field == field
    assert Invitation.objects.count() == Notification.objects.count() == 0


def test_no_one_is_invited_twice_or_when_they_have_an_account(admin_user, submitter) -> None:
    invitation_create(by=admin_user, **NEW)
    with pytest.raises(DomainError, match="already invited"):
        invitation_create(by=admin_user, **{**NEW, "email": "NORA@northwind.example"})
    with pytest.raises(DomainError, match="already has an account"):
        invitation_create(by=admin_user, **{**NEW, "email": submitter.email.upper()})
    assert Invitation.objects.count() == 1


def test_only_admins_invite(pm, submitter) -> None:
    for someone in (pm, submitter):
        with pytest.raises(DomainError) as error:
            invitation_create(by=someone, **NEW)
        assert error.value.code == "forbidden"
    assert Invitation.objects.count() == 0


def test_sending_again_replaces_the_link_and_extends_it(client, admin_user) -> None:
    invitation, old_token = invitation_with_token(invited_by=admin_user, days=-1)  # expired
    assert client.get(f"/invite/{old_token}/").status_code == 410
    assert "expired" in client.get(f"/invite/{old_token}/").content.decode()
    again = invitation_resend(invitation=invitation, by=admin_user)
    assert again.expires_at > timezone.now() + datetime.timedelta(days=6)
    assert client.get(f"/invite/{old_token}/").status_code == 404  # the old link is dead
    new_link = _link(Notification.objects.get(kind=NotificationKind.ACCOUNT_INVITE))
    assert client.get(new_link.split("8000", 1)[-1]).status_code == 200


def test_a_revoked_invite_says_so_and_its_waiting_email_is_not_sent(client, admin_user) -> None:
    invitation = invitation_create(by=admin_user, **NEW)
    row = Notification.objects.get(kind=NotificationKind.ACCOUNT_INVITE)
    token = _link(row).rstrip("/").rsplit("/", 1)[-1]
    invitation_revoke(invitation=invitation, by=admin_user)
    page = client.get(f"/invite/{token}/")
    assert page.status_code == 410
    assert "taken back" in page.content.decode()
    refused = client.post(
        f"/invite/{token}/",
        {"username": "x", "password1": "long-enough-9", "password2": "long-enough-9"},
    )
    assert refused.status_code == 410
    assert not User.objects.filter(username="x").exists()
    # As if the worker reached the row only now: it is suppressed, not sent.
    Notification.objects.filter(pk=row.pk).update(status=DeliveryStatus.PENDING, attempts=0)
    assert notification_deliver(notification_id=row.pk) == DeliveryStatus.SUPPRESSED
    with pytest.raises(DomainError, match="already revoked"):
        invitation_resend(invitation=invitation, by=admin_user)


def test_an_unknown_link_is_a_clear_404(client) -> None:
    page = client.get("/invite/nothing-like-it/")
    assert page.status_code == 404
    assert "does not work" in page.content.decode()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"username": "nora", "password1": "long-enough-9", "password2": "other-9x"}, "differ"),
        ({"username": "nora", "password1": "12345678", "password2": "12345678"}, "numeric"),
        (
            {"username": "no ra", "password1": "long-enough-9", "password2": "long-enough-9"},
            "valid username",
        ),
        (
            {"username": "sales", "password1": "long-enough-9", "password2": "long-enough-9"},
            "taken",
        ),
    ],
)
def test_a_bad_username_or_password_is_explained_and_nothing_is_made(
    client, submitter, form, message
) -> None:
    invitation, token = invitation_with_token()
    response = client.post(f"/invite/{token}/", form)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert User.objects.count() == 1
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_the_people_page_lists_pending_invites_for_admins_only(
    client, admin_user, submitter, django_assert_max_num_queries
) -> None:
    invitation_with_token(email="<b>x</b>@staff.example", invited_by=admin_user)
    client.force_login(submitter)
    assert client.get("/people/").status_code == 403
    client.force_login(admin_user)
    with django_assert_max_num_queries(12):
        page = client.get("/people/").content.decode()
    assert "&lt;b&gt;x&lt;/b&gt;@staff.example" in page
    assert "Send again" in page
    assert "Revoke" in page
    response = client.post(
        "/people/", {"email": "new@staff.example", "role": "submitter", "team": "sales"}
    )
    assert response.status_code == 302
    assert Invitation.objects.filter(email="new@staff.example").exists()
    bad = client.post("/people/", {"email": "nope", "role": "submitter", "team": "sales"})
    assert bad.status_code == 400
    assert "Enter a valid email address." in bad.content.decode()
    # Django admin's add-user page sends admins here instead of asking for a password.
    assert client.get("/admin/accounts/user/add/")["Location"] == "/people/"


def test_the_account_page_keeps_time_zone_password_and_email_settings(client, submitter) -> None:
    client.force_login(submitter)
    page = client.get("/account/").content.decode()
    assert "Time zone" in page
    assert "Change password" in page
    assert 'id="email-settings"' in page
    assert (
        client.post("/account/", {"action": "time_zone", "time_zone": "Asia/Tokyo"}).status_code
        == 302
    )
    submitter.refresh_from_db()
    assert submitter.time_zone == "Asia/Tokyo"
    bad = client.post("/account/", {"action": "time_zone", "time_zone": "Mars/Olympus"})
    assert bad.status_code == 400
    submitter.refresh_from_db()
    assert submitter.time_zone == "Asia/Tokyo"
    wrong = client.post(
        "/account/",
        {
            "action": "password",
            "old_password": "nope",
            "new_password1": "long-enough-9",
            "new_password2": "long-enough-9",
        },
    )
    assert wrong.status_code == 400
    assert "incorrect" in wrong.content.decode()
    changed = client.post(
        "/account/",
        {
            "action": "password",
            "old_password": "pw",
            "new_password1": "long-enough-9",
            "new_password2": "long-enough-9",
        },
    )
    assert changed.status_code == 302
    submitter.refresh_from_db()
    assert submitter.check_password("long-enough-9")
    assert client.get("/account/").status_code == 200  # still logged in
    # The email settings (notifications' view) save and come back here.
    saved = client.post("/notices/settings/", {"emailed": ["staff_question"]})
    assert saved["Location"] == "/account/#email-settings"
    assert client.get("/notices/settings/")["Location"] == "/account/#email-settings"
