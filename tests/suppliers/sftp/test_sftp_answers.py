"""Answer files on a supplier's SFTP server (a real asyncssh server on loopback): confirmations
set the ETA, shipment files become shipments and fulfillments, each file is read once and
moved away, and bad rows are reported by line while the good ones count."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tandem.adapters.suppliers.sftp.answer_poll import AnswersReport, read_sftp_answers
from tandem.connector.configuration import TandemConfig
from tandem.connector.services.plan import run_planner
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tests.conftest import make_config
from tests.store.helpers import T0, config, ingest, offers, order
from tests.store.test_shipments import SHOPIFY, outbox_keys, po_status
from tests.suppliers.sftp.support import PASSWORD, USER, known_hosts, sftp_server

HEADER = "Order Ref,Item,Qty,Status,Tracking,Carrier,Ship Date\n"
COLUMNS = {
    "po_number": "Order Ref",
    "sku": "Item",
    "quantity": "Qty",
    "status": "Status",
    "tracking_number": "Tracking",
    "carrier": "Carrier",
    "ship_date": "Ship Date",
}


def sftp_config(tmp_path: Path, port: int, supplier: str = "bloom", **answers: Any) -> TandemConfig:
    data = config(store=SHOPIFY).model_dump(by_alias=True, mode="python")
    for s in data["suppliers"]:
        if s["id"] == supplier:
            s["transport"] = {
                "type": "sftp",
                "host": "127.0.0.1",
                "port": port,
                "username": USER,
                "password": PASSWORD,
                "known_hosts": str(known_hosts(tmp_path, port)),
                "answers": {"columns": COLUMNS, **answers},
            }
    return make_config(data)


def bloom_po(db: Database) -> str:
    """A released drop-ship PO of Bloom: 3 × ROSE, 2 × TULIP."""
    offers(db, config(), "bloom", ("ROSE", 5, 100), ("TULIP", 3, 100))
    ingest(db, order(1, ("ROSE", 3), ("TULIP", 2), tags=("dropship",)))
    run_planner(db, config(store=SHOPIFY), T0)
    with db.read() as conn:
        return str(conn.execute(select(t.purchase_orders.c.number)).scalar_one())


def poll(tmp_path: Path, files: dict[str, str], *polls: Any, **answers: Any) -> list[Any]:
    """With the server up and `files` in its /out, run `read_sftp_answers` once per item of
    `polls` (a database, or a callable(port) -> (db, config)); their reports."""
    root = tmp_path / "server"
    (root / "out").mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / "out" / name).write_text(text)

    async def main() -> list[AnswersReport]:
        async with sftp_server(root) as port:
            reports = []
            for db in polls:
                cfg = sftp_config(tmp_path, port, **answers)
                reports.append(await read_sftp_answers(db, cfg, T0, timeout=5))
            return reports

    return asyncio.run(main())


def out(tmp_path: Path, folder: str = "out") -> list[str]:
    base = tmp_path / "server" / folder
    return sorted(str(p.relative_to(base)) for p in base.rglob("*") if p.is_file())


def open_exceptions(db: Database) -> list[str]:
    e = t.exceptions
    with db.read() as conn:
        return list(
            conn.execute(select(e.c.message).where(e.c.status == "open").order_by(e.c.id)).scalars()
        )


def shipments(db: Database) -> list[tuple[list[str], list[tuple[str, int]]]]:
    pl = t.po_lines
    with db.read() as conn:
        skus = dict(conn.execute(select(pl.c.id, pl.c.sku)).all())
        rows = conn.execute(
            select(t.shipments.c.tracking_numbers, t.shipments.c.lines).order_by(t.shipments.c.id)
        ).all()
    return [
        (list(tracking), sorted((skus[line["po_line_id"]], line["quantity"]) for line in lines))
        for tracking, lines in rows
    ]


def test_an_acknowledgement_file_confirms_the_po_with_its_eta_and_is_moved(
    tmp_path: Path, db: Database
) -> None:
    number = bloom_po(db)
    ack = (
        HEADER
        + f"{number},ROSE,3,Confirmed,,,2026-12-10\n{number},TULIP,2,confirmed,,,2026-12-12\n"
    )

    [report] = poll(tmp_path, {"ack-0001.csv": ack}, db)

    assert report.applied == [
        f"{number} confirmed by Bloom via sftp; ships 2026-12-10 to 2026-12-12",
        "/out/ack-0001.csv moved to /out/processed/ack-0001.csv",
    ]
    assert report.problems == [] and report.failures == []
    assert po_status(db, number) == "acknowledged"
    with db.read() as conn:
        eta = conn.execute(select(t.purchase_orders.c.expected_at)).scalar_one()
    assert eta.date().isoformat() == "2026-12-12"
    assert out(tmp_path) == ["processed/ack-0001.csv"]
    assert any(":acknowledged:" in k for k in outbox_keys(db))  # the order hears it


def test_a_shipment_file_with_two_tracking_numbers_ships_the_po_in_two_parcels(
    tmp_path: Path, db: Database
) -> None:
    number = bloom_po(db)
    shipped = (
        HEADER
        + f"{number},ROSE,2,shipped,TRK-A1,DHL,\n"
        + f"{number},TULIP,2,Shipped,TRK-A1,DHL,\n"  # same tracking: the same parcel
        + f"{number},ROSE,1,shipped,TRK-B2,DHL,\n"
    )

    [report] = poll(tmp_path, {"ship-0001.csv": shipped}, db)

    assert report.problems == []
    assert shipments(db) == [
        (["TRK-A1"], [("ROSE", 2), ("TULIP", 2)]),
        (["TRK-B2"], [("ROSE", 1)]),
    ]
    assert po_status(db, number) == "shipped"
    assert len([k for k in outbox_keys(db) if k.startswith("store.fulfillment:")]) == 2
    assert f"{number} shipped by Bloom via sftp: 2 × ROSE, 2 × TULIP; tracking TRK-A1" in (
        report.applied
    )


def test_a_file_with_bad_rows_applies_the_good_ones_and_reports_each_bad_one_by_line(
    tmp_path: Path, db: Database
) -> None:
    number = bloom_po(db)
    mixed = (
        HEADER
        + f"{number},ROSE,3,shipped,TRK-A1,DHL,\n"
        + f'{number},TULIP,2,shipped,"=HYPERLINK(""http://evil.example"")",DHL,\n'
        + f"{number},TULIP,2,shipped\n"  # ragged: cells missing
        + f"{number},TULIP,two,shipped,TRK-C3,DHL,\n"
        + f"{number},TULIP,2,lost in the post,,,\n"
    )

    [report] = poll(tmp_path, {"ship-7.csv": mixed}, db)

    assert shipments(db) == [(["TRK-A1"], [("ROSE", 3)])]
    assert po_status(db, number) == "released"  # TULIP has not shipped
    assert report.problems == [
        "/out/ship-7.csv line 3: '=HYPERLINK(\"http://evil.example\")' does not look like a"
        f' tracking number: {number},TULIP,2,shipped,=HYPERLINK("http://evil.example"),DHL,',
        f"/out/ship-7.csv line 4: 4 cells where the header has 7: {number},TULIP,2,shipped",
        "/out/ship-7.csv line 5: quantity 'two' is not a whole number from 1 to 1000000:"
        f" {number},TULIP,two,shipped,TRK-C3,DHL,",
        f"/out/ship-7.csv line 6: status 'lost in the post' is not one Tandem knows:"
        f" {number},TULIP,2,lost in the post,,,",
    ]
    assert open_exceptions(db) == [f"Bloom's answer file {p}" for p in report.problems]
    assert out(tmp_path) == ["processed/ship-7.csv"]  # read: its bad rows are in the queue


def test_the_same_file_read_twice_or_under_another_name_applies_once(
    tmp_path: Path, db: Database
) -> None:
    number = bloom_po(db)
    shipped = HEADER + f"{number},ROSE,1,shipped,TRK-A1,DHL,\n"
    files = {"ship-1.csv": shipped}

    first, second = poll(tmp_path, files, db, db, processed_directory=None)
    (tmp_path / "server" / "out" / "ship-1-copy.csv").write_text(shipped)
    [third] = poll(tmp_path, {}, db, processed_directory=None)

    assert first.applied[0].startswith(f"{number} shipped by Bloom via sftp: 1 × ROSE")
    assert second.applied == [] and second.problems == []
    assert third.applied == ["/out/ship-1-copy.csv left in place (no processed_directory)"]
    assert shipments(db) == [(["TRK-A1"], [("ROSE", 1)])]
    assert out(tmp_path) == ["ship-1-copy.csv", "ship-1.csv"]
    with db.read() as conn:
        items = t.inbound_items
        recorded = conn.execute(select(items.c.source, items.c.key).order_by(items.c.id)).all()
    assert [(s, k.split(":")[0]) for s, k in recorded] == [
        ("sftp:bloom", "ship-1.csv"),
        ("sftp:bloom", "ship-1-copy.csv"),
    ]


def test_a_server_that_refuses_the_move_leaves_the_file_and_it_is_not_read_again(
    tmp_path: Path, db: Database
) -> None:
    number = bloom_po(db)
    (tmp_path / "server" / "out").mkdir(parents=True)
    (tmp_path / "server" / "out" / "done").write_text("not a folder")  # makedirs must fail
    files = {"ack.csv": HEADER + f"{number},,,confirmed,,,2026-12-01\n"}

    first, second = poll(tmp_path, files, db, db, processed_directory="/out/done")

    assert first.applied[0] == f"{number} confirmed by Bloom via sftp; ships 2026-12-01"
    assert first.applied[1].startswith("/out/ack.csv left in place: the server refused")
    assert second.applied == [] and second.problems == []
    assert out(tmp_path) == ["ack.csv", "done"]
    with db.read() as conn:
        dates = set(conn.execute(select(t.po_lines.c.expected_ship_date)).scalars())
    assert {d.isoformat() for d in dates} == {"2026-12-01"}  # every line: the row named none


def test_a_file_about_another_suppliers_po_changes_nothing_and_raises_an_exception(
    tmp_path: Path, db: Database
) -> None:
    number = bloom_po(db)  # Bloom's PO, in Acme's folder
    files = {"ship.csv": HEADER + f"{number},ROSE,3,shipped,TRK-A1,DHL,\n"}
    root = tmp_path / "server"
    (root / "out").mkdir(parents=True)
    (root / "out" / "ship.csv").write_text(files["ship.csv"])

    async def main() -> AnswersReport:
        async with sftp_server(root) as port:
            return await read_sftp_answers(db, sftp_config(tmp_path, port, "acme"), T0, timeout=5)

    report = asyncio.run(main())

    assert report.applied == ["/out/ship.csv moved to /out/processed/ship.csv"]
    assert report.problems == [
        f"/out/ship.csv line 2: {number} is not a PO of Acme: {number},ROSE,3,shipped,TRK-A1,DHL,"
    ]
    assert open_exceptions(db) == [f"Acme's answer file {report.problems[0]}"]
    assert shipments(db) == [] and po_status(db, number) == "released"


def test_a_file_that_cannot_be_read_stays_raises_one_exception_and_is_read_once_fixed(
    tmp_path: Path, db: Database
) -> None:
    number = bloom_po(db)
    files = {
        "wrong.csv": f"Reference,State\n{number},confirmed\n",
        "huge.csv": HEADER + "x" * 2_000,
    }

    first, second = poll(tmp_path, files, db, db, max_file_bytes=1_000)

    assert first.problems == [
        "/out/huge.csv: 2053 bytes, larger than max_file_bytes (1000); it is not read",
        "/out/wrong.csv: no 'Order Ref' column in the header (Reference,State);"
        " set transport.answers.columns",
    ]
    assert second.problems == first.problems  # tried again, still unread
    assert len(open_exceptions(db)) == 2  # one each, not one per poll
    assert all("it stays and is read again" in m for m in open_exceptions(db))
    assert out(tmp_path) == ["huge.csv", "wrong.csv"]

    fixed = {"po_number": "Reference", "status": "State"}
    [third] = poll(tmp_path, {}, db, max_file_bytes=1_000, columns=fixed)
    assert third.applied[0] == f"{number} confirmed by Bloom via sftp"
    assert po_status(db, number) == "acknowledged"
    assert [m for m in open_exceptions(db) if "wrong.csv" in m] == []  # closed: it was read


def test_a_server_that_does_not_answer_is_a_failure_not_a_crash(
    tmp_path: Path, db: Database
) -> None:
    cfg = sftp_config(tmp_path, 1)  # nothing listens on port 1
    report = asyncio.run(read_sftp_answers(db, cfg, T0, timeout=2))
    assert report.checked == ["answers:bloom"]
    [failure] = report.failures
    assert failure.startswith("answers of bloom not read: Bloom's SFTP server 127.0.0.1:1")
    assert report.failing[0].check == "answers:bloom" and not report.failing[0].lasting


def test_the_daemon_job_reads_the_folder_and_the_schedule_has_it(
    tmp_path: Path, db: Database
) -> None:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from tandem.connector.daemon.jobs import Jobs
    from tandem.connector.daemon.runner import schedule

    number = bloom_po(db)
    root = tmp_path / "server"
    (root / "out").mkdir(parents=True)
    (root / "out" / "ship.csv").write_text(HEADER + f"{number},,,shipped,TRK-A1,DHL,\n")

    async def main() -> list[str]:
        async with sftp_server(root) as port:
            jobs = Jobs(db, sftp_config(tmp_path, port))
            await jobs.guarded("sftp_answers", jobs.sftp_answers)
            scheduler = AsyncIOScheduler(timezone="UTC")
            scheduler.start(paused=True)
            try:
                schedule(scheduler, jobs, jobs.config)
                return [job.id for job in scheduler.get_jobs()]
            finally:
                scheduler.shutdown(wait=False)

    scheduled = asyncio.run(main())
    assert "sftp_answers" in scheduled
    assert po_status(db, number) == "shipped"  # a row naming no line ships them all
    assert out(tmp_path) == ["processed/ship.csv"]
