"""SftpChannel against a real asyncssh SFTP server on loopback, chrooted to a temp dir: one
complete file per PO revision, never a half file, host keys and logins checked."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tandem.adapters.suppliers.csvfile import render_csv
from tandem.adapters.suppliers.sftp import SftpChannel
from tandem.connector.channels import PermanentError, TransientError
from tandem.connector.configuration.model import SupplierConfig
from tandem.connector.configuration.transports import SftpTransport
from tests.suppliers.rest.documents import document
from tests.suppliers.sftp.support import (
    CLIENT_KEY,
    COLUMNS,
    OTHER_HOST_KEY,
    PASSWORD,
    USER,
    known_hosts,
    sftp_server,
)

T = TypeVar("T")


def make_channel(tmp_path: Path, port: int, **overrides: Any) -> SftpChannel:
    values: dict[str, Any] = {
        "type": "sftp",
        "host": "127.0.0.1",
        "port": port,
        "username": USER,
        "password": PASSWORD,
        "known_hosts": str(known_hosts(tmp_path, port)),
        "file_name": "{number}-rev{revision}.csv",
        "columns": COLUMNS,
    }
    values.update(overrides)
    transport = SftpTransport.model_validate(values)
    supplier = SupplierConfig(id="acme", name="Acme", transport=transport)
    return SftpChannel(transport, supplier, timeout=3)


def scenario(tmp_path: Path, steps: Callable[[int, Path], Awaitable[T]]) -> T:
    """Run `steps(port, drop_dir)` with the server up; the supplier's `/in` is `drop_dir`."""
    root = tmp_path / "server"
    (root / "in").mkdir(parents=True)

    async def main() -> T:
        async with sftp_server(root) as port:
            return await steps(port, root / "in")

    return asyncio.run(main())


EXPECTED = (
    "po_number,revision,kind,supplier_sku,quantity,unit_cost,ship_to_zip\r\n"
    "PO-00012,1,order,PF-4012,2,12.50,LS1 4AB\r\n"
    "PO-00012,1,order,PF-19,1,7.25,LS1 4AB\r\n"
)


def test_one_complete_file_per_po_and_no_part_left(tmp_path: Path) -> None:
    async def steps(port: int, drop: Path) -> Any:
        return await make_channel(tmp_path, port).send(document())

    result = scenario(tmp_path, steps)

    drop = tmp_path / "server" / "in"
    assert [p.name for p in drop.iterdir()] == ["PO-00012-rev1.csv"]
    assert (drop / "PO-00012-rev1.csv").read_bytes().decode() == EXPECTED
    assert result.reference == "/in/PO-00012-rev1.csv" and result.sent == EXPECTED
    assert result.details["host_key_checked"] is True
    assert result.details["already_there"] is False


def test_sending_the_same_document_twice_keeps_the_first_file(tmp_path: Path) -> None:
    async def steps(port: int, drop: Path) -> Any:
        channel = make_channel(tmp_path, port)
        await channel.send(document())
        first = (drop / "PO-00012-rev1.csv").stat().st_mtime_ns
        again = await channel.send(document())
        return first, again

    first_mtime, again = scenario(tmp_path, steps)

    drop = tmp_path / "server" / "in"
    assert [p.name for p in drop.iterdir()] == ["PO-00012-rev1.csv"]
    assert (drop / "PO-00012-rev1.csv").stat().st_mtime_ns == first_mtime  # not rewritten
    assert again.details["already_there"] is True and again.sent == EXPECTED


def test_a_cancellation_is_a_file_of_cancel_lines(tmp_path: Path) -> None:
    async def steps(port: int, drop: Path) -> Any:
        channel = make_channel(tmp_path, port, file_name="{number}-rev{revision}-{kind}.csv")
        return await channel.send(document("cancel", lines=()))

    result = scenario(tmp_path, steps)

    assert result.reference == "/in/PO-00012-rev2-cancel.csv"
    assert result.sent.splitlines()[1:] == ["PO-00012,2,cancel,,,,LS1 4AB"]


