"""A feed sent by email: the newest attachment matching `pattern` in a message from the
supplier, in the inbox (`inbox.*`) and, since the reply reader files what it has read away,
its `processed_folder` too. The mailbox is only read (folders opened read-only).

A message counts only when its From address is one of the supplier's senders (an address, or
a domain matched exactly): SEARCH FROM matches substrings, so the envelope is checked again.
The feed's version is the message (folder, UIDVALIDITY, UID): an unchanged feed costs the
searches and nothing is downloaded. IMAPClient is synchronous; the fetch runs in a thread.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import fnmatch
import hashlib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from tandem.adapters.feeds.download import local_name
from tandem.connector.catalogue.sources import FeedError, Fetched, Validators
from tandem.connector.configuration.answers import InboxConfig
from tandem.connector.configuration.feeds import InboxFeed, feed_label
from tandem.connector.configuration.model import SupplierConfig
from tandem.connector.configuration.transports import EmailTransport

CANDIDATES = 20  # newest messages from the supplier looked into per fetch


def supplier_senders(feed: InboxFeed, supplier: SupplierConfig) -> set[str]:
    """Addresses and domains (lower case) a feed message may come from."""
    named = feed.senders or supplier.replies.senders
    if not named and isinstance(supplier.transport, EmailTransport):
        named = [*supplier.transport.to, *(a.split("@", 1)[1] for a in supplier.transport.to)]
    return {s.strip().lower() for s in named if s.strip()}


class InboxSource:
    def __init__(
        self,
        feed: InboxFeed,
        inbox: InboxConfig,
        supplier: SupplierConfig,
        *,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.feed = feed
        self.inbox = inbox
        self.senders = supplier_senders(feed, supplier)
        self.label = f"{feed_label(feed)} from {supplier.id} in {inbox.host}"
        self._tls_context = tls_context
        if not self.senders:
            raise FeedError(
                f"supplier {supplier.id}: catalogue.source.senders: name the addresses or"
                " domains the feed comes from"
            )

    async def fetch(self, known: Validators | None, folder: Path) -> Fetched | None:
        try:
            async with asyncio.timeout(self.feed.max_seconds):
                return await asyncio.to_thread(self._fetch, known, folder)
        except TimeoutError:
            raise FeedError(
                f"{self.label}: not read within max_seconds ({self.feed.max_seconds:g} s)"
            ) from None
        except LoginError:
            raise FeedError(f"{self.label}: login as {self.inbox.username!r} refused") from None
        except (IMAPClientError, ssl.SSLError, OSError) as exc:
            text = str(exc) or type(exc).__name__
            password = self.inbox.password.get_secret_value() if self.inbox.password else ""
            if len(password) >= 4:
                text = text.replace(password, "********")
            raise FeedError(f"{self.label}: {text}") from None

    def _fetch(self, known: Validators | None, folder: Path) -> Fetched | None:
        client = self._connect()
        try:
            for key, uid, mailbox in self._candidates(client):
                if known is not None and known.etag == key:
                    return None
                client.select_folder(mailbox, readonly=True)
                found = self._attachment(client, uid)
                if found is not None:
                    name, data, when = found
                    path = folder / local_name(name)
                    path.write_bytes(data)
                    digest = hashlib.sha256(data).hexdigest()
                    return Fetched(path, Validators(etag=key), digest, len(data), when)
        finally:
            try:
                client.logout()
            except (IMAPClientError, OSError):
                client.shutdown()
        raise FeedError(
            f"{self.label}: no message from {', '.join(sorted(self.senders))} within"
            f" {self.feed.within.days} days carries an attachment matching {self.feed.pattern!r}"
        )

    def _candidates(self, client: IMAPClient) -> list[tuple[str, int, str]]:
        """(version key, uid, folder) of the newest messages from the supplier, newest first."""
        since = (datetime.now(UTC) - self.feed.within).date()
        folders = [self.feed.folder] if self.feed.folder else [self.inbox.folder]
        if not self.feed.folder and self.inbox.processed_folder:
            folders.append(self.inbox.processed_folder)
        found: list[tuple[datetime, str, int, str]] = []
        for mailbox in folders:
            if mailbox != folders[0] and not client.folder_exists(mailbox):
                continue
            selected = client.select_folder(mailbox, readonly=True)
            validity = selected.get(b"UIDVALIDITY", 0)
            uids: set[int] = set()
            for sender in self.senders:
                uids.update(client.search(["FROM", sender, "SINCE", since]))
            if not uids:
                continue
            for uid, data in client.fetch(sorted(uids), ["ENVELOPE", "INTERNALDATE"]).items():
                if self._from_supplier(data.get(b"ENVELOPE")):
                    when = _aware(data.get(b"INTERNALDATE"))
                    found.append((when, f"{mailbox}:{validity}:{uid}", uid, mailbox))
        found.sort(reverse=True)
        return [(key, uid, mailbox) for _, key, uid, mailbox in found[:CANDIDATES]]

    def _from_supplier(self, envelope: Any) -> bool:
        for address in getattr(envelope, "from_", None) or ():
            mailbox = (address.mailbox or b"").decode(errors="replace").lower()
            host = (address.host or b"").decode(errors="replace").lower()
            if f"{mailbox}@{host}" in self.senders or host in self.senders:
                return True
        return False

    def _attachment(self, client: IMAPClient, uid: int) -> tuple[str, bytes, datetime] | None:
        size = client.fetch([uid], ["RFC822.SIZE"]).get(uid, {}).get(b"RFC822.SIZE", 0)
        if size > self.feed.max_bytes:
            raise FeedError(
                f"{self.label}: the newest message is {size:,} bytes, more than max_bytes"
                f" ({self.feed.max_bytes:,}); not downloaded"
            )
        data = client.fetch([uid], ["BODY.PEEK[]", "INTERNALDATE"]).get(uid, {})
        raw = data.get(b"BODY[]")
        if not isinstance(raw, bytes):
            return None
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        for part in message.iter_attachments():
            name = part.get_filename() or ""
            if name and fnmatch.fnmatch(name.lower(), self.feed.pattern.lower()):
                content = part.get_payload(decode=True)
                if isinstance(content, bytes):
                    return name, content, _aware(data.get(b"INTERNALDATE"))
        return None

    def _connect(self) -> IMAPClient:
        c = self.inbox
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
            client.login(c.username, c.password.get_secret_value() if c.password else "")
        except BaseException:
            client.shutdown()
            raise
        return client


def _aware(value: Any) -> datetime:
    if not isinstance(value, datetime):
        return datetime.now(UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
