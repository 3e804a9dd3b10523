"""A feed file on an SFTP server: one `stat`, and a download only when its size or
modification time differs from the last import's.

Host keys are checked against `known_hosts` (the user's ~/.ssh/known_hosts by default) unless
`check_host_key: false`. Every failure is a FeedError naming the server and the path.
"""

from __future__ import annotations

import asyncio
import posixpath
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncssh

from tandem.adapters.feeds.download import BoundedFile, local_name
from tandem.adapters.suppliers.sftp.options import ssh_options
from tandem.connector.catalogue.sources import FeedError, Fetched, Validators
from tandem.connector.configuration.feeds import SftpFeed, feed_label

CHUNK = 1 << 20


class SftpSource:
    def __init__(self, feed: SftpFeed) -> None:
        self.feed = feed
        self.label = feed_label(feed)

    async def fetch(self, known: Validators | None, folder: Path) -> Fetched | None:
        feed = self.feed
        where = f"{self.label}"
        try:
            async with (
                asyncio.timeout(feed.max_seconds),
                asyncssh.connect(feed.host, feed.port, **self._options()) as connection,
                connection.start_sftp_client() as sftp,
            ):
                return await self._fetch(sftp, known, folder)
        except TimeoutError:
            raise FeedError(
                f"{where}: not downloaded within max_seconds ({feed.max_seconds:g} s)"
            ) from None
        except asyncssh.HostKeyNotVerifiable as exc:
            raise FeedError(
                f"{where}: host key not accepted ({exc.reason}); check known_hosts"
            ) from None
        except asyncssh.PermissionDenied:
            raise FeedError(
                f"{where}: login as {feed.username!r} refused; check the password or private key"
            ) from None
        except (asyncssh.SFTPNoSuchFile, asyncssh.SFTPNoSuchPath):
            raise FeedError(f"{where}: no such file on the server") from None
        except asyncssh.SFTPError as exc:
            raise FeedError(f"{where}: {exc.reason}") from None
        except asyncssh.Error as exc:
            raise FeedError(f"{where}: {exc.reason}") from None
        except OSError as exc:
            raise FeedError(f"{where}: {exc.strerror or exc}") from None

    async def _fetch(
        self, sftp: asyncssh.SFTPClient, known: Validators | None, folder: Path
    ) -> Fetched | None:
        feed = self.feed
        attrs = await sftp.stat(feed.path)
        size, mtime = attrs.size, attrs.mtime
        version = f"{size}:{mtime}"
        if known is not None and known.etag == version:
            return None
        path = folder / local_name(posixpath.basename(feed.path))
        with BoundedFile(path, feed.max_bytes, self.label) as out:
            out.refuse_size(size)
            async with sftp.open(feed.path, "rb") as remote:
                while chunk := await remote.read(CHUNK):
                    out.write(chunk if isinstance(chunk, bytes) else chunk.encode())
        modified = None if mtime is None else datetime.fromtimestamp(mtime, tz=UTC)
        return Fetched(
            path=path,
            validators=Validators(etag=version, last_modified=None),
            sha256=out.sha256,
            size=out.size,
            modified_at=modified,
        )

    def _options(self) -> dict[str, Any]:
        feed = self.feed
        return ssh_options(
            username=feed.username,
            password=feed.password,
            private_key=feed.private_key,
            known_hosts=feed.known_hosts,
            check_host_key=feed.check_host_key,
            timeout=feed.timeout_seconds,
            error=FeedError,
        )