def test_lookup_finds_the_file_and_clears_a_half_upload(tmp_path: Path) -> None:
    async def steps(port: int, drop: Path) -> Any:
        channel = make_channel(tmp_path, port)
        (drop / "PO-00012-rev1.csv.part").write_text("po_number\r\nPO-000")
        before = await channel.lookup(document())
        part_left = (drop / "PO-00012-rev1.csv.part").exists()
        await channel.send(document())
        return before, part_left, await channel.lookup(document())

    before, part_left, after = scenario(tmp_path, steps)

    assert before is None and part_left is False
    assert after is not None and after.reference == "/in/PO-00012-rev1.csv"
    assert after.sent == EXPECTED and after.details["found_by"] == "lookup"


def test_a_wrong_host_key_is_permanent(tmp_path: Path) -> None:
    async def steps(port: int, drop: Path) -> Any:
        wrong = known_hosts(tmp_path, port, OTHER_HOST_KEY, name="known_hosts.other")
        await make_channel(tmp_path, port, known_hosts=str(wrong)).send(document())

    with pytest.raises(PermanentError, match="host key not accepted"):
        scenario(tmp_path, steps)
    assert not list((tmp_path / "server" / "in").iterdir())


def test_unchecked_host_keys_are_said_in_the_result(tmp_path: Path) -> None:
    async def steps(port: int, drop: Path) -> Any:
        channel = make_channel(tmp_path, port, known_hosts=None, check_host_key=False)
        return await channel.send(document())

    result = scenario(tmp_path, steps)
    assert result.details["host_key_checked"] is False
    assert "not checked" in result.details["warning"]


def test_a_wrong_password_is_permanent(tmp_path: Path) -> None:
    async def steps(port: int, drop: Path) -> Any:
        await make_channel(tmp_path, port, password="guess").send(document())

    with pytest.raises(PermanentError, match="login as 'tandem' refused") as caught:
        scenario(tmp_path, steps)
    assert "guess" not in str(caught.value)


def test_a_private_key_logs_in(tmp_path: Path) -> None:
    key_file = tmp_path / "id_ed25519"
    CLIENT_KEY.write_private_key(str(key_file))

    async def steps(port: int, drop: Path) -> Any:
        channel = make_channel(tmp_path, port, password=None, private_key=str(key_file))
        return await channel.send(document())

    assert scenario(tmp_path, steps).reference == "/in/PO-00012-rev1.csv"


def test_nothing_listening_is_transient(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free once closed: nothing listens there
    with pytest.raises(TransientError):
        asyncio.run(make_channel(tmp_path, port).send(document()))


def test_a_missing_directory_is_permanent(tmp_path: Path) -> None:
    async def steps(port: int, drop: Path) -> Any:
        await make_channel(tmp_path, port, directory="/orders").send(document())

    with pytest.raises(PermanentError, match="/orders"):
        scenario(tmp_path, steps)


def test_a_test_document_lists_the_directory_and_writes_nothing(tmp_path: Path) -> None:
    async def steps(port: int, drop: Path) -> Any:
        return await make_channel(tmp_path, port).send(document("test"))

    result = scenario(tmp_path, steps)
    assert result.reference is None and result.details["directory"] == "/in"
    assert not list((tmp_path / "server" / "in").iterdir())


def test_unknown_columns_stop_the_channel_being_made(tmp_path: Path) -> None:
    with pytest.raises(PermanentError, match=r"unknown CSV column 'colour'.*choose from po_number"):
        make_channel(tmp_path, 22, columns=["po_number", "colour"])


def test_blind_ship_leaves_price_columns_out() -> None:
    text = render_csv(document(blind_ship=True), ["sku", "unit_cost", "line_total"], ";")
    assert text.decode().splitlines() == ["sku", "TEE-M", "MUG"]
    full = render_csv(document(), ["sku", "quantity", "line_total"], ";").decode()
    assert full.splitlines()[1] == "TEE-M;2;25.00"


def test_without_known_hosts_the_users_own_file_decides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))

    async def steps(port: int, drop: Path) -> Any:
        channel = make_channel(tmp_path, port, known_hosts=None)
        with pytest.raises(PermanentError, match="host key not accepted"):
            await channel.send(document())  # the server is not in ~/.ssh/known_hosts
        known_hosts(home / ".ssh", port)
        return await channel.send(document())

    assert scenario(tmp_path, steps).details["host_key_checked"] is True
