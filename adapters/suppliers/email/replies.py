"""The reply mailbox (`inbox.*`) over IMAP: each poll reads the suppliers' replies, oldest
first, and hands each to `connector.services.email_replies`.

One poll reads at most `inbox.batch` messages that are not marked processed; a message larger
than `inbox.max_message_bytes` is not downloaded (its headers are, for the exception). A
message processed (or turned into an exception) is moved to `inbox.processed_folder`, which
is made when missing, or, with none, flagged `$TandemProcessed` and left. A message whose
processing failed stays where it is, unflagged, and is read again by the next poll; one that
was processed but not moved (the connection dropped) is only moved the next time.

IMAPClient is synchronous: `read_inbox` runs on one connection in the caller's thread (the
daemon runs it in a thread of its own). Connection, login and folder errors are
`TransientError`/`PermanentError` naming the server, never the password.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from tandem.adapters.suppliers.email.reply_message import parse_headers_only, parse_reply
from tandem.connector.channels import ChannelError, PermanentError, TransientError
from tandem.connector.configuration import TandemConfig
from tandem.connector.configuration.answers import InboxConfig
from tandem.connector.services.email_replies import process_reply, record_failure, was_done
from tandem.connector.services.reply_reading import Reply
from tandem.connector.store import Database

log = logging.getLogger("tandem.inbox")
PROCESSED = b"$TandemProcessed"
HEADER_FIELDS = b"BODY.PEEK[HEADER.FIELDS (MESSAGE-ID FROM SUBJECT IN-REPLY-TO REFERENCES)]"


@dataclass
class InboxReport:
    processed: list[str] = field(default_factory=list)  # what each applied reply did
    exceptions: list[str] = field(default_factory=list)  # replies not applied, and why
    failed: list[str] = field(default_factory=list)  # kept for the next poll

    def lines(self) -> list[str]:
        return [*self.processed, *self.exceptions]


def read_inbox(
    db: Database,
    config: TandemConfig,
    now: datetime,
    *,
    tls_context: ssl.SSLContext | None = None,
) -> InboxReport:
    """One poll of the reply mailbox (nothing without `inbox`)."""
    report = InboxReport()
    inbox = config.inbox
    if inbox is None:
        return report
    where = f"folder {inbox.folder!r} on IMAP server {inbox.host}:{inbox.imap_port}"
    source = f"imap:{inbox.folder}"
    try:
        client = _connect(inbox, tls_context)
    except LoginError:
        raise PermanentError(f"{where}: login as {inbox.username!r} refused") from None
    except ssl.SSLCertVerificationError as exc:
        raise PermanentError(
            f"{where}: its TLS certificate is not trusted ({exc.verify_message})"
        ) from None
    except (IMAPClientError, ssl.SSLError, OSError) as exc:
        raise TransientError(f"{where}: {_said(exc, inbox)}") from None
    try:
        _poll(client, db, config, inbox, source, now, report)
    except ChannelError:
        raise
    except (IMAPClientError, ssl.SSLError, OSError) as exc:
        raise TransientError(f"{where}: {_said(exc, inbox)}") from None
    finally:
        _close(client)
    return report


def _poll(
    client: IMAPClient,
    db: Database,
    config: TandemConfig,
    inbox: InboxConfig,
    source: str,
    now: datetime,
    report: InboxReport,
) -> None:
    try:
        client.select_folder(inbox.folder)
    except IMAPClientError as exc:
        raise PermanentError(f"cannot open folder {inbox.folder!r}: {exc}") from None
    uids = sorted(client.search(["UNKEYWORD", PROCESSED.decode()]))[: inbox.batch]
    if not uids:
        return
    sizes = client.fetch(uids, ["RFC822.SIZE"])
    done: list[int] = []
    for uid in uids:
        size = int(sizes.get(uid, {}).get(b"RFC822.SIZE", 0))
        reply = _read(client, uid, size, inbox)
        if reply is None:
            continue  # gone meanwhile (another reader moved it)
        if was_done(db, source, reply.identity):
            done.append(uid)  # processed before; the move did not happen then
            continue
        try:
            outcome = process_reply(db, config, reply, source, now)
        except Exception as exc:  # anything else: kept, counted, read again next poll
            # The first line only: a database error goes on with the SQL and its values.
            error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]
            attempts = record_failure(db, source, reply, error, now)
            named = reply.message_id or reply.identity
            report.failed.append(f"reply {named} kept for the next poll: {error}")
            log.error("supplier reply %s not processed (attempt %d): %s", named, attempts, error)
            continue
        done.append(uid)
        if outcome.status == "processed":
            report.processed.append(outcome.summary)
        elif outcome.status == "exception":
            about = f" about {outcome.po_number}" if outcome.po_number else ""
            report.exceptions.append(
                f"reply{about} from {reply.sender or 'unknown'} not applied: {outcome.summary}"
            )
        log.info("supplier reply %s: %s", reply.message_id or reply.identity, outcome.status)
    _put_away(client, done, inbox)


def _read(client: IMAPClient, uid: int, size: int, inbox: InboxConfig) -> Reply | None:
    if size > inbox.max_message_bytes:
        data = client.fetch([uid], [HEADER_FIELDS]).get(uid)
        if data is None:
            return None
        raw = next((v for k, v in data.items() if k.startswith(b"BODY[HEADER")), b"")
        return parse_headers_only(
            raw if isinstance(raw, bytes) else b"", size, inbox.max_message_bytes
        )
    data = client.fetch([uid], ["BODY.PEEK[]"]).get(uid)
    raw = data.get(b"BODY[]") if data else None
    if not isinstance(raw, bytes):
        return None
    return parse_reply(raw, inbox.max_attachment_bytes)


def _put_away(client: IMAPClient, uids: Sequence[int], inbox: InboxConfig) -> None:
    """Move the messages to the processed folder (made when missing), or flag them."""
    if not uids:
        return
    if inbox.processed_folder is None:
        client.add_flags(uids, [PROCESSED, b"\\Seen"])
        return
    folder = _folder_name(client, inbox.processed_folder)
    if not client.folder_exists(folder):
        client.create_folder(folder)
    if client.has_capability("MOVE"):
        client.move(uids, folder)
        return
    client.copy(uids, folder)
    client.add_flags(uids, [b"\\Deleted"])
    if client.has_capability("UIDPLUS"):
        client.uid_expunge(uids)
    else:  # pragma: no cover - every server we know has MOVE or UIDPLUS
        client.expunge()


def _folder_name(client: IMAPClient, configured: str) -> str:
    """`Tandem/Processed` in the server's own hierarchy separator (`.` on many)."""
    listed = client.list_folders("", "")
    separator = listed[0][1] if listed else b"/"
    sep = separator.decode() if isinstance(separator, bytes) else str(separator or "/")
    return configured.replace("/", sep)


def _connect(inbox: InboxConfig, tls_context: ssl.SSLContext | None) -> IMAPClient:
    context = tls_context or ssl.create_default_context()
    client = IMAPClient(
        inbox.host,
        port=inbox.imap_port,
        ssl=inbox.tls == "ssl",
        ssl_context=context if inbox.tls == "ssl" else None,
        timeout=inbox.timeout_seconds,
    )
    try:
        if inbox.tls == "starttls":
            client.starttls(context)
        client.login(inbox.username, inbox.password.get_secret_value() if inbox.password else "")
    except BaseException:
        _close(client)
        raise
    return client


def _said(exc: BaseException, inbox: InboxConfig) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, TimeoutError):
        text = f"no answer within {inbox.timeout_seconds:g} s"
    password = inbox.password.get_secret_value() if inbox.password else ""
    return text.replace(password, "********") if len(password) >= 4 else text


def _close(client: IMAPClient) -> None:
    try:
        client.logout()
    except (IMAPClientError, OSError):
        with contextlib.suppress(IMAPClientError, OSError):
            client.shutdown()
