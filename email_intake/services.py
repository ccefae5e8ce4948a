"""Filing a ticket from an email forwarded to the feedback address.

One code path behind both ways in (a provider's webhook, the IMAP mailbox): `email_receive`
takes the message's bytes, and in one transaction records it (once per Message-ID: a second
delivery waits for the first and then finds it), files the ticket with the rep's note as its
first comment, and records the reply to the rep in the outbox. Anything unexpected rolls all
of it back and is raised, so the message stays to be tried again (the webhook answers 500, the
mailbox leaves it unseen).
"""

from __future__ import annotations

import datetime
import logging
import re
from dataclasses import dataclass
from email import policy
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from core.errors import DomainError
from core.text import MESSAGE_MAX, TEXT_MAX, TITLE_MAX
from email_intake.models import InboundEmail, Outcome, Via, WayInHealth
from email_intake.parsing import (
    Address,
    ReadEmail,
    email_read,
    header_addresses,
    header_fields,
    header_text,
    message_key,
)
from intake.models import Contact, Importance, Kind, ProductArea, SourceTeam, Ticket, TicketSource
from intake.policies import may_file_ticket
from intake.services import comment_add, ticket_create
from notifications.models import NotificationKind
from notifications.services import notification_record
from triage.models import InitiativeStatus
from triage.selectors import similar_feedback

log = logging.getLogger(__name__)

RAW_KEEP_DAYS = 90
SIMILAR_OFFERED = 3
# A sender who is not staff hears it at most once a day, however much they send (a spoofed
# From would otherwise turn us into a source of backscatter).
NOT_STAFF_REPLY_EVERY = datetime.timedelta(days=1)

# Personal mailboxes: their domain says nothing about the company.
FREE_MAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "hotmail.co.uk",
        "live.com",
        "msn.com",
        "yahoo.com",
        "yahoo.co.uk",
        "ymail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "pm.me",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
        "zoho.com",
        "fastmail.com",
        "hey.com",
        "yandex.com",
        "yandex.ru",
        "qq.com",
        "163.com",
    }
)
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "ltd", "plc"})

_HASHTAG = re.compile(r"(?<![\w&#/])#([A-Za-z][\w-]{0,39})")
_IMPORTANCE_TAGS = {
    "critical": Importance.CRITICAL,
    "important": Importance.IMPORTANT,
    "nice": Importance.NICE_TO_HAVE,
}
_KIND_TAGS = {"bug": Kind.BUG, "feature": Kind.FEATURE_REQUEST, "friction": Kind.FRICTION}
_SUBJECT_PREFIX = re.compile(
    r"^\s*(?:(?:re|fw|fwd|aw|wg|sv|vs|tr|rv|antw|doorst)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE
)


# ---------------------------------------------------------------------------------------------
# Small rules


def feedback_address() -> str:
    """The address reps forward to: FEEDBACK_EMAIL, else the address mail is sent from."""
    return settings.FEEDBACK_EMAIL or parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()


def _our_addresses() -> set[str]:
    return {feedback_address(), parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()} - {""}


def title_from_subject(subject: str) -> str:
    """The subject without its "Fwd:", "RE:", "AW:" (however many, in any case)."""
    return _SUBJECT_PREFIX.sub("", subject).strip()


def company_from_domain(domain: str) -> str:
    """A company name from an email domain: acme-corp.co.uk is "Acme Corp"."""
    labels = [label for label in domain.lower().split(".") if label]
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2:
        core = labels[-3]
    else:
        core = labels[-2] if len(labels) >= 2 else labels[0]
    return " ".join(part.capitalize() for part in re.split(r"[-_]+", core) if part)


@dataclass(frozen=True)
class Hashtags:
    importance: str
    kind: str
    product_area: ProductArea | None
    tags: list[str]


