"""Inviting people by email and their accepting: the admin names who and in which role; the
invitee sets their own password through a link that expires; the account is made then."""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

import audit
from accounts.models import Role, Team, User
from audit.actions import Action
from audit.services import changes_between
from core.errors import DomainError
from core.text import line_clean
from notifications.models import Notification, NotificationKind
from notifications.registry import Message, Suppress, as_recorded
from notifications.services import notification_record
from people.models import ApiToken, Invitation, InvitationState
from people.policies import ensure_may_invite, ensure_may_manage_tokens

INVITE_DAYS = 7
_KEY = "invite:{pk}:{send}"  # an invite email's idempotency key: its invitation and which send


def token_hash(token: str) -> str:
    """What is stored of a link's token: its SHA-256 (the token itself is only in the email)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def _email_clean(email: str) -> str:
    email = " ".join(email.split()).lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise DomainError(f"“{email}” is not a valid email address.", field="email") from exc
    return email


def _invite_record(invitation: Invitation, token: str) -> None:
    """The invite email into the outbox, rendered now with its link (the token is nowhere else)."""
    link = settings.SITE_URL + reverse("people:accept", args=[token])
    context = {"invitation": invitation, "link": link, "days": INVITE_DAYS}
    by = invitation.invited_by.display_name if invitation.invited_by else "An admin"
    notification_record(
        kind=NotificationKind.ACCOUNT_INVITE,
        idempotency_key=_KEY.format(pk=invitation.pk, send=invitation.sends),
        recipient_email=invitation.email,
        subject=f"{by} invited you to FeedbackLoop",
        body_text=render_to_string("people/email/invite.txt", context),
        body_html=render_to_string("people/email/invite.html", context),
    )


@transaction.atomic
def invitation_create(
    *,
    by: User,
    email: str,
    role: str,
    team: str,
    first_name: str = "",
    last_name: str = "",
) -> Invitation:
    """Invite someone: their set-your-password link goes out through the outbox and works for
    INVITE_DAYS. Someone with an account, or with an invite still open, is not invited twice."""
    ensure_may_invite(by)
    email = _email_clean(email)
    if role not in Role.values:
        raise DomainError(f"“{role}” is not a role.", field="role")
    if team not in Team.values:
        raise DomainError(f"“{team}” is not a team.", field="team")
    names = {
        "first_name": line_clean(
            first_name, field="first_name", label="The first name", limit=150, required=False
        ),
        "last_name": line_clean(
            last_name, field="last_name", label="The last name", limit=150, required=False
        ),
    }
    member = User.objects.filter(email__iexact=email, is_active=True).first()
    if member is not None:
        raise DomainError(
            f"{email} already has an account ({member.username}).", field="email", code="conflict"
        )
    if (
        # The unique constraint settles a race between two admins; this is the clear message.
        Invitation.objects.filter(
            email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
        ).exists()
    ):
        raise DomainError(
            f"{email} is already invited: send the invite again from the list below.",
            field="email",
            code="conflict",
        )
    token, hashed = _new_token()
    now = timezone.now()
    invitation = Invitation.objects.create(
        email=email,
        role=role,
        team=team,
        token_hash=hashed,
        invited_by=by,
        sent_at=now,
        expires_at=now + datetime.timedelta(days=INVITE_DAYS),
        **names,
    )
    _invite_record(invitation, token)
    return invitation


def _open_locked(invitation: Invitation) -> Invitation:
    current = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("invited_by")
        .get(pk=invitation.pk)
    )
    if current.state in (InvitationState.ACCEPTED, InvitationState.REVOKED):
        raise DomainError(
            f"The invite for {current.email} was already {current.state.label.lower()}.",
            code="conflict",
        )
    return current


@transaction.atomic
def invitation_resend(*, invitation: Invitation, by: User) -> Invitation:
    """Send a pending or expired invite again, with a new link that works for INVITE_DAYS from
    now; the link sent before stops working."""
    ensure_may_invite(by)
    current = _open_locked(invitation)
    token, current.token_hash = _new_token()
    current.sends += 1
    current.sent_at = timezone.now()
    current.expires_at = current.sent_at + datetime.timedelta(days=INVITE_DAYS)
    current.save(update_fields=["token_hash", "sends", "sent_at", "expires_at"])
    _invite_record(current, token)
    return current


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by: User) -> Invitation:
    """Take an invite back: its link stops working (an email still waiting is not sent)."""
    ensure_may_invite(by)
    current = _open_locked(invitation)
    current.revoked_at = timezone.now()
    current.save(update_fields=["revoked_at"])
    return current


@transaction.atomic
def invitation_accept(*, token: str, username: str, password: str) -> User:
    """The invitee chose a username and a password: their account is made, in the role and team
    they were invited with, and the link is used up."""
    invitation = Invitation.objects.select_for_update().filter(token_hash=token_hash(token)).first()
    if invitation is None or invitation.state != InvitationState.OPEN:
        raise DomainError("This invite link no longer works.", code="conflict")
    username = username.strip()
    if not username:
        raise DomainError("Choose a username.", field="username")
    try:
        User.username_validator(username)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="username") from exc
    if len(username) > 150:
        raise DomainError("Usernames are at most 150 characters.", field="username")
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(f"“{username}” is taken; choose another.", field="username")
    user = User(
        username=username,
        email=invitation.email,
        first_name=invitation.first_name,
        last_name=invitation.last_name,
        role=invitation.role,
        team=invitation.team,
        is_staff=invitation.role == Role.ADMIN,
        is_superuser=invitation.role == Role.ADMIN,
    )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="password1") from exc
    user.set_password(password)
    user.save()
    invitation.accepted_at = timezone.now()
    invitation.user = user
    invitation.save(update_fields=["accepted_at", "user"])
    audit.record(
        Action.USER_CREATED,
        actor=user,
        target=user,
        changes={"via": "invite", "invited_by": _name(invitation.invited_by), **_access(user)},
    )
    return user


def _name(user: User | None) -> str:
    return user.username if user is not None else ""


# What a person may do and where they belong: a change to any of these is a role change.
ACCESS_FIELDS = ("role", "team", "is_staff", "is_superuser")


def _access(user: User) -> dict[str, object]:
    return {name: getattr(user, name) for name in ACCESS_FIELDS}


@transaction.atomic
def person_save(*, by: User, person: User) -> User:
    """Save an admin's change to a person (Django admin), recording a change of role, team or
    admin rights, and a deactivation or reactivation, in the audit log."""
    before = User.objects.select_for_update().get(pk=person.pk)
    person.save()
    access = changes_between(_access(before), _access(person))
    if access:
        audit.record(Action.ROLE_CHANGED, actor=by, target=person, changes=access)
    if before.is_active != person.is_active:
        if not person.is_active:
            user_access_end(user=person, reason="deactivated", by=by)
        audit.record(
            Action.USER_REACTIVATED if person.is_active else Action.USER_DEACTIVATED,
            actor=by,
            target=person,
            changes={"is_active": [before.is_active, person.is_active]},
        )
    details = changes_between(
        {
            "username": before.username,
            "email": before.email,
            "first_name": before.first_name,
            "last_name": before.last_name,
        },
        {
            "username": person.username,
            "email": person.email,
            "first_name": person.first_name,
            "last_name": person.last_name,
        },
    )
    if details:
        audit.record(Action.USER_CHANGED, actor=by, target=person, changes=details)
    return person


def invite_email(notification: Notification) -> Message | Suppress:
    """The outbox handler for ACCOUNT_INVITE: the email as recorded, unless its invite was taken
    back, used or sent again since (its link would not work)."""
    pk, _, send = notification.idempotency_key.removeprefix("invite:").partition(":")
    invitation = Invitation.objects.filter(pk=int(pk)).first()
    if invitation is None or invitation.state != InvitationState.OPEN:
        return Suppress("the invite was revoked, used or has expired")
    if str(invitation.sends) != send:
        return Suppress("the invite was sent again with a new link")
    return as_recorded(notification)


# API tokens ------------------------------------------------------------------------------------

TOKENS_LIVE_MAX = 50  # live tokens one person may hold: enough for every script, not a leak
_KEY_PREFIX = "fl_"
_PREFIX_SHOWN = 8


def api_token_create(*, user: User, name: str, by: User | None = None) -> tuple[ApiToken, str]:
    """A new named API token for `user` (made by themselves, or `by` an admin); returns it and
    its key, which is shown this once and kept only as its hash."""
    actor = by or user
    ensure_may_manage_tokens(actor, owner=user)
    name = line_clean(name, field="name", label="The name", limit=100, required=True)
    if not user.is_active:
        raise DomainError(f"{user.username} is deactivated: no new tokens.", code="conflict")
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one count at a time
        live = ApiToken.objects.filter(user=user, revoked_at__isnull=True).count()
        if live >= TOKENS_LIVE_MAX:
            raise DomainError(
                f"{user.username} has {live} tokens: revoke one they no longer use first.",
                field="name",
                code="conflict",
            )
        key = _KEY_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken.objects.create(
            user=user, name=name, prefix=key[:_PREFIX_SHOWN], key_hash=token_hash(key)
        )
        audit.record(
            Action.TOKEN_CREATED,
            actor=actor,
            target=token,
            changes={"name": name, "owner": user.username, "prefix": token.prefix},
        )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by: User) -> ApiToken:
    """Revoke a token: the next call with it is refused (401)."""
    current = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    ensure_may_manage_tokens(by, owner=current.user)
    if current.revoked_at is not None:
        raise DomainError(f"“{current.name}” was already revoked.", code="conflict")
    current.revoked_at = timezone.now()
    current.save(update_fields=["revoked_at"])
    audit.record(
        Action.TOKEN_REVOKED,
        actor=by,
        target=current,
        changes={"name": current.name, "owner": current.user.username, "prefix": current.prefix},
    )
    return current


def user_sessions_end(*, user: User) -> int:
    """Sign the person out of every browser: their sessions are deleted (a deactivated person's
    would be refused anyway; this keeps a reactivation from bringing them back)."""
    from django.contrib.sessions.models import Session

    ended = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get("_auth_user_id") == str(user.pk)
    ]
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)


def user_access_end(*, user: User, reason: str, by: User | None = None) -> None:
    """A person was deactivated: their sessions end and their API tokens are revoked, now."""
    user_sessions_end(user=user)
    api_tokens_revoke_all(user=user, reason=reason, by=by)


def api_tokens_revoke_all(*, user: User, reason: str, by: User | None = None) -> int:
    """Revoke every live token of `user` (they were deactivated): one event says how many."""
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        audit.record(
            Action.TOKEN_REVOKED,
            actor=by,
            actor_name="" if by else reason,
            target=user,
            changes={"owner": user.username, "tokens": revoked, "reason": reason},
        )
    return revoked


def api_token_used(*, token: ApiToken) -> None:
    """Note when a token was last used, at most once a minute (a write per call would cost)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > datetime.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
