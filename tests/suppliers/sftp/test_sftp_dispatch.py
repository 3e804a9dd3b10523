"""A released PO dropped on a supplier's SFTP server by the dispatcher: one complete file,
recorded on the PO; after a worker died mid-send, the next finds the file instead of
writing it again."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from sqlalchemy import select

from tandem.adapters.suppliers import make_channel
from tandem.connector.channels import Channel, PurchaseOrderDocument, SendResult
from tandem.connector.configuration import TandemConfig
from tandem.connector.configuration.model import SupplierConfig
from tandem.connector.services.dispatch import DispatchReport, dispatch
from tandem.connector.services.plan import run_planner
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tests.conftest import make_config
from tests.store.helpers import T0, address, ingest, offers, order
from tests.suppliers.sftp.support import PASSWORD, USER, known_hosts, sftp_server

LATER = T0.replace(minute=30)  # past the dead worker's lease


class WorkerKilled(BaseException):
    """The dispatching process died: nothing after this point runs."""


class KilledAfterUpload:
    """The supplier's real SFTP channel, in a worker killed right after its first upload."""

    def __init__(self, channel: Channel) -> None:
        self.channel, self.uploads = channel, 0

    async def send(self, document: PurchaseOrderDocument) -> SendResult:
        result = await self.channel.send(document)
        self.uploads += 1
        if self.uploads == 1:
            raise WorkerKilled
        return result

    async def lookup(self, document: PurchaseOrderDocument) -> SendResult | None:
        return await self.channel.lookup(document)


def sftp_config(tmp_path: Path, port: int) -> TandemConfig:
    return make_config(
        {
            "suppliers": [
                {
                    "id": "drop",
                    "name": "Drop Supplies",
                    "mode": "drop_ship",
                    "release": {"immediate": True},
                    "transport": {
                        "type": "sftp",
                        "host": "127.0.0.1",
                        "port": port,
                        "username": USER,
                        "password": PASSWORD,
                        "known_hosts": str(known_hosts(tmp_path, port)),
                        "directory": "/in",
                        "columns": ["po_number", "supplier_sku", "quantity", "ship_to_zip"],
                    },
                }
            ]
        }
    )


def test_dispatch_drops_the_po_once_even_when_the_worker_dies_after_uploading(
    tmp_path: Path, sqlite_db: Database
) -> None:
    root = tmp_path / "server"
    drop = root / "in"
    drop.mkdir(parents=True)
    channels: list[KilledAfterUpload] = []

    def killing(supplier: SupplierConfig, config: TandemConfig) -> Channel | None:
        real = make_channel(supplier, config)
        assert real is not None
        channels.append(KilledAfterUpload(real))
        return channels[-1]

    async def scenario() -> tuple[int, DispatchReport]:
        async with sftp_server(root) as port:
            config = sftp_config(tmp_path, port)
            offers(sqlite_db, config, "drop", ("MUG", 6, 100))
            ingest(sqlite_db, order(1, ("MUG", 2), ship_to=address("Jo Doe", "Leeds")))
            run_planner(sqlite_db, config, T0)
            with contextlib.suppress(WorkerKilled):
                await dispatch(sqlite_db, config, worker="w1", channels=killing, now=lambda: T0)
            written = (drop / "PO-00001-rev1-order.csv").stat().st_mtime_ns
            report = await dispatch(
                sqlite_db, config, worker="w2", channels=killing, now=lambda: LATER
            )
            return written, report

    written, report = asyncio.run(scenario())

    assert report.sent == ["PO-00001 rev 1"]
    assert [p.name for p in drop.iterdir()] == ["PO-00001-rev1-order.csv"]  # the rename was made
    assert (drop / "PO-00001-rev1-order.csv").read_bytes().decode() == (
        "po_number,supplier_sku,quantity,ship_to_zip\r\nPO-00001,DROP-MUG,2,N1 1AA\r\n"
    )
    assert (drop / "PO-00001-rev1-order.csv").stat().st_mtime_ns == written  # found, not rewritten
    assert [c.uploads for c in channels] == [1, 0]
    with sqlite_db.read() as conn:
        po = conn.execute(select(t.purchase_orders)).one()
        [message] = conn.execute(
            select(t.events.c.message).where(t.events.c.kind == "po.sent")
        ).scalars()
    assert (po.status, po.supplier_reference) == ("sent", "/in/PO-00001-rev1-order.csv")
    assert "found at the supplier after an interrupted attempt" in message
