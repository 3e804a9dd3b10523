"""The commands a merchant runs when a PO needs a hand — `tandem po resend`, `tandem po
arrived`, `tandem po cancel` — and `tandem supplier test`: exit codes, what they say, and
what the supplier receives (a real SMTP server, the loopback supplier API)."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result
from typer.testing import CliRunner

from tandem.connector import outbox
from tandem.connector.cli import app
from tandem.connector.clock import utcnow
from tandem.connector.store import open_database
from tests.suppliers.email.support import Recorder, smtp_server, text_body
from tests.suppliers.rest.supplier_server import SupplierServer

TOKEN = "rest-secret-token"


@pytest.fixture
def inbox() -> Iterator[tuple[Recorder, int]]:
    handler = Recorder()
    with smtp_server(handler) as port:
        yield handler, port


@pytest.fixture
def api() -> Iterator[SupplierServer]:
    with SupplierServer(token=TOKEN) as server:
        yield server


def setup(
    folder: Path, smtp_port: int, api_url: str = "http://127.0.0.1:9", token: str = TOKEN
) -> Path:
    """Acme takes POs by email; Print Partner (no orders here) by its REST API."""
    (folder / "acme.csv").write_text(
        "sku,supplier_sku,name,cost,stock\nSPADE,AC-1001,Border spade,18.40,50\n"
    )
    order = {
        "id": 1001,
        "name": "#1001",
        "created_at": "2026-11-20T09:00:00Z",
        "financial_status": "paid",
        "shipping_address": {"name": "Ada Lovelace", "city": "London", "country_code": "GB"},
        "line_items": [{"id": 10010, "sku": "SPADE", "quantity": 2, "title": "Spade"}],
    }
    (folder / "orders.json").write_text(json.dumps([order]))
    data: dict[str, Any] = {
        "database_url": f"sqlite:///{folder / 'tandem.db'}",
        "currency": "GBP",
        "store": {"platform": "file", "orders_file": "orders.json"},
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "from": "po@greenhouse.example"},
        "rules": {"default_mode": "back_to_back"},
        "suppliers": [
            {
                "id": "acme",
                "name": "Acme Garden",
                "release": {"immediate": True},
                "catalogue": {"path": "acme.csv"},
                "transport": {"type": "email", "to": "orders@acme.example"},
            },
            {
                "id": "api",
                "name": "Print Partner",
                "mode": "drop_ship",
                "transport": {
                    "type": "rest",
                    "base_url": api_url,
                    "auth": {"type": "bearer", "token": token},
                    "create": {"path": "/orders"},
                    "lookup": {"method": "GET", "path": "/orders/@{{ po.number }}"},
                },
            },
        ],
    }
    path = folder / "tandem.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def tandem(config: Path, *args: str) -> Result:
    result = CliRunner().invoke(app, [*args, "--config", str(config)])
    assert "Traceback" not in result.output
    return result


def said(result: Result) -> str:
    """What the command printed, with the terminal's line wrapping undone."""
    return " ".join(result.output.split())


def kinds(inbox: Recorder) -> list[tuple[str, str]]:
    return [(m["Message-ID"], m["X-Tandem-Kind"]) for m in inbox.messages()]


def test_resend_after_the_supplier_refused_the_po(tmp_path: Path, inbox) -> None:
    handler, port = inbox
    config = setup(tmp_path, port)
    handler.data_reply = "550 5.1.1 mailbox unavailable"
    first = tandem(config, "sync")
    assert first.exit_code == 1
    assert "sending PO-00001 rev 1" in said(first) and "550 5.1.1" in said(first)

    handler.data_reply = None  # the supplier fixed its mailbox
    resent = tandem(config, "po", "resend", "PO-00001")
    assert resent.exit_code == 0, resent.output
    assert "PO-00001 revision 1 queued to be sent again by cli" in said(resent)
    assert tandem(config, "sync").exit_code == 0
    assert kinds(handler) == [("<PO-00001.rev1.order@greenhouse.example>", "order")]

    again = tandem(config, "po", "resend", "PO-00002")
    assert again.exit_code == 1
    assert "no PO 'PO-00002'" in said(again)


def test_cancel_tells_the_supplier_once(tmp_path: Path, inbox) -> None:
    handler, port = inbox
    config = setup(tmp_path, port)
    assert tandem(config, "sync").exit_code == 0

    cancelled = tandem(config, "po", "cancel", "PO-00001")
    assert cancelled.exit_code == 0, cancelled.output
    assert "PO-00001 cancelled by cli; a cancellation is queued for the supplier" in said(cancelled)
    tandem(config, "sync")
    # The order is planned again: Acme, still the only source, gets it on a new PO.
    assert kinds(handler) == [
        ("<PO-00001.rev1.order@greenhouse.example>", "order"),
        ("<PO-00001.rev2.cancel@greenhouse.example>", "cancel"),
        ("<PO-00002.rev1.order@greenhouse.example>", "order"),
    ]
    cancellation = handler.messages()[1]
    assert cancellation["In-Reply-To"] == "<PO-00001.rev1.order@greenhouse.example>"
    assert "please cancel purchase order PO-00001" in text_body(cancellation)

    twice = tandem(config, "po", "cancel", "PO-00001")
    assert twice.exit_code == 1
    assert "PO-00001 is cancelled; it cannot be cancelled" in said(twice)
    assert len(handler.messages()) == 3


