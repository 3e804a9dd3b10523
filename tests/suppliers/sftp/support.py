"""A real SFTP server for tests (asyncssh on loopback, chrooted to a folder), its keys and
its one user, and the known_hosts file that trusts it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncssh

HOST_KEY = asyncssh.generate_private_key("ssh-ed25519")
OTHER_HOST_KEY = asyncssh.generate_private_key("ssh-ed25519")
CLIENT_KEY = asyncssh.generate_private_key("ssh-ed25519")
USER, PASSWORD = "tandem", "s3cret-pass"
COLUMNS = ["po_number", "revision", "kind", "supplier_sku", "quantity", "unit_cost", "ship_to_zip"]


class _Logins(asyncssh.SSHServer):
    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return username == USER and password == PASSWORD


@asynccontextmanager
async def sftp_server(root: Path) -> AsyncIterator[int]:
    """An SFTP server whose `/` is `root`; yields its port."""
    server = await asyncssh.listen(
        "127.0.0.1",
        0,
        server_host_keys=[HOST_KEY],
        authorized_client_keys=asyncssh.import_authorized_keys(
            CLIENT_KEY.export_public_key().decode()
        ),
        server_factory=_Logins,
        sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=str(root).encode()),
    )
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


def known_hosts(
    tmp_path: Path, port: int, key: asyncssh.SSHKey = HOST_KEY, name: str = "known_hosts"
) -> Path:
    path = tmp_path / name
    path.write_text(f"[127.0.0.1]:{port} {key.export_public_key().decode().strip()}\n")
    return path
