"""A catalogue feed on the supplier's SFTP server (a real asyncssh server on loopback): read
when its size or time changed, left alone when not, refused when the host key is unknown."""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from tandem.adapters.feeds import make_feed
from tandem.connector.catalogue.feeds import FeedReport, refresh_feed
from tandem.connector.configuration import TandemConfig
from tandem.connector.store import Database, open_database
from tests.conftest import make_config
from tests.store.helpers import T0
from tests.suppliers.sftp.support import OTHER_HOST_KEY, PASSWORD, USER, known_hosts, sftp_server

FEED = "sku,supplier_sku,name,cost,stock\nSPADE,AC-1,Spade,10.00,40\nFORK,AC-2,Fork,9.00,12\n"


def feed_config(tmp_path: Path, port: int, hosts: Path) -> TandemConfig:
    source: dict[str, Any] = {
        "type": "sftp",
        "host": "127.0.0.1",
        "port": port,
        "username": USER,
        "password": PASSWORD,
        "known_hosts": str(hosts),
        "path": "/out/stock.csv",
        "timeout_seconds": 5,
    }
    return make_config(
        {
            "database_url": f"sqlite:///{tmp_path / 'tandem.db'}",
            "suppliers": [{"id": "acme", "name": "Acme", "catalogue": {"source": source}}],
        },
        base_dir=tmp_path,
    )


async def refresh(db: Database, config: TandemConfig, minutes: int) -> FeedReport:
    # refresh_feed blocks (it runs its own event loop): in a thread, beside the server's loop.
    now = T0 + timedelta(minutes=minutes)
    return await asyncio.to_thread(refresh_feed, db, config, "acme", now, make_feed)


def test_an_sftp_feed_is_imported_when_it_changes_and_only_then(tmp_path: Path) -> None:
    root = tmp_path / "server"
    (root / "out").mkdir(parents=True)
    feed = root / "out" / "stock.csv"
    feed.write_text(FEED)

    async def main() -> list[FeedReport]:
        async with sftp_server(root) as port:
            config = feed_config(tmp_path, port, known_hosts(tmp_path, port))
            db = open_database(config.database_url)
            first = await refresh(db, config, 0)
            same = await refresh(db, config, 60)
            feed.write_text(FEED.replace("Fork,9.00,12", "Fork,9.00,3"))
            os.utime(feed, (1_800_000_000, 1_800_000_000))
            changed = await refresh(db, config, 120)
            return [first, same, changed]

    first, same, changed = asyncio.run(main())
    assert first.error is None and first.imported is not None
    assert first.imported.rows_imported == 2 and first.source.endswith("/out/stock.csv")
    assert same.unchanged and same.imported is None
    assert changed.imported is not None and changed.imported.changes.changed == 1
    assert changed.imported.changes.skus == {"FORK"}


def test_an_unknown_host_key_or_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    root = tmp_path / "server"
    root.mkdir()

    async def main() -> tuple[FeedReport, FeedReport]:
        async with sftp_server(root) as port:
            wrong = known_hosts(tmp_path, port, OTHER_HOST_KEY, name="other_hosts")
            db = open_database(f"sqlite:///{tmp_path / 'tandem.db'}")
            untrusted = await refresh(db, feed_config(tmp_path, port, wrong), 0)
            config = feed_config(tmp_path, port, known_hosts(tmp_path, port))
            missing = await refresh(db, config, 1)
            return untrusted, missing

    untrusted, missing = asyncio.run(main())
    assert untrusted.error is not None and "host key not accepted" in untrusted.error
    assert missing.error is not None and "no such file" in missing.error
    assert "/out/stock.csv" in missing.error and PASSWORD not in missing.error
