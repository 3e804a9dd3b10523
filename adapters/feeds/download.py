"""A download into a file, bounded in size, with its digest taken on the way."""

from __future__ import annotations

import hashlib
import posixpath
import re
from pathlib import Path
from types import TracebackType

from tandem.connector.catalogue.sources import FeedError

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def local_name(remote: str, default: str = "feed") -> str:
    """A safe local file name keeping the remote one's extension (it tells the format)."""
    name = _UNSAFE.sub("_", posixpath.basename(remote.rstrip("/"))).strip("._")
    return name[:120] or default


class BoundedFile:
    """Writes chunks to `path`, refusing to go past `max_bytes` (FeedError naming `label`)."""

    def __init__(self, path: Path, max_bytes: int, label: str) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.label = label
        self.size = 0
        self._hash = hashlib.sha256()
        self._file = path.open("wb")

    def refuse_size(self, size: int | None) -> None:
        """Refuse before downloading when the announced size is already too large."""
        if size is not None and size > self.max_bytes:
            raise FeedError(
                f"{self.label}: the feed is {size:,} bytes, more than its max_bytes"
                f" ({self.max_bytes:,}); not downloaded"
            )

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise FeedError(
                f"{self.label}: the feed is larger than its max_bytes ({self.max_bytes:,});"
                " download stopped"
            )
        self._hash.update(chunk)
        self._file.write(chunk)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def __enter__(self) -> BoundedFile:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._file.close()
        if exc is not None:
            self.path.unlink(missing_ok=True)
