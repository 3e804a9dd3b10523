"""The mapper reads what the shop already says about an order's handling (for the fences)."""

from __future__ import annotations

import json
from typing import Any

from tandem.adapters.shopify.mapper import map_order, prior_handling
from tandem.connector.domain import PriorHandling, PriorPO


def node(**extra: Any) -> dict[str, Any]:
    return {
        "id": "gid://shopify/Order/1",
        "name": "#1042",
        "createdAt": "2026-11-20T10:00:00Z",
        "updatedAt": "2026-11-20T10:05:00Z",
        "lineItems": {
            "nodes": [
                {
                    "id": "gid://shopify/LineItem/1",
                    "sku": "SPADE",
                    "currentQuantity": 3,
                    "unfulfilledQuantity": 1,
                },
                {
                    "id": "gid://shopify/LineItem/2",
                    "sku": "ROSE",
                    "currentQuantity": 2,
                    "unfulfilledQuantity": 2,
                },
            ]
        },
        **extra,
    }


def test_the_po_list_another_tandem_wrote_and_fulfilled_units_reach_the_domain() -> None:
    value = [
        {
            "number": "PO-00012",
            "supplier": "Acme",
            "status": "sent",
            "database": "db-two",
            "mode": "back_to_back",
            "lines": [{"sku": "SPADE", "quantity": 3}],
        },
        {"number": "PO-00013", "status": "cancelled"},  # written before databases were named
    ]
    order = map_order(
        node(
            purchaseOrders={"value": json.dumps(value)},
            fulfillmentOrders={"nodes": [{"status": "IN_PROGRESS"}]},
        )
    )
    assert order.prior_handling == PriorHandling(
        purchase_orders=(
            PriorPO(number="PO-00012", database="db-two", supplier="Acme", status="sent"),
            PriorPO(number="PO-00013", status="cancelled"),
        )
    )
    assert [(line.sku, line.fulfilled_quantity) for line in order.lines] == [
        ("SPADE", 2),
        ("ROSE", 0),
    ]


def test_held_and_closed_fulfillment_orders() -> None:
    def statuses(*names: str) -> PriorHandling:
        return prior_handling({"fulfillmentOrders": {"nodes": [{"status": n} for n in names]}})

    assert statuses("ON_HOLD", "OPEN") == PriorHandling(on_hold=True)
    assert statuses("CLOSED", "CANCELLED") == PriorHandling(closed=True)
    assert statuses("CLOSED", "OPEN") == PriorHandling()
    assert statuses() == PriorHandling()  # none returned (say, not ours to read): nothing


def test_an_unreadable_po_list_is_read_as_nothing_and_bad_entries_are_skipped() -> None:
    assert prior_handling({"purchaseOrders": {"value": "not json"}}) == PriorHandling()
    value = json.dumps([{"supplier": "no number"}, "PO-1", {"number": "PO-00002"}])
    assert prior_handling({"purchaseOrders": {"value": value}}).purchase_orders == (
        PriorPO(number="PO-00002"),
    )
    # An order without any of it maps as before.
    assert map_order(node()).prior_handling == PriorHandling()
