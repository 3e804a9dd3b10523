"""`tandem demo`: all of Tandem on one machine, with no Shopify store and no supplier.

Starts a local demo store (Tandem's Shopify stand-in, seeded with a garden shop's products and
a stream of new orders, each announced by a signed webhook), a supplier mailbox (an SMTP server
writing every message into a folder) and `tandem run` on SQLite. Drop-ship POs that went out
are "shipped" by the demo suppliers a little later, so fulfillments with tracking appear too.
"""

from __future__ import annotations

import contextlib
import importlib.util
import random
import secrets
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from tandem.connector.__main__ import INTERRUPTED_CODE
from tandem.connector.cli import options
from tandem.connector.cli.common import console, fail, reported
from tandem.connector.clock import utcnow
from tandem.connector.errors import TandemError

# The demo's parts are imported when it runs (issue 14: `tandem --help` needs none of them).
if TYPE_CHECKING:
    from tandem.connector.configuration import TandemConfig
    from tandem.connector.daemon import process
    from tandem.connector.store import Database

SHIP_AFTER_SECONDS = 20


def write_config(
    folder: Path, store_url: str, token: str, smtp_port: int, port: int
) -> tuple[Path, str]:
    import yaml

    from tandem.connector.demo.catalogue import SUPPLIERS, write_catalogues
    from tandem.connector.web.dashboard.passwords import hash_password

    write_catalogues(folder)
    password = secrets.token_urlsafe(9)
    data: dict[str, Any] = {
        "database_url": f"sqlite:///{folder / 'tandem.db'}",
        "timezone": "Europe/London",
        "currency": "GBP",
        "store": {
            "platform": "shopify",
            "shop_url": store_url,
            "access_token": token,
            "webhook_secret": secrets.token_hex(16),
            "stock_push": {"enabled": True, "location": "Suppliers", "buffer": 1},
        },
        "smtp": {
            "host": "127.0.0.1",
            "port": smtp_port,
            "from": "Purchasing <purchasing@demo-garden.example>",
        },
        "warehouse": {
            "name": "Demo Garden Ltd",
            "address": {
                "address1": "Unit 4, Riverside Estate",
                "city": "Bristol",
                "zip": "BS1 6XN",
                "country": "United Kingdom",
                "country_code": "GB",
            },
        },
        "rules": {"default_mode": "back_to_back", "quantity_basis": "full"},
        "suppliers": SUPPLIERS,
        "dashboard": {
            "users": [{"name": "demo", "password_hash": hash_password(password)}],
            "secret_key": secrets.token_hex(32),
        },
        "daemon": {
            "port": port,
            "intervals": {
                "poll_orders": "30s",
                "plan": "2s",
                "dispatch": "2s",
                "supplier_status": "30s",
                "stock_push": "30s",
                "catalogues": "10m",
                "reconcile": "10m",
            },
        },
    }
    path = folder / "tandem.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path, password


async def order_stream(shop: Any, url: str, secret: str, rng: random.Random, every: float) -> None:
    """A new paid order every `every` seconds (roughly), announced by its webhook."""
    import asyncio

    from tandem.connector.demo.catalogue import random_order

    while True:
        order = random_order(shop, rng)
        payload = shop.order_payload(order)
        with contextlib.suppress(Exception):  # the daemon may be starting or stopping
            await asyncio.to_thread(shop.deliver_webhook, url, "orders/create", payload, secret)
        await asyncio.sleep(rng.uniform(every * 0.5, every * 1.5))


async def supplier_shipping(
    db: Database,
    config: TandemConfig,
    rng: random.Random,
    *,
    every: float = 5.0,
    after: float = SHIP_AFTER_SECONDS,
) -> None:
    """Demo suppliers ship drop-ship POs `after` seconds after receiving them, looking every
    `every` seconds. A shipment that cannot be recorded is logged once per PO and tried again
    each round (the database may only have been busy)."""
    import asyncio

    from sqlalchemy import select

    from tandem.connector.daemon.logs import get_logger
    from tandem.connector.services.shipments import record_shipment
    from tandem.connector.store import schema as t

    log = get_logger("tandem.demo")
    po = t.purchase_orders
    failed: set[str] = set()
    while True:
        await asyncio.sleep(every)
        cutoff = utcnow().timestamp() - after
        with db.read() as conn:
            due = conn.execute(
                select(po.c.number, po.c.updated_at).where(
                    po.c.mode == "drop_ship", po.c.status.in_(["sent", "acknowledged"])
                )
            ).all()
        for number, updated_at in due:
            if updated_at.timestamp() > cutoff:
                continue
            tracking = f"DEMO{rng.randrange(10**9):09d}GB"
            try:
                await asyncio.to_thread(
                    record_shipment, db, config, number, [tracking], utcnow(), carrier="Royal Mail"
                )
            except Exception as exc:  # the demo goes on; its user hears of it once
                if number not in failed:
                    failed.add(number)
                    error = str(exc) if isinstance(exc, TandemError) else repr(exc)
                    log.warning("demo shipment not recorded", po=number, error=error)


