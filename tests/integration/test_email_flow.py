"""Acceptance: orders → `tandem sync` → one email per PO in a real SMTP server, with the PDF and
CSV; another sync sends nothing new; an order edited after sending sends one change message."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from tandem.connector.cli import app
from tests.suppliers.email.support import (
    Recorder,
    attachments,
    csv_rows,
    pdf_text,
    smtp_server,
    text_body,
)


def order(
    number: int, quantity: int, updated: str, tags: str = "", cancelled: bool = False
) -> dict[str, Any]:
    return {
        "cancelled_at": updated if cancelled else None,
        "id": number,
        "name": f"#{number}",
        "created_at": "2026-11-20T09:00:00Z",
        "updated_at": updated,
        "financial_status": "paid",
        "tags": tags,
        "customer": {"id": 7, "first_name": "Ada", "last_name": "Lovelace", "tags": ""},
        "shipping_address": {
            "name": "Ada Lovelace",
            "address1": "12 Analytical Row",
            "city": "London",
            "zip": "N1 9GU",
            "country": "United Kingdom",
            "country_code": "GB",
        },
        "line_items": [{"id": number * 10, "sku": "SPADE", "quantity": quantity, "title": "Spade"}],
    }


def write_setup(folder: Path, port: int, orders: list[dict[str, Any]], **supplier: Any) -> Path:
    (folder / "acme.csv").write_text(
        "sku,supplier_sku,name,cost,stock\nSPADE,AC-1001,Border spade,18.40,50\n"
    )
    (folder / "orders.json").write_text(json.dumps(orders))
    data = {
        "database_url": f"sqlite:///{folder / 'tandem.db'}",
        "currency": "GBP",
        "store": {"platform": "file", "orders_file": "orders.json"},
        "smtp": {"host": "127.0.0.1", "port": port, "from": "Purchasing <po@greenhouse.example>"},
        "warehouse": {
            "name": "Greenhouse Ltd",
            "address": {"address1": "Unit 4", "city": "Bristol", "zip": "BS1 6XN"},
        },
        "rules": {"default_mode": "back_to_back"},
        "suppliers": [
            {
                "id": "acme",
                "name": "Acme Garden",
                "release": {"immediate": True},
                "catalogue": {"path": "acme.csv"},
                "transport": {
                    "type": "email",
                    "to": "orders@acme.example",
                    "cc": "accounts@acme.example",
                },
                **supplier,
            }
        ],
    }
    path = folder / "tandem.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def tandem(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def sync(config: Path) -> str:
    return tandem("sync", "--config", str(config))


def test_one_email_per_po_nothing_twice_and_one_change_message(tmp_path: Path) -> None:
    inbox = Recorder()
    with smtp_server(inbox) as port:
        config = write_setup(tmp_path, port, [order(1001, 3, "2026-11-20T09:00:00Z")])
        out = sync(config)
        assert "sent to suppliers: PO-00001 rev 1" in out
        [message] = inbox.messages()
        assert message["To"] == "orders@acme.example"
        assert message["Cc"] == "accounts@acme.example"
        assert "PO-00001" in message["Subject"]
        assert message["Message-ID"] == "<PO-00001.rev1.order@greenhouse.example>"
        files = attachments(message)
        text = pdf_text(files["PO-00001.pdf"])
        assert "PO-00001" in text and "AC-1001" in text and "Bristol" in text
        rows = csv_rows(files["PO-00001.csv"])
        assert [(r["supplier_sku"], r["quantity"]) for r in rows] == [("AC-1001", "3")]
        assert "AC-1001" in text_body(message)

        sync(config)
        assert len(inbox.messages()) == 1  # nothing new to send

        # The customer drops to 1 spade after the PO went out.
        (tmp_path / "orders.json").write_text(json.dumps([order(1001, 1, "2026-11-20T10:00:00Z")]))
        out = sync(config)
        assert "PO-00001 rev 2" in out
        messages = inbox.messages()
        assert len(messages) == 2
        change = messages[1]
        assert change["In-Reply-To"] == "<PO-00001.rev1.order@greenhouse.example>"
        assert "AC-1001 Border spade: quantity 3 → 1" in text_body(change)
        sync(config)
        assert len(inbox.messages()) == 2


def test_orders_edited_before_their_pos_went_out_reach_the_supplier_as_edited(
    tmp_path: Path,
) -> None:
    inbox = Recorder()
    with smtp_server(inbox) as port:
        placed = "2026-11-20T09:00:00Z"
        config = write_setup(
            tmp_path, port, [order(1002, 1, placed), order(1003, 2, placed)], consolidate=False
        )
        tandem("catalogue", "import", "--supplier", "acme", "--config", str(config))
        tandem("orders", "import", str(tmp_path / "orders.json"), "--config", str(config))
        out = tandem("plan", "--config", str(config))
        assert "released: PO-00001, PO-00002" in out  # released, not sent yet

        # Before anything went out: #1002 is cancelled and #1003 drops to one spade.
        edited = "2026-11-20T09:30:00Z"
        (tmp_path / "orders.json").write_text(
            json.dumps([order(1002, 1, edited, cancelled=True), order(1003, 1, edited)])
        )
        out = sync(config)
        assert "PO-00001 withdrawn before it was sent" in out
        assert "PO-00002 amended before it was sent" in out

        # Acme gets exactly one email: the order for #1003, for one spade.
        [message] = inbox.messages()
        assert message["Message-ID"] == "<PO-00002.rev1.order@greenhouse.example>"
        assert message["X-Tandem-Kind"] == "order"
        rows = csv_rows(attachments(message)["PO-00002.csv"])
        assert [(r["supplier_sku"], r["quantity"]) for r in rows] == [("AC-1001", "1")]
        sync(config)
        assert len(inbox.messages()) == 1
