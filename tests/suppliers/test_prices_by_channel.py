"""A supplier reads the same prices whichever way its POs travel: the email (body, PDF, CSV),
the SFTP drop and the REST body all write a unit cost of 0.125 as 0.125, never rounded."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import respx

from tandem.adapters.suppliers.sftp import SftpChannel
from tandem.connector.channels import DocumentLine
from tandem.connector.configuration.model import SupplierConfig
from tandem.connector.configuration.transports import SftpTransport
from tests.suppliers.email import support as mail
from tests.suppliers.rest.documents import BASE
from tests.suppliers.rest.documents import channel as rest_channel
from tests.suppliers.sftp.support import PASSWORD, USER, known_hosts, sftp_server

SEEDS = DocumentLine("SEED", "ACME-77", "Seed packet", 4, Decimal("0.125"))
COLUMNS = ["supplier_sku", "quantity", "unit_cost", "line_total"]


def test_a_fine_unit_cost_reaches_the_supplier_unrounded_by_every_channel(tmp_path: Path) -> None:
    document = mail.back_to_back(lines=(SEEDS,))

    email = mail.channel(1, transport={"csv_columns": COLUMNS}).compose(document)
    files = mail.attachments(email)
    [emailed] = mail.csv_rows(files["PO-00012.csv"])
    assert (emailed["unit_cost"], emailed["line_total"]) == ("0.125", "0.50")
    assert "Unit cost: 0.125 EUR    Line total: 0.50 EUR" in mail.text_body(email)
    assert "0.125" in mail.pdf_text(files["PO-00012.pdf"])

    async def drop() -> str:
        root = tmp_path / "server"
        (root / "in").mkdir(parents=True)
        async with sftp_server(root) as port:
            transport = SftpTransport.model_validate(
                {
                    "type": "sftp",
                    "host": "127.0.0.1",
                    "port": port,
                    "username": USER,
                    "password": PASSWORD,
                    "known_hosts": str(known_hosts(tmp_path, port)),
                    "columns": COLUMNS,
                }
            )
            supplier = SupplierConfig(id="acme", name="Acme", transport=transport)
            await SftpChannel(transport, supplier, timeout=3).send(document)
        return (root / "in" / "PO-00012-rev1-order.csv").read_text()

    assert asyncio.run(drop()).splitlines()[1] == "ACME-77,4,0.125,0.50"

    with respx.mock:
        route = respx.post(f"{BASE}/orders").respond(201, json={"order": {"id": 5}})
        asyncio.run(rest_channel().send(replace(document, supplier_id="printful")))
    [line] = json.loads(route.calls.last.request.content)["lines"]
    assert line["unit_cost"] == "0.125"
