"""Reading one email as it arrived (RFC 822 bytes) into what filing a ticket needs.

Nothing here touches the database: `email_read` answers a `ReadEmail` whatever the message
holds (malformed MIME, an unknown charset, no text at all) and says what it could not read,
so the service decides what to file and what to tell the rep.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import textwrap
from dataclasses import dataclass, field
from email import errors, policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from django.utils import timezone
from inscriptis import get_text

from core.text import without_control

# Header values the email package cannot make sense of raise one of these when read.
_HEADER_ERRORS = (
    ValueError,
    TypeError,
    IndexError,
    AttributeError,
    LookupError,
    errors.MessageError,
)


@dataclass(frozen=True)
class Address:
    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


@dataclass(frozen=True)
class Forwarded:
    """The customer's message inside a forward: who wrote it, when, and what they said."""

    sender: Address | None
    sent_at: datetime.datetime | None
    subject: str
    words: str


@dataclass(frozen=True)
class ReadEmail:
    key: str  # the Message-ID, or a hash of the bytes when there is none
    sender: Address | None  # who sent it to us: the rep, for a forward
    subject: str
    recipients: list[Address]  # To and Cc
    text: str  # the message's own text, whole
    note: str  # with a forward, the rep's own words above it (trimmed), else ""
    forwarded: Forwarded | None
    # Why some text could not be read ("an unknown character set (x-klingon)"), if so.
    unreadable: str = ""
    headers: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Headers


def message_parse(raw: bytes) -> EmailMessage:
    """The message as Python's email package reads it; it never raises on malformed MIME, it
    records defects and reads what it can."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def header_text(message: Message, name: str) -> str:
    """A header as one line of text, or "" when it is missing or cannot be read."""
    try:
        value = message.get(name)
    except _HEADER_ERRORS:
        return ""
    if value is None:
        return ""
    return without_control(" ".join(str(value).split()))


# The headers that say whether a person wrote the message (email_intake.services._automatic).
_TELLING_HEADERS = (
    "Auto-Submitted",
    "Precedence",
    "Return-Path",
    "X-Autoreply",
    "X-Autorespond",
    "List-Id",
    "Content-Type",
    "Authentication-Results",
)


def header_fields(message: Message) -> dict[str, str]:
    return {name: header_text(message, name) for name in _TELLING_HEADERS}


def header_addresses(message: Message, name: str) -> list[Address]:
    """The addresses in a header (From, To, Cc), in order, without the malformed ones."""
    try:
        values = message.get_all(name) or []
        pairs = getaddresses([str(value) for value in values])
    except _HEADER_ERRORS:
        return []
    return [
        Address(name=without_control(" ".join(n.split())), email=email.strip())
        for n, email in pairs
        if _EMAIL.fullmatch(email.strip())
    ]


def message_key(message: Message, raw: bytes) -> str:
    """What makes two deliveries the same email: its Message-ID, else a hash of its bytes."""
    message_id = header_text(message, "Message-ID")
    if message_id and len(message_id) <= 400:
        return message_id if message_id.startswith("<") else f"<{message_id}>"
    return f"sha256:{hashlib.sha256(raw).hexdigest()}"


# ---------------------------------------------------------------------------------------------
# Text


def _decode(payload: bytes, charset: str) -> str | None:
    """The text in its declared charset, else UTF-8; a few bad bytes are read as replacement
    marks; None when it cannot be read (mostly marks: bytes in a charset nobody named)."""
    text: str | None = None
    for candidate in (charset, "utf-8"):
        try:
            text = payload.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
        break
    if text is None:
        try:
            text = payload.decode(charset, errors="replace")
        except LookupError:
            return None
    return text if text.count("\ufffd") <= len(text) // 50 else None


def _part_text(part: Message) -> tuple[str, str]:
    """A text part as plain text (HTML made readable), and why it could not be read, if so."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return "", ""
    charset = part.get_content_charset() or "us-ascii"
    text = _decode(payload, charset)
    if text is None:
        return "", f"its text is in a character set we cannot read ({charset[:40]})"
    if part.get_content_type() == "text/html":
        text = get_text(text)
    return text_tidy(text), ""