def test_a_send_held_in_doubt_is_answered_with_arrived(tmp_path: Path, inbox) -> None:
    handler, port = inbox
    config = setup(tmp_path, port)
    tandem(config, "catalogue", "import", "--supplier", "acme")
    tandem(config, "orders", "import", str(tmp_path / "orders.json"))
    tandem(config, "plan")
    # A worker took the PO and died sending it (its lease has run out by the time the next
    # one looks): did the email go out?
    db = open_database(f"sqlite:///{tmp_path / 'tandem.db'}")
    with db.write() as conn:
        [item] = outbox.claim(conn, "gone", utcnow(), timedelta(0))
        outbox.mark_transmitting(conn, item.id, "gone", utcnow(), timedelta(0))
    db.dispose()
    held = tandem(config, "sync")
    assert "in doubt, held for a person: PO-00001 rev 1" in said(held)
    assert "`tandem po arrived PO-00001`" in said(held)
    assert handler.messages() == []

    [doubt] = json.loads(tandem(config, "exceptions", "list", "--json").output)
    closing = tandem(config, "exceptions", "resolve", str(doubt["id"]))
    assert closing.exit_code == 1  # closing it would leave the PO waiting for an answer
    assert "answer with `tandem po arrived PO-00001` (it did) or `tandem po resend" in said(closing)

    answered = tandem(config, "po", "arrived", "PO-00001")
    assert answered.exit_code == 0, answered.output
    assert (
        f"PO-00001 revision 1 recorded as received by Acme Garden (said by {getpass.getuser()})"
        in said(answered)
    )
    shown = tandem(config, "po", "show", "PO-00001", "--json")
    assert json.loads(shown.output)["status"] == "sent"
    assert tandem(config, "exceptions", "list", "--json").output.strip() == "[]"
    assert handler.messages() == []  # nothing was sent twice

    nothing = tandem(config, "po", "arrived", "PO-00001")
    assert nothing.exit_code == 1 and "no revision waiting for an answer" in said(nothing)


def test_supplier_test_by_email_is_a_marked_test_message(tmp_path: Path, inbox) -> None:
    handler, port = inbox
    config = setup(tmp_path, port)
    result = tandem(config, "supplier", "test", "acme")
    assert result.exit_code == 0, result.output
    assert "acme: test sent by email (<TEST-" in said(result)
    [message] = handler.messages()
    assert message["To"] == "orders@acme.example" and message["X-Tandem-Kind"] == "test"
    assert "It is not an order" in text_body(message)


def test_supplier_test_of_a_blind_shipping_supplier_shows_no_prices(tmp_path: Path, inbox) -> None:
    handler, port = inbox
    config = setup(tmp_path, port)
    data = yaml.safe_load(config.read_text())
    data["suppliers"][0].update(mode="drop_ship", blind_ship=True)  # the parcel reaches a customer
    config.write_text(yaml.safe_dump(data))
    assert tandem(config, "catalogue", "import", "--supplier", "acme").exit_code == 0

    assert tandem(config, "supplier", "test", "acme").exit_code == 0

    [message] = handler.messages()
    text = text_body(message)
    assert "AC-1001" in text  # the catalogue's item, as on a real PO
    assert "18.40" not in text and "Unit cost" not in text and "Total" not in text
    [csv] = [p for p in message.iter_attachments() if p.get_filename().endswith(".csv")]
    assert "unit_cost" not in csv.get_content()


def test_supplier_test_of_an_api_makes_a_harmless_call(
    tmp_path: Path, inbox, api: SupplierServer
) -> None:
    _, port = inbox
    result = tandem(setup(tmp_path, port, api.url), "supplier", "test", "api")
    assert result.exit_code == 0, result.output
    assert "api: test sent by rest" in said(result)
    [(method, path, _)] = api.requests
    assert method == "GET" and path.startswith("/orders/@TEST-")
    assert api.created == {}  # nothing was ordered


def test_supplier_test_with_a_wrong_token_says_so_without_the_token(
    tmp_path: Path, inbox, api: SupplierServer
) -> None:
    _, port = inbox
    config = setup(tmp_path, port, api.url, token="not-the-token")
    result = tandem(config, "supplier", "test", "api")
    assert result.exit_code == 1
    assert "401" in said(result) and "Invalid API key" in said(result)
    assert "not-the-token" not in result.output

    unknown = tandem(config, "supplier", "test", "nobody")
    assert unknown.exit_code == 1
    assert "no supplier 'nobody' in the configuration (suppliers: acme, api)" in said(unknown)
