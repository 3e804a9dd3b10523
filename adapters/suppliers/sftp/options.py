"""asyncssh connection options from Tandem's SFTP settings (a supplier's transport, a feed):
the settings are the whole configuration (no ~/.ssh/config, no agent when a password or key
is given), and host keys are checked unless the settings say not to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncssh
from pydantic import SecretStr


def ssh_options(
    *,
    username: str,
    password: SecretStr | None,
    private_key: Path | None,
    known_hosts: Path | None,
    check_host_key: bool,
    timeout: float,
    error: type[Exception],
) -> dict[str, Any]:
    """The options for `asyncssh.connect`; `error` is raised, naming the file, when the
    known_hosts file or the private key cannot be read."""
    options: dict[str, Any] = {
        "username": username,
        "connect_timeout": timeout,
        "login_timeout": timeout,
        "config": None,  # these settings are the whole configuration, not ~/.ssh/config
    }
    if not check_host_key:
        options["known_hosts"] = None
    elif known_hosts is not None:
        try:
            options["known_hosts"] = asyncssh.read_known_hosts(str(known_hosts))
        except (OSError, ValueError) as exc:
            raise error(f"cannot read known_hosts {known_hosts}: {exc}") from None
    if password is not None:
        options["password"] = password.get_secret_value()
    if private_key is not None:
        try:
            options["client_keys"] = [asyncssh.read_private_key(str(private_key))]
        except (OSError, asyncssh.KeyImportError) as exc:
            raise error(f"cannot read private_key {private_key}: {exc}") from None
    elif password is not None:
        options["client_keys"] = None  # a password login offers none of the user's keys
    if password is not None or private_key is not None:
        options["agent_path"] = None
    return options
