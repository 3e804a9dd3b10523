"""SftpChannel: each PO revision dropped as one CSV file in the supplier's SFTP directory.

The file is written as `<name>.part` and renamed to `<name>` once complete, so a supplier
polling the directory never picks up half a file. The name comes from the PO number, revision
and kind (`file_name`), so it is the same on every attempt: a second send of the same document
finds the file and leaves it as it is (no second write), and `lookup` after a crash answers
"sent" exactly when the complete file is there. A leftover `.part` is removed by `lookup` and
counts as not sent. A supplier that takes files away once read cannot be asked afterwards:
`lookup` then says "not sent", and resending is the dispatcher's `in_doubt` decision.

Host keys are checked against `known_hosts` (the user's ~/.ssh/known_hosts by default);
`check_host_key: false` turns that off and every result says so.

Connection refused, timeouts and dropped connections are TransientError; a refused login, an
unknown or changed host key and a missing directory are PermanentError.
"""

from __future__ import annotations

import asyncio
import posixpath
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import asyncssh

from tandem.adapters.suppliers.csvfile import check_columns, render_csv
from tandem.adapters.suppliers.sftp.options import ssh_options
from tandem.connector import transmission
from tandem.connector.channels import (
    PermanentError,
    PurchaseOrderDocument,
    SendResult,
    TransientError,
)
from tandem.connector.configuration.model import SupplierConfig
from tandem.connector.configuration.transports import SftpTransport

T = TypeVar("T")

_PERMANENT_SFTP = (
    asyncssh.SFTPNoSuchFile,
    asyncssh.SFTPNoSuchPath,
    asyncssh.SFTPPermissionDenied,
)
_PERMANENT_SSH = (
    asyncssh.KeyExchangeFailed,
    asyncssh.IllegalUserName,
    asyncssh.ProtocolNotSupported,
)


class SftpChannel:
    """A supplier's SFTP drop directory: `send` writes the CSV, `lookup` checks for it."""

    marks_transmission = True  # connected and logged in, right before the upload

    def __init__(
        self, transport: SftpTransport, supplier: SupplierConfig, *, timeout: float = 30.0
    ) -> None:
        self.transport = transport
        self.supplier = supplier
        self.timeout = timeout
        where = f"supplier {supplier.id}: transport"
        self.columns = check_columns(transport.columns, f"{where}.columns")
        try:
            transport.file_name.format(number="PO-1", revision=1, kind="order")
        except (KeyError, IndexError, ValueError):
            raise PermanentError(
                f"{where}.file_name: {transport.file_name!r} may only use the placeholders "
                "{number}, {revision} and {kind}"
            ) from None

    def remote_path(self, document: PurchaseOrderDocument) -> str:
        name = self.transport.file_name.format(
            number=document.number, revision=document.revision, kind=document.kind
        )
        name = name.replace("/", "-").replace("\\", "-")  # a PO number never picks the folder
        return posixpath.join(self.transport.directory, name)

    async def send(self, document: PurchaseOrderDocument) -> SendResult:
        """Upload the CSV as `<name>.part`, then rename it; a `test` document only checks that
        the directory can be listed (a test file could be taken for an order)."""
        if document.kind == "test":
            return await self._run(self._check_directory)
        path = self.remote_path(document)
        content = render_csv(document, self.columns, self.transport.delimiter)

        async def upload(sftp: asyncssh.SFTPClient) -> SendResult:
            already_there = await sftp.exists(path)
            if not already_there:
                await transmission.transmitting()
                part = f"{path}.part"
                async with sftp.open(part, "wb") as file:
                    await file.write(content)
                try:
                    await sftp.posix_rename(part, path)
                except asyncssh.SFTPOpUnsupported:
                    await sftp.rename(part, path)
            return SendResult(
                reference=path,
                sent=content.decode("utf-8"),
                details=self._details(path=path, already_there=already_there),
            )

        return await self._run(upload)

    async def lookup(self, document: PurchaseOrderDocument) -> SendResult | None:
        """The complete file, if it is in the directory; None otherwise (a `.part` left by an
        interrupted upload is removed first)."""
        if document.kind == "test":
            return None
        path = self.remote_path(document)

        async def find(sftp: asyncssh.SFTPClient) -> SendResult | None:
            if await sftp.exists(path):
                async with sftp.open(path, "rb") as file:
                    content = await file.read()
                if isinstance(content, bytes):
                    content = content.decode("utf-8", errors="replace")
                return SendResult(
                    reference=path,
                    sent=content,
                    details=self._details(path=path, found_by="lookup"),
                )
            if await sftp.exists(f"{path}.part"):
                await sftp.remove(f"{path}.part")
            return None

        return await self._run(find)

    async def _check_directory(self, sftp: asyncssh.SFTPClient) -> SendResult:
        directory = self.transport.directory
        entries = await sftp.listdir(directory)
        return SendResult(
            reference=None,
            sent="",
            details=self._details(directory=directory, entries=len(entries)),
        )

    def _details(self, **facts: Any) -> dict[str, Any]:
        details: dict[str, Any] = {
            "host": f"{self.transport.host}:{self.transport.port}",
            "host_key_checked": self.transport.check_host_key,
            **facts,
        }
        if not self.transport.check_host_key:
            details["warning"] = "host key not checked (check_host_key: false)"
        return details

    def _options(self) -> dict[str, Any]:
        t = self.transport
        return ssh_options(
            username=t.username,
            password=t.password,
            private_key=t.private_key,
            known_hosts=t.known_hosts,
            check_host_key=t.check_host_key,
            timeout=self.timeout,
            error=PermanentError,
        )

    async def _run(self, operation: Callable[[asyncssh.SFTPClient], Awaitable[T]]) -> T:
        """Connect, run one operation in an SFTP session within the timeout."""
        async with self.session(limit=self.timeout) as sftp:
            return await operation(sftp)

    @asynccontextmanager
    async def session(self, limit: float | None = None) -> AsyncIterator[asyncssh.SFTPClient]:
        """An SFTP session on the supplier's server, closed on leaving; what goes wrong in it
        is classified (TransientError, PermanentError). `limit` bounds the whole session in
        seconds (None: only the connection is bounded, by the timeout)."""
        t = self.transport
        where = f"{self.supplier.name}'s SFTP server {t.host}:{t.port}"
        options = self._options()
        try:
            async with (
                asyncio.timeout(limit),
                asyncssh.connect(t.host, t.port, **options) as connection,
                connection.start_sftp_client() as sftp,
            ):
                yield sftp
        except asyncssh.HostKeyNotVerifiable as exc:
            raise PermanentError(
                f"{where}: host key not accepted ({exc.reason}); check known_hosts"
            ) from None
        except asyncssh.PermissionDenied:
            raise PermanentError(
                f"{where}: login as {t.username!r} refused; check the password or private key"
            ) from None
        except _PERMANENT_SSH as exc:
            raise PermanentError(f"{where}: {exc.reason}") from None
        except asyncssh.DisconnectError as exc:
            raise TransientError(f"{where}: connection lost ({exc.reason})") from None
        except _PERMANENT_SFTP as exc:
            raise PermanentError(f"{where}: {exc.reason} (directory {t.directory})") from None
        except asyncssh.SFTPError as exc:
            raise TransientError(f"{where}: {exc.reason}") from None
        except asyncssh.ChannelOpenError as exc:
            raise TransientError(f"{where}: cannot open an SFTP session ({exc.reason})") from None
        except TimeoutError:
            raise TransientError(f"{where}: no answer within {self.timeout:g} s") from None
        except OSError as exc:
            raise TransientError(f"{where}: {exc.strerror or exc}") from None
