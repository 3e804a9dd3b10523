"""`tandem supplier test`: check a supplier's channel with a clearly marked test message."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import typer

from tandem.connector.cli.common import (
    DEFAULT_CONFIG,
    ConfigOption,
    JsonOption,
    console,
    get_config,
    get_database,
    print_json,
    reported,
)
from tandem.connector.clock import utcnow

if TYPE_CHECKING:
    from tandem.connector.channels import SendResult

app = typer.Typer(help="Suppliers.", no_args_is_help=True)


@app.command("test")
def test_command(
    supplier_id: Annotated[str, typer.Argument(help="Supplier id from the configuration.")],
    config_path: ConfigOption = DEFAULT_CONFIG,
    as_json: JsonOption = False,
) -> None:
    """Send a test message (email) or make a harmless call (API, SFTP) to check the set-up."""
    # The channels (SMTP, SFTP, HTTP, the PDF) are imported when a test is sent (issue 14).
    import asyncio

    from sqlalchemy import select

    from tandem.adapters.suppliers import make_channel
    from tandem.connector.catalogue import find_supplier
    from tandem.connector.channels import DocumentLine, PurchaseOrderDocument
    from tandem.connector.services.po_document import blind_ship, buyer
    from tandem.connector.store import schema as t

    config = get_config(config_path)
    db = get_database(config)
    now = utcnow()
    with reported():
        supplier = find_supplier(config, supplier_id)
        channel = make_channel(supplier, config)
        if channel is None:
            if as_json:
                print_json(
                    {
                        "supplier": supplier.id,
                        "transport": supplier.transport.type,
                        "sent": False,
                        "reference": None,
                    }
                )
            else:
                console.print(f"{supplier.id} is a manual supplier: Tandem sends nothing to test")
            return
        with db.read() as conn:
            offer = conn.execute(
                select(t.offers).where(t.offers.c.supplier_id == supplier.id).limit(1)
            ).first()
        line = DocumentLine(
            sku=offer.sku if offer else "TEST-SKU",
            supplier_sku=offer.supplier_sku if offer else "TEST-SKU",
            name=offer.name if offer else "Test item (not an order)",
            quantity=1,
            unit_cost=offer.cost if offer else Decimal(0),
        )
        me = buyer(config)
        document = PurchaseOrderDocument(
            kind="test",
            number=f"TEST-{now:%Y%m%d%H%M%S}",
            revision=1,
            supplier_id=supplier.id,
            supplier_name=supplier.name,
            mode=supplier.mode.value,  # type: ignore[arg-type]
            currency=config.supplier_currency(supplier),
            buyer=me,
            ship_to=me,
            lines=(line,),
            issued_at=now,
            # Each test its own message: mail clients drop a Message-ID seen before.
            idempotency_key=f"test-{uuid.uuid4().hex[:12]}",
            blind_ship=blind_ship(supplier, supplier.mode.value),
            notes="This is a test from Tandem. It is not an order; nothing needs to be shipped.",
        )
        result: SendResult = asyncio.run(channel.send(document))
    if as_json:
        print_json(
            {
                "supplier": supplier.id,
                "transport": supplier.transport.type,
                "sent": True,
                "reference": result.reference,
            }
        )
        return
    console.print(
        f"{supplier.id}: test sent by {supplier.transport.type}"
        + (f" ({result.reference})" if result.reference else ""),
        highlight=False,
    )
