"""End to end, with nobody typing a tracking number: a drop-ship order in the Shopify stand-in,
`tandem sync` drops its PO on Bloom's SFTP server (a real asyncssh server), Bloom leaves a
shipment file in its outbound folder, and the next `tandem sync` turns it into a fulfillment
with Bloom's tracking number on the customer's order."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.shopify_support import (
    config_data,
    exceptions,
    po_number,
    tandem,
    write_config,
)
from tests.standin import ShopifyStandin
from tests.suppliers.sftp.support import PASSWORD, USER, known_hosts, sftp_server


@pytest.fixture
def sftp_root(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """Bloom's SFTP server (its `/` is the folder yielded, with /in and /out), run on a loop
    of its own: `tandem sync` runs its own event loops meanwhile."""
    root = tmp_path / "bloom-sftp"
    (root / "in").mkdir(parents=True)
    (root / "out").mkdir()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    stop = asyncio.Event()
    port: list[int] = []

    async def serve() -> None:
        async with sftp_server(root) as listening:
            port.append(listening)
            started.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert started.wait(10), "the SFTP server did not start"
    yield root, port[0]
    loop.call_soon_threadsafe(stop.set)
    thread.join(10)
    loop.close()


def test_a_shipment_file_on_the_sftp_server_becomes_the_orders_fulfillment(
    shop: ShopifyStandin,
    tmp_path: Path,
    sftp_root: tuple[Path, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root, port = sftp_root
    monkeypatch.setenv("SHOPIFY_TOKEN", shop.token)
    monkeypatch.setenv("COLUMNS", "200")
    data = config_data(shop, tmp_path)
    bloom = next(s for s in data["suppliers"] if s["id"] == "bloom")
    bloom["transport"] = {
        "type": "sftp",
        "host": "127.0.0.1",
        "port": port,
        "username": USER,
        "password": PASSWORD,
        "known_hosts": str(known_hosts(tmp_path, port)),
        "answers": {"directory": "/out", "processed_directory": "/out/done"},
    }
    config = write_config(tmp_path / "tandem.yaml", data)
    order = shop.add_order([("ROSE", 3)], tags=["dropship"])

    tandem("sync", "--config", str(config))
    number = po_number(config, "bloom")
    assert [p.name for p in (root / "in").iterdir()] == [f"{number}-rev1-order.csv"]

    (root / "out" / "shipped-0001.csv").write_text(
        "po_number,sku,quantity,status,tracking_number,carrier\n"
        f"{number},ROSE,3,shipped,1Z999AA10123456784,UPS\n"
    )
    output = tandem("sync", "--config", str(config))

    assert f"supplier file: {number} shipped by Bloom via sftp: 3 × ROSE" in output
    [fulfillment] = shop.fulfillments(order)
    assert [x["number"] for x in fulfillment["tracking"]] == ["1Z999AA10123456784"]
    assert sum(line["quantity"] for line in fulfillment["lines"]) == 3
    assert [p.name for p in (root / "out" / "done").iterdir()] == ["shipped-0001.csv"]
    assert not [e for e in exceptions(config) if e["kind"] == "answer_unread"]

    tandem("sync", "--config", str(config))  # nothing new: nothing more
    assert len(shop.fulfillments(order)) == 1
