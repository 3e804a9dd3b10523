"""A catalogue feed sent by email (a real dovecot IMAP server): the newest matching attachment
from the supplier is imported; a message from anyone else is not; the same message is not
read twice."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select

from tandem.adapters.feeds import make_feed
from tandem.connector.catalogue.feeds import FeedReport, refresh_feed
from tandem.connector.configuration import TandemConfig
from tandem.connector.store import Database, open_database
from tandem.connector.store import schema as t
from tests.conftest import make_config
from tests.store.helpers import T0
from tests.support.imap import ImapServer

HEADER = "sku,supplier_sku,name,cost,stock\n"


def message(sender: str, csv: str, name: str = "stock.csv") -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "po@shop.example"
    mail["Subject"] = "Stock today"
    mail.set_content("Today's stock is attached.")
    mail.add_attachment(csv.encode(), maintype="text", subtype="csv", filename=name)
    return bytes(mail)


def feed_config(tmp_path: Path, imap: ImapServer) -> TandemConfig:
    return make_config(
        {
            "database_url": f"sqlite:///{tmp_path / 'tandem.db'}",
            "inbox": imap.sent_lookup(processed_folder=None) | {"folder": "INBOX"},
            "suppliers": [
                {
                    "id": "acme",
                    "name": "Acme",
                    "catalogue": {
                        "source": {
                            "type": "inbox",
                            "pattern": "stock*.csv",
                            "senders": ["acme.example"],
                        }
                    },
                }
            ],
        },
        base_dir=tmp_path,
    )


def refresh(db: Database, config: TandemConfig, minutes: int) -> FeedReport:
    return refresh_feed(db, config, "acme", T0 + timedelta(minutes=minutes), make_feed)


def stock(db: Database) -> dict[str, int]:
    o = t.offers
    with db.read() as conn:
        return {r.sku: r.stock for r in conn.execute(select(o.c.sku, o.c.stock))}


def test_the_newest_attachment_from_the_supplier_is_the_feed(
    tmp_path: Path, imap_server: ImapServer
) -> None:
    imap_server.append(
        message("Stock <stock@acme.example>", HEADER + "SPADE,AC-1,Spade,10,40\n"), "INBOX"
    )
    # Newer, but from a domain that only ends like the supplier's: never the feed.
    imap_server.append(message("x@evil-acme.example", HEADER + "SPADE,AC-1,Spade,10,0\n"), "INBOX")
    config = feed_config(tmp_path, imap_server)
    db = open_database(config.database_url)

    first = refresh(db, config, 0)
    assert first.error is None and first.imported is not None
    assert stock(db) == {"SPADE": 40}
    assert refresh(db, config, 60).unchanged

    imap_server.append(message("stock@acme.example", HEADER + "SPADE,AC-1,Spade,10,25\n"), "INBOX")
    changed = refresh(db, config, 120)
    assert changed.imported is not None and changed.imported.changes.changed == 1
    assert stock(db) == {"SPADE": 25}


def test_no_message_from_the_supplier_is_a_clear_error(
    tmp_path: Path, imap_server: ImapServer
) -> None:
    imap_server.append(message("x@elsewhere.example", HEADER + "SPADE,AC-1,Spade,10,1\n"), "INBOX")
    config = feed_config(tmp_path, imap_server)
    report = refresh(open_database(config.database_url), config, 0)
    assert report.error is not None and "no message from acme.example" in report.error
    assert "'stock*.csv'" in report.error and "imap-secret" not in report.error
