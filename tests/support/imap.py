"""A real IMAP server for tests: a private dovecot instance on a free loopback port.

`dovecot(tmp_path)` starts Debian's dovecot (`apt-get install dovecot-imapd`) in the
foreground with a configuration of its own: plain-text logins over an unencrypted
connection (`ssl = no`), accounts from a passwd-file with plain-text passwords, mail in
Maildir folders, a `Sent` folder marked `\\Sent`, and every runtime file in its own folder.
The `imap_server` fixture (tests/conftest.py) wraps it for one account, `po@shop.example`.

Run as an ordinary user, everything lives under `tmp_path` and dovecot's processes run as
that user, without the chroot an ordinary user may not make. Run as root (CI), dovecot
refuses to log users in as root and drops its login processes to `dovenull`: the instance
then lives in a folder of its own under the system's temporary folder (pytest's is private
to root), and the mail belongs to `nobody`.

Without dovecot the tests that use it are skipped, except with CI set: there they fail, so
a CI run cannot pass without having talked to a real IMAP server.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient

DOVECOT = "/usr/sbin/dovecot"
USER, PASSWORD = "po@shop.example", "imap-secret"


def dovecot_binary() -> str:
    """The dovecot program; skips the test (fails it with CI set) when there is none."""
    found = shutil.which("dovecot") or (DOVECOT if os.access(DOVECOT, os.X_OK) else None)
    if found is None:
        lacking = "dovecot is not installed (apt-get install dovecot-imapd)"
        if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
            pytest.fail(f"{lacking}; CI runs the IMAP tests", pytrace=False)
        pytest.skip(lacking)
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ImapServer:
    """A running dovecot: its port, its accounts (name -> password), and ways to look in."""

    port: int
    root: Path
    passwd: Path
    accounts: dict[str, str]
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    host: str = "127.0.0.1"

    def client(self, user: str = USER) -> IMAPClient:
        """A logged-in IMAPClient (the caller logs out)."""
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(user, self.accounts[user])
        return client

    def append(self, raw: bytes, folder: str = "Sent", user: str = USER) -> None:
        """File a message, as a mail server that keeps a copy of what it sends would."""
        client = self.client(user)
        try:
            client.append(folder, raw, flags=[b"\\Seen"])
        finally:
            client.logout()

    def messages(self, folder: str = "Sent", user: str = USER) -> list[EmailMessage]:
        client = self.client(user)
        try:
            client.select_folder(folder, readonly=True)
            fetched = client.fetch(client.search(["ALL"]), ["BODY.PEEK[]"])
        finally:
            client.logout()
        return [
            email.message_from_bytes(data[b"BODY[]"], policy=email.policy.default)
            for _, data in sorted(fetched.items())
        ]

    def sent_lookup(self, user: str = USER, **settings: Any) -> dict[str, Any]:
        """`transport.sent_lookup` settings for this server."""
        return {
            "host": self.host,
            "port": self.port,
            "username": user,
            "password": self.accounts[user],
            "tls": "none",
            "timeout_seconds": 5,
            **settings,
        }

    def stop(self) -> None:
        """Shut the server down (for "the IMAP server is down" tests)."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def _write_passwd(self) -> None:
        lines = [f"{user}:{{PLAIN}}{password}\n" for user, password in self.accounts.items()]
        self.passwd.write_text("".join(lines))
        self.passwd.chmod(0o644)


def _users() -> tuple[str, str, pwd.struct_passwd]:
    """Dovecot's internal user, its login user, and the owner of the mail."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        return me.pw_name, me.pw_name, me
    try:
        return "dovecot", "dovenull", pwd.getpwnam("nobody")
    except KeyError:  # pragma: no cover - Debian's package creates them
        pytest.skip("running as root needs the users dovecot, dovenull and nobody")


def _configuration(root: Path, port: int, passwd: Path) -> str:
    internal, login, mail_owner = _users()
    as_root = os.geteuid() == 0
    mail = root / "mail"
    return f"""\
protocols = imap
listen = 127.0.0.1
base_dir = {root / "run"}
state_dir = {root / "state"}
log_path = {root / "dovecot.log"}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {internal}
default_internal_group = {grp.getgrgid(pwd.getpwnam(internal).pw_gid).gr_name}
default_login_user = {login}
first_valid_uid = 1
mail_location = maildir:{mail}/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = static
  args = uid={mail_owner.pw_uid} gid={mail_owner.pw_gid} home={mail}/%u
}}
namespace inbox {{
  inbox = yes
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service auth {{
  user = {"root" if as_root else internal}
}}
"""


def _wait_until_ready(server: ImapServer, log: Path, deadline: float) -> None:
    while time.monotonic() < deadline:
        assert server.process is not None
        if server.process.poll() is not None:
            said = log.read_text() if log.exists() else ""
            raise RuntimeError(f"dovecot exited ({server.process.returncode}):\n{said}")
        with (
            contextlib.suppress(OSError),
            socket.create_connection((server.host, server.port), timeout=1) as sock,
        ):
            if sock.recv(64).startswith(b"* OK"):
                return
        time.sleep(0.05)
    raise RuntimeError(f"dovecot did not answer on port {server.port}:\n{log.read_text()}")


@contextlib.contextmanager
def dovecot(tmp_path: Path, accounts: dict[str, str] | None = None) -> Iterator[ImapServer]:
    """A dovecot IMAP server for the duration of the block, with `accounts` (name ->
    password; by default `po@shop.example`), each with an INBOX and a Sent folder. Yields it
    running; stops and removes it after."""
    binary = dovecot_binary()
    as_root = os.geteuid() == 0
    root = Path(tempfile.mkdtemp(prefix="tandem-dovecot-")) if as_root else tmp_path / "dovecot"
    root.mkdir(exist_ok=True)
    root.chmod(0o755)
    port = free_port()
    server = ImapServer(port, root, root / "passwd", dict(accounts or {USER: PASSWORD}))
    server._write_passwd()
    (root / "mail").mkdir()
    if as_root:
        owner = _users()[2]
        os.chown(root / "mail", owner.pw_uid, owner.pw_gid)
    conf = root / "dovecot.conf"
    conf.write_text(_configuration(root, port, server.passwd))
    server.process = subprocess.Popen(
        [binary, "-F", "-c", str(conf)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_ready(server, root / "dovecot.log", time.monotonic() + 15)
        yield server
    finally:
        server.stop()
        if as_root:
            shutil.rmtree(root, ignore_errors=True)
