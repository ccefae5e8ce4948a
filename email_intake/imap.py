"""Reading the feedback mailbox over IMAP (INBOUND_IMAP_URL), for companies without a provider
webhook. Each unseen message is read without marking it (BODY.PEEK), handed to
email_receive, and only once its ticket is committed marked seen (or moved to the folder named
by `?move=`). A message whose filing failed stays unseen and is tried on the next poll.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import ssl
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlparse

from django.conf import settings
from django.db import connection

from email_intake.models import Via
from email_intake.services import email_receive, way_in_failed, way_in_ok

log = logging.getLogger(__name__)

# One poll at a time across every worker (a PostgreSQL advisory lock's key).
POLL_LOCK = 0x1EED_BAC
BATCH = 50
TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class Mailbox:
    secure: bool
    host: str
    port: int
    user: str
    password: str
    folder: str
    move_to: str

    def __str__(self) -> str:
        """The mailbox without its password, for people to read."""
        scheme = "imaps" if self.secure else "imap"
        return f"{scheme}://{self.user}@{self.host}:{self.port}/{self.folder}"


def mailbox_from_url(url: str) -> Mailbox:
    """imaps://user:password@host[:port]/FOLDER[?move=Done]; the user and password may be
    percent-encoded (an @ in the user name is %40)."""
    parts = urlparse(url)
    secure = parts.scheme == "imaps"
    move = parse_qs(parts.query).get("move", [""])[0]
    return Mailbox(
        secure=secure,
        host=parts.hostname or "",
        port=parts.port or (993 if secure else 143),
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
        move_to=move,
    )


def configured_mailbox() -> Mailbox | None:
    return mailbox_from_url(settings.INBOUND_IMAP_URL) if settings.INBOUND_IMAP_URL else None


def _connect(mailbox: Mailbox) -> imaplib.IMAP4:
    if mailbox.secure:
        client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
            mailbox.host,
            mailbox.port,
            ssl_context=ssl.create_default_context(),
            timeout=TIMEOUT_SECONDS,
        )
    else:
        client = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=TIMEOUT_SECONDS)
    client.login(mailbox.user, mailbox.password)
    status, _ = client.select(_quoted(mailbox.folder))
    if status != "OK":
        raise imaplib.IMAP4.error(f"no folder {mailbox.folder!r} in the mailbox")
    return client


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


def _fetch(client: imaplib.IMAP4, uid: str) -> tuple[bytes, int] | None:
    """The message's bytes and size, not marking it seen; over INBOUND_MAX_BYTES only its
    header (email_receive refuses it by its size, without the download)."""
    status, data = client.uid("FETCH", uid, "(RFC822.SIZE)")
    found = _SIZE.search(b" ".join(part for part in data if isinstance(part, bytes)))
    size = int(found.group(1)) if status == "OK" and found else 0
    part = "BODY.PEEK[HEADER]" if size > settings.INBOUND_MAX_BYTES else "BODY.PEEK[]"
    status, data = client.uid("FETCH", uid, f"({part})")
    if status != "OK":
        return None
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1], max(size, len(item[1]))
    return None


def _done(client: imaplib.IMAP4, uid: str, mailbox: Mailbox) -> None:
    """Handled (and committed): mark it seen, or move it out of the way."""
    client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    if mailbox.move_to:
        status, _ = client.uid("MOVE", uid, _quoted(mailbox.move_to))
        if status != "OK":  # a server without MOVE: copy, then delete
            client.uid("COPY", uid, _quoted(mailbox.move_to))
            client.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
            client.expunge()


def mailbox_poll(*, mailbox: Mailbox | None = None) -> int:
    """Read the unseen messages of the mailbox (BATCH at a time); returns how many were
    handled. Does nothing without INBOUND_IMAP_URL, or while another poll runs."""
    mailbox = mailbox or configured_mailbox()
    if mailbox is None:
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [POLL_LOCK])
        if not cursor.fetchone()[0]:
            return 0
    try:
        return _poll(mailbox)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [POLL_LOCK])


def _poll(mailbox: Mailbox) -> int:
    try:
        client = _connect(mailbox)
    except (OSError, imaplib.IMAP4.error) as exc:
        way_in_failed(via=Via.IMAP, error=f"Could not read {mailbox}: {exc}")
        log.warning("could not read the mailbox %s: %s", mailbox, exc)
        return 0
    handled = 0
    try:
        status, data = client.uid("SEARCH", "UNSEEN")
        found = data[0].split() if status == "OK" and data and data[0] else []
        uids = [uid.decode() for uid in found[:BATCH]]
        for uid in uids:
            fetched = _fetch(client, uid)
            if fetched is None:
                continue
            raw, size = fetched
            try:
                email_receive(raw=raw, via=Via.IMAP, size=size)
            except Exception as exc:
                # Rolled back: the message stays unseen and is tried again on the next poll.
                log.exception("filing message %s from the mailbox failed", uid)
                way_in_failed(via=Via.IMAP, error=f"A message could not be filed: {exc}")
                continue
            _done(client, uid, mailbox)
            handled += 1
        way_in_ok(via=Via.IMAP)
    except (OSError, imaplib.IMAP4.error) as exc:
        way_in_failed(via=Via.IMAP, error=f"The mailbox stopped answering: {exc}")
        log.warning("reading the mailbox %s failed: %s", mailbox, exc)
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()
    return handled