def text_tidy(text: str) -> str:
    """Line breaks as \\n, no control characters or trailing spaces, at most one blank line in
    a row, no blank lines around."""
    text = without_control(text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def body_text(message: Message) -> tuple[str, str]:
    """The message's own text (not that of an attached email): the plain part, else the HTML
    one made readable; and why it could not be read, if so."""
    if not isinstance(message, EmailMessage):
        return "", ""
    if message.get_content_maintype() == "multipart" and not message.is_multipart():
        # Declared multipart, but its boundary never comes: the parser kept the body as text.
        payload = message.get_payload()
        return (text_tidy(payload), "") if isinstance(payload, str) else ("", "")
    try:
        part = message.get_body(preferencelist=("plain", "html"))
    except _HEADER_ERRORS:
        return "", "its MIME structure is broken"
    if part is None:
        return "", ""
    text, problem = _part_text(part)
    if not text and not problem and part.get_content_type() == "text/plain":
        # An empty plain part beside an HTML one that holds the words.
        html = message.get_body(preferencelist=("html",))
        if html is not None:
            return _part_text(html)
    return text, problem


def attached_email(message: Message) -> EmailMessage | None:
    """The first email attached as message/rfc822 (how Outlook and others forward "as an
    attachment"), or None."""
    for part in message.walk():
        if part.get_content_type() == "message/rfc822":
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, EmailMessage):
                return inner
    return None


# ---------------------------------------------------------------------------------------------
# Forwards written inline (Gmail, Outlook, Apple Mail, Thunderbird)

_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_MARKER = re.compile(
    r"^\s*(?:"
    r"-{2,}\s*(?:forwarded message|original message|weitergeleitete nachricht"
    r"|ursprüngliche nachricht|message transféré|mensaje reenviado)\s*-{2,}"
    r"|begin forwarded message:|anfang der weitergeleiteten nachricht:"
    r"|_{20,}"
    r")\s*$",
    re.IGNORECASE,
)
# The field lines of a forwarded header block, in the languages reps most often write in.
_FIELD = re.compile(
    r"^\s*[*>]?\s*(from|von|de|sent|gesendet|envoyé|date|datum|to|an|à|para|cc|subject|betreff"
    r"|objet|asunto|reply-to)\s*:\s*\**\s*(.*?)\s*$",
    re.IGNORECASE,
)
_FIELD_NAMES = {
    "from": "from",
    "von": "from",
    "de": "from",
    "sent": "date",
    "gesendet": "date",
    "envoyé": "date",
    "date": "date",
    "datum": "date",
    "subject": "subject",
    "betreff": "subject",
    "objet": "subject",
    "asunto": "subject",
}


def _field(line: str) -> tuple[str, str] | None:
    match = _FIELD.match(line)
    if match is None:
        return None
    return _FIELD_NAMES.get(match.group(1).lower(), match.group(1).lower()), match.group(2)


def _outlook_block_at(lines: list[str], index: int) -> bool:
    """A "From: … / Sent: …" block without a marker line (Outlook's forward and reply)."""
    first = _field(lines[index])
    if first is None or first[0] != "from":
        return False
    following = [_field(line) for line in lines[index + 1 : index + 4]]
    return any(found is not None and found[0] == "date" for found in following)


def _forward_start(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        if _MARKER.match(line) or _outlook_block_at(lines, index):
            return index
    return None


def inline_forward(text: str) -> tuple[str, Forwarded] | None:
    """Split a forward written inline into the rep's note and the customer's message, or None
    when the text holds no forward."""
    lines = text.split("\n")
    start = _forward_start(lines)
    if start is None:
        return None
    index = start + (0 if _field(lines[start]) else 1)
    while index < len(lines) and not lines[index].strip():
        index += 1
    fields: dict[str, str] = {}
    last = ""
    while index < len(lines) and lines[index].strip():
        found = _field(lines[index])
        if found is not None:
            last = found[0]
            fields.setdefault(last, found[1])
        elif last:
            fields[last] += " " + lines[index].strip()  # a long To: wrapped onto a new line
        else:
            break
        index += 1
    if "from" not in fields:
        return None
    # HTML made text indents the nested blocks of a forward; the words need no margin.
    body = textwrap.dedent("\n".join(lines[index:]))
    return "\n".join(lines[:start]), Forwarded(
        sender=_address_in(fields["from"]),
        sent_at=loose_date(fields.get("date", "")),
        subject=without_control(" ".join(fields.get("subject", "").split())),
        words=_unquote(body),
    )


def _address_in(text: str) -> Address | None:
    """Outlook writes "Jo Park <jo@acme.example>" or "Jo Park [mailto:jo@acme.example]"."""
    match = _EMAIL.search(text)
    if match is None:
        return None
    name = text[: match.start()].replace("[mailto:", "").strip(" <>\"'*")
    if _EMAIL.fullmatch(name):
        name = ""
    return Address(name=" ".join(name.split()), email=match.group(0))


def _unquote(body: str) -> str:
    """Forwarded text some clients quote with "> " on every line, unquoted one level."""
    lines = [line for line in body.split("\n") if line.strip()]
    if lines and all(line.startswith(">") for line in lines):
        return "\n".join(re.sub(r"^> ?", "", line) for line in body.split("\n"))
    return body


_DATE_FORMATS = (
    "%b %d, %Y %I:%M %p",  # Gmail: Nov 24, 2026 at 10:15 AM
    "%B %d, %Y %I:%M %p",  # Outlook: November 24, 2026 10:15 AM
    "%B %d, %Y %I:%M:%S %p",
    "%d %B %Y %H:%M:%S",  # Apple Mail: 24 November 2026 at 10:15:00 CET
    "%d %B %Y %H:%M",
    "%d %b %Y %H:%M",
    "%d.%m.%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%Y-%m-%d %H:%M",
)
_WEEKDAY = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+", re.IGNORECASE)


_ZONES = {
    "UTC": 0,
    "GMT": 0,
    "WET": 0,
    "BST": 60,
    "CET": 60,
    "CEST": 120,
    "EET": 120,
    "EEST": 180,
    "EST": -300,
    "EDT": -240,
    "CST": -360,
    "CDT": -300,
    "MST": -420,
    "MDT": -360,
    "PST": -480,
    "PDT": -420,
}
_ZONE = re.compile(r"\s+\(?(" + "|".join(_ZONES) + r")\)?$")


def loose_date(text: str) -> datetime.datetime | None:
    """A date as mail clients write it in a forward's header block ("Mon, Nov 17, 2025 at 4:12
    PM", "Tuesday, November 18, 2025 10:15 PM", "19 November 2025 at 17:30:05 CET", or RFC
    5322), or None. Without a zone it is read in the company's time zone."""
    text = " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())
    if not text:
        return None
    plain = _WEEKDAY.sub("", " ".join(re.sub(r"\bat\b", " ", text).split()))
    zone = _ZONE.search(plain)
    offset = _ZONES.get(zone.group(1)) if zone else None
    if zone:
        plain = plain[: zone.start()]
    parsed: datetime.datetime | None = None
    for pattern in _DATE_FORMATS:
        try:
            parsed = datetime.datetime.strptime(plain, pattern)
        except ValueError:
            continue
        if offset is not None:
            parsed = parsed.replace(tzinfo=datetime.timezone(datetime.timedelta(minutes=offset)))
        break
    if parsed is None:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.get_current_timezone())
    return parsed


