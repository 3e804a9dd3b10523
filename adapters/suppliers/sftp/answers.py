"""A supplier's outbound SFTP folder, where it leaves acknowledgement and shipment files:
list the files matching `answers.pattern`, download one (never more than `max_file_bytes`),
move a processed one to `answers.processed_directory`.

A server that will not let a file be moved (no write access to the folder, no rename) is
common; the file is then left where it is, and its name and digest, recorded by the service,
keep it from being read twice. A moved file never overwrites one already processed: a second
file of the same name gets its digest in its new name.
"""

from __future__ import annotations

import asyncio
import posixpath
import stat
from dataclasses import dataclass
from fnmatch import fnmatchcase

import asyncssh

from tandem.connector.channels import PermanentError
from tandem.connector.configuration.answers import SftpAnswers


@dataclass(frozen=True)
class RemoteFile:
    name: str
    path: str
    size: int | None
    mtime: int | None


class FileTooLarge(PermanentError):
    pass


class AnswerFolder:
    """The answer folder, in an open SFTP session; each operation bounded by `timeout`."""

    def __init__(self, sftp: asyncssh.SFTPClient, settings: SftpAnswers, timeout: float) -> None:
        self.sftp = sftp
        self.settings = settings
        self.timeout = timeout

    async def files(self) -> list[RemoteFile]:
        """The answer files, oldest first (an acknowledgement before the shipment after it)."""
        directory = self.settings.directory
        pattern = self.settings.pattern.lower()
        try:
            async with asyncio.timeout(self.timeout):
                entries = await self.sftp.readdir(directory)
        except (asyncssh.SFTPNoSuchFile, asyncssh.SFTPNoSuchPath):
            raise PermanentError(f"answer directory {directory} does not exist") from None
        except asyncssh.SFTPPermissionDenied:
            raise PermanentError(f"answer directory {directory} may not be read") from None
        found = []
        for entry in entries:
            name = str(entry.filename)
            attrs = entry.attrs
            if name.startswith(".") or name.endswith(".part"):
                continue  # hidden, or still being written
            if attrs.permissions is not None and not stat.S_ISREG(attrs.permissions):
                continue
            if fnmatchcase(name.lower(), pattern):
                path = posixpath.join(directory, name)
                found.append(RemoteFile(name, path, attrs.size, attrs.mtime))
        return sorted(found, key=lambda f: (f.mtime or 0, f.name))

    async def download(self, file: RemoteFile) -> bytes:
        limit = self.settings.max_file_bytes
        if file.size is not None and file.size > limit:
            raise FileTooLarge(_too_large(file.size, limit))
        async with asyncio.timeout(self.timeout), self.sftp.open(file.path, "rb") as remote:
            content = await remote.read(limit + 1)
        data = content if isinstance(content, bytes) else content.encode()
        if len(data) > limit:
            raise FileTooLarge(_too_large(len(data), limit))
        return data

    async def move_processed(self, file: RemoteFile, digest: str) -> str:
        """Move the file to the processed folder; what became of it, in words."""
        folder = self.settings.processed_directory
        if folder is None:
            return f"{file.path} left in place (no processed_directory)"
        try:
            async with asyncio.timeout(self.timeout):
                await self.sftp.makedirs(folder, exist_ok=True)
                target = posixpath.join(folder, file.name)
                if await self.sftp.exists(target):
                    stem, dot, ext = file.name.rpartition(".")
                    unique = f"{stem}-{digest[:12]}.{ext}" if dot else f"{ext}-{digest[:12]}"
                    target = posixpath.join(folder, unique)
                    if await self.sftp.exists(target):
                        return f"{file.path} left in place ({target} is there already)"
                await self.sftp.rename(file.path, target)
        except asyncssh.SFTPError as exc:
            return f"{file.path} left in place: the server refused to move it ({exc.reason})"
        return f"{file.path} moved to {target}"


def _too_large(size: int, limit: int) -> str:
    return f"{size} bytes, larger than max_file_bytes ({limit}); it is not read"
