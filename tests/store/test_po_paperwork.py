"""What the configuration adds to a PO's paperwork: our company (address, VAT number,
contact) and, per supplier, its address, our account number, payment terms and the
requested delivery date; each only when configured."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from tandem.connector.configuration import TandemConfig
from tandem.connector.services.plan import run_planner
from tandem.connector.services.po_document import build_document
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tests.store.helpers import T0, config, ingest, offers, order

COMPANY = {
    "name": "Tandem Shop GmbH",
    "address": {
        "address1": "Lagerstraße 7",
        "city": "Berlin",
        "zip": "10115",
        "country_code": "DE",
    },
    "vat_number": "DE123456789",
    "email": "purchasing@shop.example",
    "phone": "+49 30 1234567",
}
BLOOM_PAPERWORK = {
    "address": {
        "address1": "Bloemenweg 3",
        "city": "Aalsmeer",
        "zip": "1431 AB",
        "country_code": "NL",
    },
    "account_number": "C-4471",
    "payment_terms": "30 days net",
    "delivery_lead_time": "5d",
}


def with_paperwork(**bloom: Any) -> TandemConfig:
    data = config(company=COMPANY, timezone="Asia/Tokyo").model_dump(by_alias=True)
    for supplier in data["suppliers"]:
        if supplier["id"] == "bloom":
            supplier.update(bloom)
    return TandemConfig.model_validate(data)


def bloom_po(db: Database, cfg: TandemConfig) -> int:
    offers(db, cfg, "bloom", ("ROSE", 5, 100))
    ingest(db, order(1, ("ROSE", 2), tags=("dropship",)))
    run_planner(db, cfg, T0)
    with db.read() as conn:
        po = t.purchase_orders
        return int(conn.execute(select(po.c.id).where(po.c.supplier_id == "bloom")).scalar_one())


def test_the_document_carries_what_is_configured(db: Database) -> None:
    cfg = with_paperwork(**BLOOM_PAPERWORK)
    po_id = bloom_po(db, cfg)
    with db.read() as conn:
        document = build_document(conn, cfg, po_id)
    assert document.buyer.name == "Tandem Shop GmbH"
    assert (document.buyer.address1, document.buyer.country_code) == ("Lagerstraße 7", "DE")
    assert (document.buyer.email, document.buyer.phone) == (
        "purchasing@shop.example",
        "+49 30 1234567",
    )
    assert document.vat_number == "DE123456789"
    assert document.supplier_address is not None
    assert (document.supplier_address.name, document.supplier_address.zip) == ("Bloom", "1431 AB")
    assert (document.account_number, document.payment_terms) == ("C-4471", "30 days net")
    # Released 2026-11-20 09:00 UTC, 18:00 in Tokyo: five days later.
    assert document.requested_delivery == date(2026, 11, 25)


def test_without_configuration_the_warehouse_orders_and_nothing_is_added(db: Database) -> None:
    cfg = config()
    po_id = bloom_po(db, cfg)
    with db.read() as conn:
        document = build_document(conn, cfg, po_id)
    assert (document.buyer.name, document.buyer.city) == ("Main warehouse", "Bristol")
    assert document.vat_number is None and document.supplier_address is None
    assert document.account_number is None and document.payment_terms is None
    assert document.requested_delivery is None and document.portal_url is None


def test_a_misspelt_key_is_refused_with_its_place() -> None:
    with pytest.raises(ValidationError, match=r"company\.vat_numbr"):
        config(company={**COMPANY, "vat_numbr": "DE1"})
    with pytest.raises(ValidationError, match=r"suppliers\.1\.address\.postcode"):
        with_paperwork(address={"postcode": "1431 AB"})
