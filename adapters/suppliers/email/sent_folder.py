"""The Sent folder (or BCC archive) over IMAP: where a PO email is looked up after a crash.

`SentFolder.find` searches the folder for the message's Message-ID (`SEARCH HEADER
Message-ID`) and keeps only a message whose Message-ID is exactly that one and whose
`X-Tandem-Key` is the outbox item's idempotency key: a PO number an earlier database gave
out too is another message, and says nothing about this one (`KeyMismatch`). `append` files
Tandem's own copy (`sent_lookup.append_to_sent`).

IMAPClient is synchronous: each call runs in a thread, on a connection of its own. Errors:
a refused connection, a timeout or a dropped connection are `TransientError`; a refused
login, a folder that does not exist and a TLS certificate that is not trusted are
`PermanentError`. Messages name the server, never the password.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import ssl
from collections.abc import Callable
from typing import NoReturn, TypeVar

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from tandem.connector.channels import ChannelError, PermanentError, TransientError
from tandem.connector.configuration.transports import SentLookup

T = TypeVar("T")
KEY_HEADER = "X-Tandem-Key"


class KeyMismatch(PermanentError):
    """A message with the Message-ID is in the folder, but another Tandem item sent it."""


class SentFolder:
    def __init__(self, config: SentLookup, *, tls_context: ssl.SSLContext | None = None) -> None:
        self.config = config
        self._tls_context = tls_context
        self.where = f"folder {config.folder!r} on IMAP server {config.host}:{config.imap_port}"

    async def find(self, message_id: str, key: str) -> bytes | None:
        """The message as filed, or None when the folder has no message with that
        Message-ID."""
        return await self._run(lambda client: self._find(client, message_id.strip(), key))

    async def append(self, raw: bytes) -> None:
        """File `raw` in the folder, marked as read."""
        await self._run(lambda client: client.append(self.config.folder, raw, flags=[b"\\Seen"]))

    def _find(self, client: IMAPClient, message_id: str, key: str) -> bytes | None:
        self._select(client)
        ids = client.search(["HEADER", "Message-ID", message_id])
        if not ids:
            return None
        other_keys: list[str] = []
        for data in client.fetch(ids, ["BODY.PEEK[]"]).values():
            raw = data.get(b"BODY[]")
            if not isinstance(raw, bytes):
                continue
            headers = email.message_from_bytes(raw, policy=email.policy.default)
            if str(headers.get("Message-ID", "")).strip() != message_id:
                continue  # SEARCH matches substrings: a longer Message-ID holding this one
            found_key = str(headers.get(KEY_HEADER, "")).strip()
            if found_key == key:
                return raw
            other_keys.append(found_key or "none")
        if other_keys:
            raise KeyMismatch(
                f"{self.where}: {message_id} is there, but sent for another Tandem item"
                f" ({KEY_HEADER}: {', '.join(other_keys)}; this one is {key}), perhaps by"
                " an earlier database that gave out the same PO number"
            )
        return None

    def _select(self, client: IMAPClient) -> None:
        try:
            client.select_folder(self.config.folder, readonly=True)
        except IMAPClientAbortError:
            raise
        except IMAPClientError as exc:
            raise self._error(PermanentError, f"cannot open the folder ({_said(exc)})") from None

    def _connect(self) -> IMAPClient:
        c = self.config
        context = self._tls_context or ssl.create_default_context()
        client = IMAPClient(
            c.host,
            port=c.imap_port,
            ssl=c.tls == "ssl",
            ssl_context=context if c.tls == "ssl" else None,
            timeout=c.timeout_seconds,
        )
        try:
            if c.tls == "starttls":
                client.starttls(context)
            password = c.password.get_secret_value() if c.password else ""
            client.login(c.username, password)
        except BaseException:
            _close(client)
            raise
        return client

    def _session(self, operation: Callable[[IMAPClient], T]) -> T:
        client = self._connect()
        try:
            return operation(client)
        finally:
            _close(client)

    async def _run(self, operation: Callable[[IMAPClient], T]) -> T:
        try:
            return await asyncio.to_thread(self._session, operation)
        except ChannelError:
            raise
        except LoginError as exc:
            raise self._error(
                PermanentError, f"login as {self.config.username!r} refused ({_said(exc)})"
            ) from None
        except ssl.SSLCertVerificationError as exc:
            raise self._error(
                PermanentError, f"its TLS certificate is not trusted ({exc.verify_message})"
            ) from None
        except (IMAPClientError, ssl.SSLError, OSError) as exc:
            # IMAPClientError after login (a command refused, the connection dropped) and
            # connection failures: the server may answer later.
            self._raise_transient(exc)

    def _raise_transient(self, exc: BaseException) -> NoReturn:
        text = str(exc) or type(exc).__name__
        if isinstance(exc, TimeoutError):
            text = f"no answer within {self.config.timeout_seconds:g} s"
        raise self._error(TransientError, text) from None

    def _error(self, kind: type[ChannelError], text: str) -> ChannelError:
        said = f"{self.where}: {text}"
        password = self.config.password.get_secret_value() if self.config.password else ""
        return kind(said.replace(password, "********") if len(password) >= 4 else said)


def _said(exc: BaseException) -> str:
    text = str(exc)
    return text.removeprefix("b'").removeprefix('b"').removesuffix("'").removesuffix('"')


def _close(client: IMAPClient) -> None:
    try:
        client.logout()
    except (IMAPClientError, OSError):
        with contextlib.suppress(IMAPClientError, OSError):
            client.shutdown()
