"""The demo's supplier mailbox: an SMTP server on a loopback port that files every message.

    mailbox = Mailbox(folder / "mailbox").start()
    smtp = {"host": "127.0.0.1", "port": mailbox.port}   # Tandem sends its POs here
    ...
    mailbox.stop()

Every message accepted is written to the folder as `<UTC timestamp>-<Message-ID>.eml` (the
local part of its Message-ID, made safe for a file name), with `Return-Path` and one
`Delivered-To` per recipient in front as a local delivery agent adds them. Each file is
written under a temporary name and renamed into place, so a reader never sees half a message.
Any sender and recipient is accepted: the mailbox stands in for every supplier at once.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import uuid
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from pathlib import Path
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

SERVER_HOSTNAME = "mailbox.demo.localhost"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_ID_CHARS = 80


def message_id_part(raw: bytes) -> str:
    """The local part of the message's Message-ID, safe in a file name; a fresh id if none."""
    headers = BytesHeaderParser().parsebytes(raw)
    value = str(headers.get("Message-ID") or "").strip().strip("<>")
    local = value.split("@", 1)[0]
    safe = _UNSAFE.sub("_", local).strip("._-")[:_MAX_ID_CHARS]
    return safe or uuid.uuid4().hex


def _trace_headers(envelope: Envelope, newline: bytes) -> bytes:
    lines = [f"Return-Path: <{envelope.mail_from or ''}>"]
    lines += [f"Delivered-To: {address}" for address in envelope.rcpt_tos]
    return b"".join(line.encode("utf-8") + newline for line in lines)


class MailboxHandler:
    """aiosmtpd handler writing each message into `folder` (atomically)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        raw = content.encode("utf-8") if isinstance(content, str) else bytes(content)
        newline = b"\r\n" if b"\r\n" in raw else b"\n"
        self.write(_trace_headers(envelope, newline) + raw)
        return "250 2.0.0 Message accepted for delivery"

    def write(self, raw: bytes) -> Path:
        """File one message; returns its path."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        stem = f"{stamp}-{message_id_part(raw)}"
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"{stem}.eml"
            counter = 1
            while path.exists():
                counter += 1
                path = self.folder / f"{stem}-{counter}.eml"
            temporary = self.folder / f".{path.name}.{uuid.uuid4().hex}.tmp"
            try:
                with temporary.open("wb") as out:
                    out.write(raw)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temporary, path)
            finally:
                temporary.unlink(missing_ok=True)
        return path


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class Mailbox:
    """An SMTP server (aiosmtpd, in its own thread) on `host:port` filing into `folder`.

    `port=0` picks a free port when started; `port` then tells which.
    """

    def __init__(self, folder: Path | str, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.folder = Path(folder)
        self.host = host
        self._requested_port = port
        self._port: int | None = None
        self.handler = MailboxHandler(self.folder)
        self._controller: Controller | None = None

    def start(self) -> Mailbox:
        if self._controller is not None:
            return self
        self.folder.mkdir(parents=True, exist_ok=True)
        port = self._requested_port or _free_port(self.host)
        controller = Controller(
            self.handler,
            hostname=self.host,
            port=port,
            server_hostname=SERVER_HOSTNAME,
        )
        controller.start()
        self._controller, self._port = controller, port
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
            self._port = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the mailbox is not running; call start()")
        return self._port

    def messages(self) -> list[Path]:
        """The filed messages, oldest first."""
        return sorted(self.folder.glob("*.eml"))

    def __enter__(self) -> Mailbox:
        return self.start()

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where: Any = self._port if self._port is not None else "stopped"
        return f"Mailbox({str(self.folder)!r}, {self.host}:{where})"
