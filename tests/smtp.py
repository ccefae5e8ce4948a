"""A real SMTP server for tests (aiosmtpd on 127.0.0.1), which keeps what it accepts and can be
told to refuse messages or to answer slowly."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections import Counter
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from functools import cached_property
from typing import Any, Literal

from aiosmtpd.controller import Controller

_SERVER_LOG = logging.getLogger("mail.log")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Received:
    """One message the server took (kept as it starts to answer 250)."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    # The client's address and port: the same for the messages of one connection.
    peer: tuple[str, int] = ("", 0)

    @cached_property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def message_id(self) -> str:
        return self.header("Message-ID")

    @property
    def to(self) -> str:
        return self.rcpt_tos[0]

    def header(self, name: str) -> str:
        # A long value is folded onto the next line; unfolded, it keeps that line's indent.
        return str(self.message[name] or "").strip()

    def body(self, kind: Literal["plain", "html"] = "plain") -> str:
        part = self.message.get_body(preferencelist=(kind,))
        assert part is not None, f"no text/{kind} part"
        content: str = part.get_content()
        return content


@dataclass
class _Refusal:
    times: int
    reply: str
    to: str | None
    at: Literal["RCPT", "DATA"]


class SmtpSink:
    """The handler: accepted messages in `received`, refusals and a reply delay on demand.

    The message is kept before the (optional) slow reply, as a real server has queued it
    once it starts answering: a client that dies while waiting for the 250 sends it again.
    """

    def __init__(self, *, port: int | None = None) -> None:
        """On a free port, or on `port` (a server that comes up where one was down)."""
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._refusals: list[_Refusal] = []
        self.refused = 0
        # Connections that greeted the server (EHLO): each client sending mail opens one.
        self.connections = 0
        self.reply_delay = 0.0
        self._log_level = logging.NOTSET
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self._controller = Controller(
            self, hostname=self.host, port=self.port, server_hostname="sink.test"
        )

    def start(self) -> None:
        # aiosmtpd logs every command at INFO; a failing test's captured log is about the app.
        self._log_level = _SERVER_LOG.level
        _SERVER_LOG.setLevel(logging.WARNING)
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()
        _SERVER_LOG.setLevel(self._log_level)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def refuse(
        self,
        times: int,
        *,
        reply: str = "421 4.3.2 Service not available, try again later",
        to: str | None = None,
        at: Literal["RCPT", "DATA"] = "DATA",
    ) -> None:
        """Answer `reply` instead of accepting the next `times` messages (to `to`, if given),
        at RCPT (as greylisting and unknown users do) or at the end of DATA."""
        with self._lock:
            self._refusals.append(_Refusal(times=times, reply=reply, to=to, at=at))

    def _refusal(self, at: str, recipients: list[str]) -> str | None:
        with self._lock:
            for refusal in self._refusals:
                if refusal.at == at and refusal.times > 0 and refusal.to in (None, *recipients):
                    refusal.times -= 1
                    self.refused += 1
                    return refusal.reply
        return None

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def to(self, *addresses: str) -> list[Received]:
        """What was accepted for these recipients."""
        wanted = set(addresses)
        return [message for message in self.received if wanted & set(message.rcpt_tos)]

    def message_ids(self, *addresses: str) -> Counter[str]:
        return Counter(message.message_id for message in self.to(*addresses))

    def by_connection(self, *addresses: str) -> list[list[str]]:
        """The recipients of what was accepted for these addresses, one list per connection it
        came over, in the order received."""
        connections: dict[tuple[str, int], list[str]] = {}
        for message in self.to(*addresses):
            connections.setdefault(message.peer, []).append(message.to)
        return list(connections.values())

    # aiosmtpd hooks ------------------------------------------------------------------------

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        with self._lock:
            self.connections += 1
        return responses

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        refusal = self._refusal("RCPT", [address])
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        refusal = self._refusal("DATA", list(envelope.rcpt_tos))
        if refusal:
            return refusal
        with self._lock:
            self._received.append(
                Received(
                    mail_from=envelope.mail_from,
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    raw=envelope.original_content,
                    peer=tuple(session.peer[:2]),
                )
            )
        if self.reply_delay:
            await asyncio.sleep(self.reply_delay)
        return "250 2.0.0 Message accepted for delivery"