def hashtags_read(note: str) -> Hashtags:
    """What the rep's hashtags set: #critical #important #nice, #bug #feature #friction, a
    product area's slug; any other hashtag becomes a tag. The defaults: important, feature."""
    importance, kind = Importance.IMPORTANT.value, Kind.FEATURE_REQUEST.value
    words = [word.lower() for word in _HASHTAG.findall(note)]
    areas = {area.slug: area for area in ProductArea.objects.filter(slug__in=words)}
    area: ProductArea | None = None
    tags: list[str] = []
    for word in words:
        if word in _IMPORTANCE_TAGS:
            importance = _IMPORTANCE_TAGS[word].value
        elif word in _KIND_TAGS:
            kind = _KIND_TAGS[word].value
        elif word in areas:
            area = area or areas[word]
        elif word not in tags and len(tags) < 5:
            tags.append(word)
    return Hashtags(importance=importance, kind=kind, product_area=area, tags=tags)


def _without_hashtags(note: str) -> str:
    return " ".join(_HASHTAG.sub(" ", note).split())


def _automatic(read: ReadEmail, envelope_sender: str | None) -> str:
    """Why this is mail no person wrote (an auto-reply, a bounce, a list), or ""."""
    headers = read.headers
    auto = headers["Auto-Submitted"].lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto[:40]}"
    if headers["Precedence"].lower() in ("bulk", "junk", "list"):
        return f"Precedence: {headers['Precedence'].lower()}"
    if headers["X-Autoreply"] or headers["X-Autorespond"]:
        return "an auto-reply (X-Autoreply)"
    if headers["List-Id"]:
        return "a mailing list (List-Id)"
    if "multipart/report" in headers["Content-Type"].lower():
        return "a delivery report (bounce)"
    return_path = headers["Return-Path"] if envelope_sender is None else envelope_sender
    if return_path.strip() in ("", "<>") and (envelope_sender is not None or return_path):
        return "a null return path (a bounce)"
    sender = read.sender.email.lower() if read.sender else ""
    if sender.split("@")[0] in ("mailer-daemon", "postmaster"):
        return "a mailer daemon (a bounce)"
    if sender in _our_addresses():
        return "sent from our own address"
    return ""


def _spoofed(read: ReadEmail) -> bool:
    """The receiving server found the sender's domain did not send it (DMARC failed)."""
    return "dmarc=fail" in read.headers["Authentication-Results"].lower()


def _staff_user(email: str) -> User | None:
    """The active member of staff with this address (any case) who may file, or None."""
    user = User.objects.filter(is_active=True, email__iexact=email).order_by("pk").first()
    return user if user is not None and may_file_ticket(user) else None


@dataclass(frozen=True)
class Company:
    name: str
    # False when the domain is a personal mailbox's: the rep is asked to name the company.
    known: bool


def company_for(email: str) -> Company:
    """The contact's known customer, else the customer whose contacts share the domain, else a
    new one named from the domain; a personal mailbox's domain names no company (the customer
    is the address until the rep names it)."""
    email = email.lower()
    contact = Contact.objects.filter(email=email).select_related("customer").first()
    if contact is not None:
        return Company(contact.customer.name, known=contact.customer.name.lower() != email)
    domain = email.rpartition("@")[2]
    if domain in FREE_MAIL:
        return Company(email, known=False)
    shared = (
        Contact.objects.filter(email__endswith=f"@{domain}")
        .values("customer__name")
        .annotate(n=Count("id"))
        .order_by("-n", "customer__name")
        .first()
    )
    if shared is not None:
        return Company(shared["customer__name"], known=True)
    return Company(company_from_domain(domain) or domain, known=True)


