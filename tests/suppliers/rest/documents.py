"""Example purchase order documents and supplier profiles for the channel tests."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from tandem.adapters.suppliers.rest import RestChannel
from tandem.connector.channels import (
    DocumentChange,
    DocumentKind,
    DocumentLine,
    Party,
    PurchaseOrderDocument,
)
from tandem.connector.configuration.model import SupplierConfig
from tandem.connector.configuration.transports import RestTransport

T = TypeVar("T")

CUSTOMER = Party(
    name="Jo Bloggs",
    company=None,
    address1="12 High St",
    address2="Flat 3",
    city="Leeds",
    province="West Yorkshire",
    province_code="WYK",
    zip="LS1 4AB",
    country="United Kingdom",
    country_code="GB",
    phone="+44 113 000 0000",
    email="jo@example.com",
)
WAREHOUSE = Party(name="Greenhouse Shop Ltd", address1="Unit 4", city="Bristol", zip="BS1 6XN")


def document(kind: DocumentKind = "order", **overrides: Any) -> PurchaseOrderDocument:
    values: dict[str, Any] = {
        "kind": kind,
        "number": "PO-00012",
        "revision": 1,
        "supplier_id": "printful",
        "supplier_name": "Printful",
        "mode": "drop_ship",
        "currency": "USD",
        "buyer": WAREHOUSE,
        "ship_to": CUSTOMER,
        "lines": (
            DocumentLine("TEE-M", "PF-4012", 'Tee "Sunrise" M', 2, Decimal("12.5")),
            DocumentLine("MUG", "PF-19", "Mug", 1, Decimal("7.25")),
        ),
        "idempotency_key": "outbox-41-7f3c",
        "order_names": ("#1001",),
    }
    if kind == "cancel":
        values["revision"] = 2
        values["changes"] = (DocumentChange("cancel_po", None, None, None, None, "customer"),)
        values["idempotency_key"] = "outbox-42-cancel"
    values.update(overrides)
    return PurchaseOrderDocument(**values)


def supplier(transport: dict[str, Any], base_dir: Path | None = None) -> SupplierConfig:
    data = {"id": "printful", "name": "Printful", "mode": "drop_ship", "transport": transport}
    return SupplierConfig.model_validate(data, context={"base_dir": base_dir})


def rest(supplier_config: SupplierConfig) -> RestTransport:
    transport = supplier_config.transport
    assert isinstance(transport, RestTransport)
    return transport


BASE = "https://supplier.example/api"


def channel(**transport: Any) -> RestChannel:
    """A RestChannel for a generic supplier at BASE; keyword arguments override the profile."""
    base_dir = transport.pop("base_dir", None)
    data: dict[str, Any] = {
        "type": "rest",
        "base_url": BASE,
        "create": {"method": "POST", "path": "/orders"},
        "response_fields": {"order_id": "order.id", "status": "order.status"},
    }
    data.update(transport)
    config = supplier(data, base_dir)
    return RestChannel(rest(config), config)


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


CONFIG = Path(__file__).resolve().parents[3] / "config"


def load_printful(tmp_path: Path, base_url: str | None = None) -> SupplierConfig:
    """The shipped Printful profile pasted into a tandem.yaml, loaded the way Tandem does."""
    import shutil

    from tandem.connector.configuration import load_config

    snippet = (CONFIG / "suppliers" / "printful.yaml").read_text(encoding="utf-8")
    if base_url is not None:
        snippet = snippet.replace("https://api.printful.com", base_url)
    (tmp_path / "suppliers").mkdir(exist_ok=True)
    shutil.copy(CONFIG / "suppliers" / "printful-order.json.j2", tmp_path / "suppliers")
    config_file = tmp_path / "tandem.yaml"
    config_file.write_text("currency: USD\nsuppliers:\n" + snippet, encoding="utf-8")
    config = load_config(config_file, env={"PRINTFUL_TOKEN": "pf-secret-token"})
    found = config.supplier("printful")
    assert found is not None
    return found