# ---------------------------------------------------------------------------------------------
# What a message says


_QUOTE_HEAD = re.compile(
    r"^\s*(on|am|le|el)\s.{4,300}(wrote|schrieb|a écrit|escribió)\s*:\s*$", re.I
)
_SENT_FROM = re.compile(
    r"^\s*(sent from my \w+|sent from (mail|outlook) for|get outlook for|von meinem \w+ gesendet)",
    re.IGNORECASE,
)


def words_trim(text: str) -> str:
    """The words without what follows them: quoted history ("On … wrote:", an Outlook "From:
    … Sent:" block, a trailing block of "> " lines) and the signature ("-- " and "Sent from my
    iPhone"). Only these sure signs are cut; when cutting would leave nothing, the text stays
    whole."""
    lines = text.split("\n")
    end = len(lines)
    for index, line in enumerate(lines):
        two = f"{line} {lines[index + 1]}" if index + 1 < len(lines) else line
        rest = [later for later in lines[index:] if later.strip()]
        if (
            line in ("-- ", "--")
            or _SENT_FROM.match(line)
            or _QUOTE_HEAD.match(line)
            or (line.lower().startswith(("on ", "am ")) and _QUOTE_HEAD.match(two))
            or _MARKER.match(line)
            or _outlook_block_at(lines, index)
            or (line.startswith(">") and all(later.startswith(">") for later in rest))
        ):
            end = index
            break
    trimmed = "\n".join(lines[:end]).strip()
    return trimmed or text.strip()


def email_read(raw: bytes) -> ReadEmail:
    """Everything filing needs from one email, read as far as it can be."""
    message = message_parse(raw)
    text, unreadable = body_text(message)
    forwarded: Forwarded | None = None
    note = ""
    inner = attached_email(message)
    if inner is not None:
        words, inner_problem = body_text(inner)
        unreadable = unreadable or inner_problem
        senders = header_addresses(inner, "From")
        forwarded = Forwarded(
            sender=senders[0] if senders else None,
            sent_at=loose_date(header_text(inner, "Date")),
            subject=header_text(inner, "Subject"),
            words=words_trim(words) if words else "",
        )
        note = text
    else:
        split = inline_forward(text)
        if split is not None:
            note, found = split
            forwarded = Forwarded(
                sender=found.sender,
                sent_at=found.sent_at,
                subject=found.subject,
                words=words_trim(text_tidy(found.words)) if found.words.strip() else "",
            )
    senders = header_addresses(message, "From")
    if note.strip():
        note = words_trim(note)
    return ReadEmail(
        key=message_key(message, raw),
        sender=senders[0] if senders else None,
        subject=header_text(message, "Subject"),
        recipients=header_addresses(message, "To") + header_addresses(message, "Cc"),
        text=text,
        note=note.strip(),
        forwarded=forwarded,
        unreadable=unreadable,
        headers=header_fields(message),
    )
