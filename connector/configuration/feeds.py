"""Where a supplier's catalogue or stock feed comes from on a schedule (`catalogue.source`):
a URL, a path on the supplier's SFTP server, or the latest matching attachment in the inbox.

Every source is bounded: `max_bytes` for what is downloaded, `timeout_seconds` for a silent
connection and `max_seconds` for the whole fetch.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator

from tandem.connector.configuration.fields import ConfigPath, Duration, Section
from tandem.connector.configuration.transports import RestAuth

MAX_BYTES = 200_000_000


class UrlFeed(Section):
    """A feed fetched over HTTP(S), conditionally (ETag / Last-Modified) after the first time."""

    type: Literal["url"]
    url: str
    auth: RestAuth = Field(default_factory=RestAuth)
    # Further request headers (an API key header, ...); values are secrets, never logged.
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    timeout_seconds: float = Field(default=30, gt=0)  # connect, or silence while reading
    max_seconds: float = Field(default=600, gt=0)  # the whole download
    max_bytes: int = Field(default=MAX_BYTES, ge=1)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{value!r} is not a web address (e.g. https://acme.example/feed.csv)")
        if parts.username or parts.password:
            raise ValueError("put credentials in auth, not in the URL (it is shown in messages)")
        return value.strip()


class SftpFeed(Section):
    """A feed file on an SFTP server, fetched again only when its size or time changed."""

    type: Literal["sftp"]
    host: str
    port: int = Field(default=22, ge=1, le=65535)
    username: str
    password: SecretStr | None = None
    private_key: ConfigPath | None = None
    # known_hosts file; host keys are checked unless `check_host_key: false` (not advised).
    known_hosts: ConfigPath | None = None
    check_host_key: bool = True
    path: str  # e.g. /out/stock.csv
    timeout_seconds: float = Field(default=30, gt=0)
    max_seconds: float = Field(default=600, gt=0)
    max_bytes: int = Field(default=MAX_BYTES, ge=1)


class InboxFeed(Section):
    """The newest attachment matching `pattern` in a message from the supplier, in the
    mailbox of `inbox` (the top-level section)."""

    type: Literal["inbox"]
    pattern: str = "*.csv"  # shell-style, matched against attachment file names
    # Addresses or domains the message may come from; empty: the supplier's
    # `replies.senders`, else the addresses its POs are emailed to (and their domains).
    senders: list[str] = Field(default_factory=list)
    folder: str | None = None  # default: inbox.folder
    within: Duration = timedelta(days=30)  # older messages are not looked at
    max_seconds: float = Field(default=300, gt=0)
    max_bytes: int = Field(default=50_000_000, ge=1)


FeedSource = Annotated[UrlFeed | SftpFeed | InboxFeed, Field(discriminator="type")]


def feed_label(source: UrlFeed | SftpFeed | InboxFeed) -> str:
    """The source as messages name it: no credentials, no query string (it may hold a key)."""
    if isinstance(source, UrlFeed):
        parts = urlsplit(source.url)
        shown = f"{parts.scheme}://{parts.netloc}{parts.path}"
        return shown + ("?…" if parts.query else "")
    if isinstance(source, SftpFeed):
        return f"sftp://{source.host}:{source.port}{source.path}"
    return f"inbox attachment {source.pattern}"