def _cut(text: str, limit: int, note: str) -> str:
    """Text within `limit`, cut at a line break if it is longer, saying so."""
    if len(text) <= limit:
        return text
    room = limit - len(note) - 4
    head = text[:room]
    head = head[: head.rfind("\n")] if "\n" in head[room // 2 :] else head
    return f"{head.rstrip()}\n\n{note}"


def _fallback_title(words: str) -> str:
    first = words.strip().split("\n", 1)[0]
    if len(first) <= 80:
        return first
    return first[:80].rsplit(" ", 1)[0] + "…"


# ---------------------------------------------------------------------------------------------
# Receiving


class NotFiled(Exception):
    """The email is read, but no ticket can be made of it; `reason` is the rep's one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def email_receive(
    *, raw: bytes, via: Via, envelope_sender: str | None = None, size: int | None = None
) -> tuple[InboundEmail, bool]:
    """Handle one email; answers its record and whether it was new (False: the same message
    was already handled, through either way in). `envelope_sender` is the SMTP MAIL FROM when
    the provider says it ("" for a bounce's null sender); `size` is the message's when only
    its header was fetched (a mailbox does not download what is too large)."""
    size = len(raw) if size is None else size
    if size > settings.INBOUND_MAX_BYTES:
        return _too_large(raw, size=size, via=via, envelope_sender=envelope_sender)
    read = email_read(raw)
    with transaction.atomic():
        inbound, created = InboundEmail.objects.get_or_create(
            message_key=read.key,
            defaults={
                "via": via,
                "sender": str(read.sender or "")[:320],
                "subject": read.subject[:300],
                "size": len(raw),
                "raw": raw,
                "outcome": Outcome.DROPPED,
            },
        )
        if not created:
            return inbound, False
        _handle(inbound, read, envelope_sender)
        inbound.save()
    _healthy(via)
    return inbound, True


def _handle(inbound: InboundEmail, read: ReadEmail, envelope_sender: str | None) -> None:
    """Decide what becomes of a new email and do it, in the caller's transaction."""
    automatic = _automatic(read, envelope_sender)
    if automatic:
        inbound.outcome, inbound.detail = Outcome.DROPPED, automatic
        return
    if read.sender is None:
        inbound.outcome, inbound.detail = Outcome.DROPPED, "no sender address"
        return
    rep = None if _spoofed(read) else _staff_user(read.sender.email)
    if rep is None:
        inbound.outcome = Outcome.NOT_STAFF
        inbound.detail = f"{read.sender.email} is not an active member of staff"[:500]
        _reply_not_staff(inbound, read)
        return
    try:
        ticket, company = _file(inbound, read, rep)
    except NotFiled as refusal:
        inbound.outcome, inbound.detail = Outcome.NOT_FILED, refusal.reason[:500]
        _reply_not_filed(inbound, read, rep, refusal.reason)
        return
    inbound.outcome, inbound.ticket = Outcome.FILED, ticket
    _reply_filed(inbound, read, rep, ticket, company)


def _customer_address(read: ReadEmail) -> Address:
    """Who the customer is: the sender of the forwarded email; without a forward (the rep put
    the feedback address in Bcc on a reply), the first recipient who is not us or staff."""
    if read.forwarded is not None:
        if read.forwarded.sender is None:
            raise NotFiled(
                "The forwarded email does not show the customer's address; forward it as an "
                "attachment or paste their address in your note."
            )
        return read.forwarded.sender
    ours = _our_addresses()
    for recipient in read.recipients:
        if recipient.email.lower() not in ours and _staff_user(recipient.email) is None:
            return recipient
    raise NotFiled(
        "We could not tell who the customer is: forward their email to "
        f"{feedback_address()} (or Bcc it when you reply to them)."
    )


def _words(read: ReadEmail) -> tuple[str, str]:
    """The customer's words and the rep's note (the first comment)."""
    if read.forwarded is not None:
        words, note = read.forwarded.words, read.note
        if not words and _without_hashtags(note):
            words, note = note, ""
    else:
        words, note = read.text, ""
    if not words.strip():
        if read.unreadable:
            raise NotFiled(f"We could not read the email: {read.unreadable}.")
        raise NotFiled(
            "There is no text in the email to file (only attachments or images?); "
            "paste the customer's words into it and send it again."
        )
    return words, note


def _file(inbound: InboundEmail, read: ReadEmail, rep: User) -> tuple[Ticket, Company]:
    words, note = _words(read)
    customer = _customer_address(read)
    if _staff_user(customer.email) is not None:
        raise NotFiled(
            f"The forwarded email is from {customer.email}, who is on staff, not a customer: "
            "forward the customer's own email."
        )
    title = title_from_subject(read.subject)
    if not title and read.forwarded is not None:
        title = title_from_subject(read.forwarded.subject)
    title = title or _fallback_title(words)
    if len(title) > TITLE_MAX:
        title = title[: TITLE_MAX - 1].rsplit(" ", 1)[0] + "…"
    company = company_for(customer.email)
    tags = hashtags_read(note)
    sent_at = read.forwarded.sent_at if read.forwarded is not None else None
    try:
        ticket = ticket_create(
            submitted_by=rep,
            title=title,
            description=_cut(
                words, TEXT_MAX, "[…] The rest is in the email, kept with the ticket for 90 days."
            ),
            company=company.name,
            email=customer.email,
            contact_name=customer.name[:200],
            source_team=rep.team if rep.team in SourceTeam.values else SourceTeam.OTHER,
            kind=tags.kind,
            importance=tags.importance,
            product_area=tags.product_area,
            tags=tags.tags,
            source=TicketSource.EMAIL,
            source_reference=inbound.message_key,
            source_sender=str(customer)[:320],
            source_sent_at=sent_at,
        )
    except DomainError as refusal:
        raise NotFiled(f"We could not file it: {refusal.message}") from refusal
    if _without_hashtags(note):
        comment_add(ticket=ticket, author=rep, body=_cut(note, MESSAGE_MAX, "[…]"))
    return ticket, company


def _size(n: int) -> str:
    return f"{n / 1_048_576:.1f} MB" if n >= 1_048_576 else f"{n / 1024:.0f} KB"


def _too_large(
    raw: bytes, *, size: int, via: Via, envelope_sender: str | None
) -> tuple[InboundEmail, bool]:
    """Over INBOUND_MAX_BYTES: only its header is read, to tell the rep (or no one)."""
    end = raw.find(b"\r\n\r\n")
    end = raw.find(b"\n\n") if end < 0 else end
    header = raw[: end if 0 <= end < 256 * 1024 else 256 * 1024]
    message = BytesHeaderParser(policy=policy.default).parsebytes(header)
    senders = header_addresses(message, "From")
    reason = (
        f"The email is {_size(size)}, over the {_size(settings.INBOUND_MAX_BYTES)} we "
        "take: forward it again without its attachments."
    )
    read = ReadEmail(
        key=message_key(message, raw),
        sender=senders[0] if senders else None,
        subject=header_text(message, "Subject"),
        recipients=[],
        text="",
        note="",
        forwarded=None,
        headers=header_fields(message),
    )
    with transaction.atomic():
        inbound, created = InboundEmail.objects.get_or_create(
            message_key=read.key,
            defaults={
                "via": via,
                "sender": str(read.sender or "")[:320],
                "subject": read.subject[:300],
                "size": size,
                "outcome": Outcome.DROPPED,
            },
        )
        if not created:
            return inbound, False
        automatic = _automatic(read, envelope_sender)
        rep = _staff_user(read.sender.email) if read.sender and not _spoofed(read) else None
        if automatic:
            inbound.outcome, inbound.detail = Outcome.DROPPED, automatic
        elif rep is None:
            inbound.outcome, inbound.detail = Outcome.NOT_STAFF, "too large, and not from staff"
        else:
            inbound.outcome, inbound.detail = Outcome.NOT_FILED, reason
            _reply_not_filed(inbound, read, rep, reason)
        inbound.save()
    _healthy(via)
    return inbound, True


# ---------------------------------------------------------------------------------------------
# Replies, through the outbox


def _reply(
    inbound: InboundEmail,
    *,
    kind: NotificationKind,
    to: str,
    subject: str,
    template: str,
    context: dict[str, Any],
    user: User | None = None,
    ticket: Ticket | None = None,
) -> None:
    context = {**context, "site_url": settings.SITE_URL, "feedback_address": feedback_address()}
    notification_record(
        kind=kind,
        idempotency_key=f"email-reply:{inbound.pk}",
        recipient_email=to,
        recipient_user=user,
        subject=subject,
        body_text=render_to_string(f"email_intake/email/{template}.txt", context),
        body_html=render_to_string(f"email_intake/email/{template}.html", context),
        ticket=ticket,
    )


def _re(subject: str) -> str:
    return f"Re: {title_from_subject(subject)}" if subject.strip() else "Your email to FeedbackLoop"


def _reply_filed(
    inbound: InboundEmail, read: ReadEmail, rep: User, ticket: Ticket, company: Company
) -> None:
    similar = similar_feedback(
        text=f"{ticket.title} {ticket.description}"[:2000], limit=SIMILAR_OFFERED
    )
    initiatives = [
        {
            "initiative": initiative,
            "url": settings.SITE_URL
            + reverse("email_intake:onto", args=[ticket.pk, initiative.pk]),
        }
        for initiative in similar.initiatives
        # A declined initiative takes no customer; the rest (open, shipped) do.
        if initiative.status != InitiativeStatus.DECLINED
    ][:SIMILAR_OFFERED]
    _reply(
        inbound,
        kind=NotificationKind.EMAIL_FILED,
        to=rep.email,
        user=rep,
        ticket=ticket,
        subject=_re(read.subject),
        template="filed",
        context={
            "ticket": ticket,
            "company": company,
            "ticket_url": settings.SITE_URL + reverse("intake:detail", args=[ticket.pk]),
            "edit_url": settings.SITE_URL + reverse("intake:edit", args=[ticket.pk]),
            "company_url": settings.SITE_URL + reverse("intake:company", args=[ticket.pk]),
            "initiatives": initiatives,
        },
    )


def _reply_not_filed(inbound: InboundEmail, read: ReadEmail, rep: User, reason: str) -> None:
    _reply(
        inbound,
        kind=NotificationKind.EMAIL_NOT_FILED,
        to=rep.email,
        user=rep,
        subject=_re(read.subject),
        template="not_filed",
        context={
            "reason": reason,
            "subject": read.subject,
            "new_url": settings.SITE_URL + reverse("intake:new"),
        },
    )


def _reply_not_staff(inbound: InboundEmail, read: ReadEmail) -> None:
    assert read.sender is not None
    if _spoofed(read):
        return
    recently = InboundEmail.objects.filter(
        outcome=Outcome.NOT_STAFF,
        sender=inbound.sender,
        received_at__gte=timezone.now() - NOT_STAFF_REPLY_EVERY,
    ).exclude(pk=inbound.pk)
    if recently.exists():
        return
    _reply(
        inbound,
        kind=NotificationKind.EMAIL_NOT_STAFF,
        to=read.sender.email,
        subject=_re(read.subject),
        template="not_staff",
        context={"subject": read.subject},
    )


# ---------------------------------------------------------------------------------------------
# Health, for the Channels page, and the raw messages' retention


def way_in_failed(*, via: Via, error: str) -> None:
    """Remember what went wrong on a way in; written on its own, after the rollback."""
    WayInHealth.objects.update_or_create(
        via=via, defaults={"last_error": error[:500], "last_error_at": timezone.now()}
    )


def _healthy(via: Via) -> None:
    WayInHealth.objects.update_or_create(via=via, defaults={"last_ok_at": timezone.now()})


def way_in_ok(*, via: Via) -> None:
    """A way in worked just now (the mailbox was read, even if empty)."""
    _healthy(via)


def inbound_raw_purge(*, now: datetime.datetime | None = None) -> int:
    """Empty the raw message of emails received more than RAW_KEEP_DAYS ago; their rows stay,
    so the same message arriving late is still recognised. Returns how many were emptied."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=RAW_KEEP_DAYS)
    return InboundEmail.objects.filter(received_at__lt=cutoff, raw__isnull=False).update(raw=None)
