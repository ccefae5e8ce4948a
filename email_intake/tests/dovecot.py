"""A real IMAP server for tests: Debian's Dovecot, our own instance with its configuration,
sockets, log and mailboxes in a temporary folder, on a free port of 127.0.0.1, with one user
from a passwd file. `make test` installs dovecot-imapd when it is missing (as root)."""

from __future__ import annotations

import contextlib
import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

DOVECOT = os.environ.get("DOVECOT", "/usr/sbin/dovecot")
USER = "feedback"
PASSWORD = "s3cret-imap"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Dovecot:
    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="fl-dovecot-"))
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, *, password: str = PASSWORD, query: str = "") -> str:
        return f"imap://{USER}:{password}@127.0.0.1:{self.port}/INBOX" + (
            f"?{query}" if query else ""
        )

    def _config(self) -> str:
        root = os.getuid() == 0
        # As root, Dovecot drops to its own users and the mail belongs to nobody; as anyone
        # else, all of it runs as that user.
        me = pwd.getpwuid(os.getuid()).pw_name
        internal, login = ("dovecot", "dovenull") if root else (me, me)
        mail_uid = 65534 if root else os.getuid()
        mail = self.folder / "mail"
        mail.mkdir()
        (self.folder / "users").write_text(
            f"{USER}:{{PLAIN}}{PASSWORD}:{mail_uid}:{mail_uid}::{mail}\n"
        )
        if root:
            os.chown(mail, mail_uid, mail_uid)
        self.folder.chmod(0o755)
        chroots = "\n".join(
            f"service {name} {{\n  chroot =\n}}"
            for name in ("anvil", "pop3-login", "submission-login", "imap-urlauth-login")
        )
        return f"""
base_dir = {self.folder}/run
state_dir = {self.folder}/state
log_path = {self.folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = {min(mail_uid, 500)}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.folder}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {self.folder}/users
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
{chroots}
"""

    def start(self) -> None:
        if not os.path.exists(DOVECOT):
            raise RuntimeError(
                f"The IMAP tests need Dovecot at {DOVECOT}: make test installs it as root "
                "(apt-get install dovecot-imapd), or set DOVECOT=/path/to/dovecot."
            )
        (self.folder / "state").mkdir()
        config = self.folder / "dovecot.conf"
        config.write_text(self._config())
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5),
            ):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        log = (
            (self.folder / "dovecot.log").read_text()
            if (self.folder / "dovecot.log").exists()
            else ""
        )
        self.stop()
        raise RuntimeError(f"Dovecot did not start on port {self.port}:\n{log}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None
        shutil.rmtree(self.folder, ignore_errors=True)

    # What a test does with the mailbox, over IMAP like any client.

    @contextlib.contextmanager
    def session(self) -> Iterator[imaplib.IMAP4]:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(USER, PASSWORD)
        try:
            yield client
        finally:
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                client.logout()

    def empty(self) -> None:
        """No message left in any folder, so each test starts with an empty mailbox."""
        with self.session() as client:
            _, folders = client.list()
            for line in folders:
                name = line.decode().rsplit(" ", 1)[-1] if isinstance(line, bytes) else "INBOX"
                status, count = client.select(name)
                if status == "OK" and count != [b"0"]:
                    client.store("1:*", "+FLAGS", "(\\Deleted)")
                    client.expunge()

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        with self.session() as client:
            status, answer = client.append(folder, None, None, raw)
            assert status == "OK", answer

    def flags(self, folder: str = "INBOX") -> list[str]:
        """Each message's flags in the folder, oldest first ([] when it is empty)."""
        with self.session() as client:
            status, count = client.select(folder)
            if status != "OK" or count == [b"0"]:
                return []
            _, data = client.fetch("1:*", "(FLAGS)")
        return [item.decode() for item in data if isinstance(item, bytes)]

    def create(self, folder: str) -> None:
        with self.session() as client:
            client.create(folder)