def demo_command(
    folder: Annotated[Path, typer.Option(help="Where the demo keeps its files.")] = Path(
        "var/demo"
    ),
    port: Annotated[int, typer.Option(help="Port of the dashboard.")] = 8080,
    every: Annotated[float, typer.Option(help="Seconds between new demo orders.")] = 6.0,
    seed: Annotated[int | None, typer.Option(help="Random seed (same seed, same shop).")] = None,
) -> None:
    """Run the whole of Tandem locally: a demo store, a supplier mailbox and `tandem run`."""
    missing = missing_demo_parts()
    if missing:
        fail(
            escape(
                f"tandem demo needs {' and '.join(missing)}, which come with the demo extra:"
                " pip install 'tandem-connector[demo]' (from a checkout of Tandem:"
                " pip install -e '.[demo]' -e packages/tandem-shopify-standin)"
            ),
            code=2,
        )
    try:
        # Everything from here, imports included, stops on Ctrl-C with one line: the demo's
        # parts load in the first second, when an impatient user is likeliest to press it.
        from tandem.connector.daemon import process

        with reported():
            # First, so a port in use is said at once, before the demo store starts.
            sock = process.listen("127.0.0.1", port)
        with contextlib.ExitStack() as running:
            running.callback(sock.close)
            stopped = run_demo(sock, folder.resolve(), every, random.Random(seed), running)
    except KeyboardInterrupt:
        # Ctrl-C before the daemon answers it itself (then it stops cleanly, exit code 0):
        # what had started is stopped by now, and `tandem` says so in one line.
        raise typer.Exit(INTERRUPTED_CODE) from None
    raise typer.Exit(process.end(stopped))


def missing_demo_parts() -> list[str]:
    """What `tandem demo` runs that this installation lacks: the demo store (a distribution of
    its own, so Tandem carries no test double) and the supplier mailbox's SMTP server."""
    parts = {
        "tandem_shopify_standin": "the demo store (tandem-shopify-standin)",
        "aiosmtpd": "the supplier mailbox (aiosmtpd)",
    }
    return [what for module, what in parts.items() if importlib.util.find_spec(module) is None]


def run_demo(
    sock: socket.socket,
    folder: Path,
    every: float,
    rng: random.Random,
    running: contextlib.ExitStack,
) -> process.Stopped:
    """Start the demo store and the mailbox (`running` stops them on the way out), then
    Tandem on `sock`, until it stops."""
    import asyncio

    from tandem.connector.configuration import load_config
    from tandem.connector.daemon import process
    from tandem.connector.daemon.logs import setup_logging
    from tandem.connector.daemon.runner import run_daemon
    from tandem.connector.demo.catalogue import seed_store
    from tandem.connector.demo.mailbox import Mailbox
    from tandem.connector.store import open_database
    from tandem_shopify_standin import ShopifyStandin

    folder.mkdir(parents=True, exist_ok=True)
    # Each demo starts afresh: its shop is new, so last run's POs and emails would mislead.
    for old in ("tandem.db", "tandem.db-wal", "tandem.db-shm"):
        (folder / old).unlink(missing_ok=True)
    for message in (folder / "mailbox").glob("*.eml"):
        message.unlink()
    setup_logging(options.log_level("WARNING"), json=False)
    shop = ShopifyStandin().start()
    running.callback(shop.stop)
    seed_store(shop, rng)
    mailbox = Mailbox(folder / "mailbox")
    mailbox.start()
    running.callback(mailbox.stop)
    port = sock.getsockname()[1]
    config_path, password = write_config(folder, shop.url, shop.token, mailbox.port, port)
    config = load_config(config_path)
    db = open_database(config.database_url)
    url = f"http://127.0.0.1:{port}"
    console.print(
        f"\n[bold]Tandem demo[/bold]\n"
        f"  dashboard   {url}/   (user [bold]demo[/bold], password [bold]{password}[/bold])\n"
        f"  PO emails   {folder / 'mailbox'}\n"
        f"  demo store  {shop.url} (a local Shopify stand-in)\n"
        f"  config      {config_path}\n"
        f"New orders arrive every few seconds; POs form, consolidate, go out and ship.\n"
        f"Ctrl-C stops.\n",
        highlight=False,
    )
    secret = config.store.webhook_secret
    assert secret is not None

    async def main() -> process.Stopped:
        extras = [
            asyncio.create_task(
                order_stream(shop, f"{url}/webhooks/shopify", secret.get_secret_value(), rng, every)
            ),
            asyncio.create_task(supplier_shipping(db, config, rng)),
        ]
        try:
            return await run_daemon(config, db, sock=sock)
        finally:
            for task in extras:
                task.cancel()

    return process.run(main())
