"""The port of scheduled catalogue feeds: what the core asks of a source (URL, SFTP, inbox).

A source fetches its feed into a folder of the caller's, conditionally: given the validators
of the last fetch that was imported, it answers None when the feed is unchanged (one
conditional request, nothing downloaded) or the file it wrote, named like the remote one so
its extension still tells the format. A fetch that fails raises `FeedError`, naming the source
and never a secret; a feed larger than the source's `max_bytes` is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from tandem.connector.configuration.model import SupplierConfig, TandemConfig
from tandem.connector.errors import TandemError


class FeedError(TandemError):
    """A feed could not be fetched (unreachable, refused, too large, too slow)."""


@dataclass(frozen=True)
class Validators:
    """What tells the source its feed has not changed since (HTTP's ETag and Last-Modified;
    SFTP's size and mtime; the inbox's message)."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Fetched:
    path: Path  # the downloaded file, in the caller's folder
    validators: Validators  # to send next time
    sha256: str
    size: int
    modified_at: datetime | None = None  # when the source says the feed last changed


class FeedSource(Protocol):
    label: str  # the source as messages name it (no credentials)

    async def fetch(self, known: Validators | None, folder: Path) -> Fetched | None: ...


# The shell gives the core its sources (tandem.adapters.feeds.make_feed).
SourceFactory = Callable[[SupplierConfig, TandemConfig], FeedSource]
