"""The definition of the order metafield `tandem.purchase_orders`, in which Tandem keeps each
order's purchase orders (tandem.adapters.shopify.writeback): made once per shop and pinned, so
merchants see PO numbers, status and ETA on the order page in Shopify admin.

It is set up with the shop's webhooks (`tandem shopify webhooks register`) and may run any
number of times: the definition is read first; a missing one is created pinned
(`metafieldDefinitionCreate` with `pin: true`), an unpinned one is pinned
(`metafieldDefinitionPin`), a pinned one is left alone. One of another type than json is left
alone too, and reported: Shopify refuses Tandem's PO lists on orders while it stands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from tandem.adapters.shopify import documents as doc
from tandem.adapters.shopify.client import ShopifyClient
from tandem.adapters.shopify.errors import UserError, UserErrors, check, reading
from tandem.adapters.shopify.writeback import METAFIELD_KEY, METAFIELD_NAMESPACE

TYPE = "json"
NAME = "Purchase orders (Tandem)"
DESCRIPTION = (
    "Supplier purchase orders Tandem placed for this order: PO number, supplier, status,"
    " expected delivery date (ETA) and tracking. Tandem keeps it up to date; changes made"
    " here are overwritten."
)
IDENTIFIER = {"ownerType": "ORDER", "namespace": METAFIELD_NAMESPACE, "key": METAFIELD_KEY}
SUBJECT = f"the order metafield {METAFIELD_NAMESPACE}.{METAFIELD_KEY}"
WHERE = "Settings > Custom data > Orders"
PIN_LIMIT = (
    f"Shopify allows no more pinned order metafields, so {SUBJECT} is not pinned: unpin one"
    f" in {WHERE}, then run this again"
)


@dataclass(frozen=True)
class Definition:
    """What became of the definition, and what the merchant should know about it."""

    outcome: Literal["created", "pinned", "kept"]
    pinned: bool
    problem: str | None = None


async def define_purchase_orders(client: ShopifyClient) -> Definition:
    """Make sure the shop defines `tandem.purchase_orders` on orders, pinned."""
    found = await _read(client)
    if found is None:
        try:
            return await _create(client, pin=True)
        except UserErrors as refused:
            if "PINNED_LIMIT_REACHED" in refused.codes:
                unpinned = await _create(client, pin=False)
                return Definition(unpinned.outcome, False, PIN_LIMIT)
            if "TAKEN" not in refused.codes:
                raise
        # Defined meanwhile (another Tandem serving this shop ran at the same moment).
        found = await _read(client)
        if found is None:
            taken = UserError(("definition", "key"), "in use, yet no definition of it is found")
            raise UserErrors("metafieldDefinitionCreate", SUBJECT, [taken])
    with reading(doc.METAFIELD_DEFINITION.name):
        type_name = str(found["type"]["name"])
        pinned = found["pinnedPosition"] is not None
    if type_name != TYPE:
        return Definition(
            "kept",
            pinned,
            f"{SUBJECT} is defined as {type_name}, not {TYPE}: Shopify refuses the PO lists"
            f" Tandem writes on orders until that definition is removed in {WHERE}",
        )
    if pinned:
        return Definition("kept", True)
    data = await client.execute(doc.METAFIELD_DEFINITION_PIN, {"identifier": IDENTIFIER})
    try:
        check(data.get("metafieldDefinitionPin"), "metafieldDefinitionPin", SUBJECT)
    except UserErrors as refused:
        if "ALREADY_PINNED" in refused.codes:
            return Definition("kept", True)
        if "PINNED_LIMIT_REACHED" in refused.codes:
            return Definition("kept", False, PIN_LIMIT)
        raise
    return Definition("pinned", True)


async def _read(client: ShopifyClient) -> dict[str, Any] | None:
    data = await client.execute(doc.METAFIELD_DEFINITION, {"identifier": IDENTIFIER})
    with reading(doc.METAFIELD_DEFINITION.name):
        found = data["metafieldDefinition"]
    return found if isinstance(found, dict) else None


async def _create(client: ShopifyClient, *, pin: bool) -> Definition:
    definition = {
        **IDENTIFIER,
        "type": TYPE,
        "name": NAME,
        "description": DESCRIPTION,
        "pin": pin,
    }
    data = await client.execute(doc.METAFIELD_DEFINITION_CREATE, {"definition": definition})
    check(data.get("metafieldDefinitionCreate"), "metafieldDefinitionCreate", SUBJECT)
    return Definition("created", pin)
