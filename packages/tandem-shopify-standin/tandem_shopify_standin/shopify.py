"""`ShopifyStandin`: the Shopify Admin GraphQL API on a loopback port, for tests and demos.

    with ShopifyStandin() as shop:
        order_id = shop.add_order([("SKU-1", 2)])
        client = ShopifyClient(shop.url, SecretStr(shop.token))   # talks HTTP to shop.graphql_url
        ...
        assert shop.order_tags(order_id) == ["tandem"]

Every document is parsed and validated against the Admin API schema (the real 2026-07 one when
this machine has it, else the packaged demo subset: see `schema.py`), charged Shopify's
calculated cost against a leaky bucket, then executed by graphql-core over an in-memory shop.
Tests seed the shop and inspect it with the helpers below; `enqueue`/`fail_next`/... script
failures returned before normal handling, `answer_next(operation, ...)` answers one operation
instead of running it, and `lose_answer_next(operation)` runs it and then answers a gateway
error, as when Shopify's answer is lost on the way. The pytest fixture `shopify_standin` lives in
tests/standin/shopify.py (this package does not import pytest).
"""

from __future__ import annotations

import atexit
import copy
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from tandem_shopify_standin import definitions, webhooks
from tandem_shopify_standin.apps import Apps
from tandem_shopify_standin.schema import API_VERSION, SchemaSource, schema_source
from tandem_shopify_standin.server import (
    INVALID_TOKEN,
    Engine,
    RequestRecord,
    Scripted,
    ServerThread,
    build_app,
    throttled_body,
)
from tandem_shopify_standin.store import Store, VariantIds, WallClock, gid_number

__all__ = ["DEFAULTS", "INVALID_TOKEN", "RequestRecord", "ShopifyStandin", "VariantIds"]

RATE_LIMITED_MESSAGE = (
    "Exceeded 2 calls per second for api client."
    " Reduce request rates to resume uninterrupted service."
)


class ShopifyStandin:
    def __init__(
        self,
        *,
        token: str = "shpat_standin_token",
        api_version: str = API_VERSION,
        shop_name: str = "Tandem Test Shop",
        domain: str = "tandem-test.myshopify.com",
        currency: str = "USD",
        bucket_size: float = 2000,
        restore_rate: float = 100,
        max_query_cost: int = 1000,
        cost_model: str = "shopify",
        clock: Callable[[], float] = time.monotonic,
        wall_clock: WallClock | None = None,
        throttle_status: int = 200,
        strict_deprecations: bool = False,
        allow_http_webhooks: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
        schema_path: Path | str | None = None,
    ) -> None:
        self.token = token
        self.api_version = api_version
        self._shop = {"shop_name": shop_name, "domain": domain, "currency": currency}
        self.store = Store(**self._shop, clock=wall_clock)
        self.engine = Engine(
            self.store,
            bucket_size=bucket_size,
            restore_rate=restore_rate,
            max_query_cost=max_query_cost,
            cost_model=cost_model,
            clock=clock,
            throttle_status=throttle_status,
            strict_deprecations=strict_deprecations,
            allow_http_webhooks=allow_http_webhooks,
            schema_path=Path(schema_path) if schema_path is not None else None,
        )
        self.app = build_app(self.engine, token, api_version)
        self._server = ServerThread(self.app, host, port)
        self._url: str | None = None
        self._http: httpx.Client | None = None

    _shared: ShopifyStandin | None = None

    @classmethod
    def shared(cls) -> ShopifyStandin:
        """One running stand-in per test process (stopped at exit); `reset()` it per test."""
        if cls._shared is None:
            cls._shared = cls().start()
            atexit.register(cls._shared.stop)
        return cls._shared

    def reset(self, *, wall_clock: WallClock | None = None) -> ShopifyStandin:
        """An empty shop again: new store, no traffic, no scripted answers, a full bucket."""
        self.store = Store(**self._shop, clock=wall_clock)
        self.engine.reset(self.store)
        return self

    def configure(self, **settings: Any) -> ShopifyStandin:
        """Change engine settings of a running stand-in: bucket_size, restore_rate, clock,
        max_query_cost, cost_model, throttle_status, strict_deprecations, allow_http_webhooks,
        deprecated_reason (sent as X-Shopify-API-Deprecated-Reason with every answer)."""
        self.engine.configure(**settings)
        return self

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> ShopifyStandin:
        if self._url is None:
            port = self._server.start()
            self._url = f"http://{self._server.host}:{port}"
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
        if self._url is not None:
            self._server.stop()
            self._url = None

    def __enter__(self) -> ShopifyStandin:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT`, what Tandem's configuration calls the shop URL."""
        if self._url is None:
            raise RuntimeError("the Shopify stand-in is not running; call start()")
        return self._url

    @property
    def schema_path(self) -> Path:
        """The schema file this stand-in validates and executes against."""
        return self.engine.schema_path

    @property
    def schema_source(self) -> SchemaSource:
        """ "real" (Shopify's 2026-07 Admin schema) or "demo" (the packaged subset)."""
        return schema_source(self.engine.schema_path)

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/admin/api/{self.api_version}/graphql.json"

    @property
    def domain(self) -> str:
        return str(self.store.shop["myshopifyDomain"])

    @property
    def apps(self) -> Apps:
        """Apps installed on the shop: `apps.add(client_id, client_secret, scopes=...)`, then
        their tokens from /admin/oauth/access_token (see `apps.py`)."""
        return self.engine.apps

    # -- talking to it ------------------------------------------------------------------------

    def post(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        operation_name: str | None = None,
        token: str | None = None,
        timeout: float = 10.0,
    ) -> httpx.Response:
        """One HTTP request to the running server, as a client would send it."""
        payload: dict[str, Any] = {"query": query, "variables": dict(variables or {})}
        if operation_name:
            payload["operationName"] = operation_name
        headers = {"X-Shopify-Access-Token": self.token if token is None else token}
        if self._http is None:
            self._http = httpx.Client()
        return self._http.post(self.graphql_url, json=payload, headers=headers, timeout=timeout)

    def execute(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> dict[str, Any]:
        """Run a document in-process (no HTTP, no token, no scripted failures); the body."""
        payload = {
            "query": query,
            "variables": dict(variables or {}),
            "operationName": operation_name,
        }
        return self.engine.handle(payload, self.api_version)[1]  # type: ignore[no-any-return]

    # -- seeding ------------------------------------------------------------------------------

    def add_location(self, name: str, *, active: bool = True) -> str:
        return self.store.add_location(name, active=active)

    @property
    def default_location(self) -> str:
        return self.store.default_location

    def add_product(
        self, title: str, *, tags: Iterable[str] = (), vendor: str = "Tandem Test"
    ) -> str:
        return self.store.add_product(title, tags=tags, vendor=vendor)

    def add_variant(
        self,
        sku: str,
        *,
        inventory_quantity: int = 0,
        policy: str = "DENY",
        price: str = "10.00",
        product_id: str | None = None,
        product_title: str | None = None,
        product_tags: Iterable[str] = (),
        tracked: bool = True,
        location_id: str | None = None,
    ) -> VariantIds:
        """A variant (and its product and inventory item) stocked at one location."""
        return self.store.add_variant(
            sku,
            inventory_quantity=inventory_quantity,
            policy=policy,
            price=price,
            product_id=product_id,
            product_title=product_title,
            product_tags=product_tags,
            tracked=tracked,
            location_id=location_id,
        )

    def set_inventory(
        self,
        sku_or_item_id: str,
        available: int,
        *,
        location_id: str | None = None,
        on_hand: int | None = None,
    ) -> None:
        self.store.set_quantity(
            self._item_id(sku_or_item_id), available, location_id=location_id, on_hand=on_hand
        )

    def add_customer(
        self,
        first_name: str = "Ada",
        last_name: str = "Lovelace",
        email: str | None = "ada@example.com",
        *,
        tags: Iterable[str] = (),
    ) -> str:
        return self.store.add_customer(first_name, last_name, email, tags=tags)

    def add_order(
        self,
        lines: Sequence[Mapping[str, Any] | tuple[str, int] | str],
        **options: Any,
    ) -> str:
        """An order (GID) with one OPEN fulfillment order per location its lines are
        assigned to (all at `location_id`, the shop location by default, unless a line names
        its own).

        A line is `"SKU"`, `("SKU", quantity)` or a dict with `sku`, `quantity`, `price`,
        `title`, `name`, `variant_id`, `product_id`, `custom_attributes` ({key: value}),
        `requires_shipping`, `location_id`; a SKU of a seeded variant links the variant and its
        product.
        Options: `name`, `customer` (GID or add_customer kwargs), `shipping_address`
        (MailingAddress fields), `financial_status`, `currency`, `tags`, `note`, `email`,
        `created_at`, `updated_at`, `custom_attributes`, `location_id`.
        """
        return self.store.add_order(lines, **options)

    def line_item_ids(self, order_id: str) -> list[str]:
        with self.store.lock:
            return list(self.store.require(order_id, "Order")["_lines"])

    def edit_line_quantity(self, order_id: str, line_id: str, quantity: int) -> None:
        self.store.edit_line_quantity(order_id, line_id, quantity)

    def hold_fulfillment(self, order_id: str, reason: str = "OTHER") -> None:
        self.store.hold_fulfillment(order_id, reason)

    def release_fulfillment_hold(self, order_id: str) -> None:
        self.store.release_fulfillment_hold(order_id)

    def cancel_order(self, order_id: str, reason: str = "CUSTOMER") -> None:
        self.store.cancel_order(order_id, reason)

    def mark_paid(self, order_id: str) -> None:
        self.store.mark_paid(order_id)

    def update_order(self, order_id: str, **fields: Any) -> None:
        self.store.update_order(order_id, **fields)

    def add_webhook_subscription(self, topic: str, uri: str) -> str:
        return self.store.add_webhook_subscription(topic, uri)

    def add_metafield_definition(
        self,
        owner_type: str,
        namespace: str,
        key: str,
        type_: str,
        *,
        name: str | None = None,
        pinned: bool = False,
    ) -> str:
        """A metafield definition (GID) as the merchant or another app made it."""
        found = definitions.add_definition(
            self.store, owner_type, namespace, key, type_, name=name, pinned=pinned
        )
        return str(found["id"])

    def freeze_time(self, at: datetime | str) -> None:
        """Timestamps the shop writes (createdAt, updatedAt...) from now on start at `at`."""
        self.store.clock.freeze(at)

    def advance_time(self, seconds: float) -> None:
        self.store.clock.advance(seconds)

    # -- inspecting ---------------------------------------------------------------------------

    def order(self, order_id: str) -> dict[str, Any]:
        return self.store.snapshot(order_id)

    def order_tags(self, order_id: str) -> list[str]:
        with self.store.lock:
            return list(self.store.require(order_id, "Order")["tags"])

    def tags(self, object_id: str) -> list[str]:
        with self.store.lock:
            return list(self.store.objects[object_id]["tags"])

    def metafields(self, owner_id: str) -> dict[str, dict[str, Any]]:
        """`{"namespace.key": {"type": ..., "value": ...}}` of one owner."""
        with self.store.lock:
            return {
                f"{m['namespace']}.{m['key']}": {
                    "type": m["type"],
                    "value": m["value"],
                    "id": m["id"],
                }
                for m in self.store.metafields_of(owner_id)
            }

    def metafield(self, owner_id: str, namespace: str, key: str) -> dict[str, Any] | None:
        return self.metafields(owner_id).get(f"{namespace}.{key}")

    def metafield_definitions(self) -> list[dict[str, Any]]:
        """Every metafield definition: id, ownerType, namespace, key, name, description, type,
        pinnedPosition (None while unpinned)."""
        with self.store.lock:
            return [
                {
                    "id": d["id"],
                    "ownerType": d["ownerType"],
                    "namespace": d["namespace"],
                    "key": d["key"],
                    "name": d["name"],
                    "description": d["description"],
                    "type": d["type"]["name"],
                    "pinnedPosition": d["pinnedPosition"],
                }
                for d in self.store.all("MetafieldDefinition")
            ]

    def fulfillments(self, order_id: str) -> list[dict[str, Any]]:
        with self.store.lock:
            order = self.store.require(order_id, "Order")
            out = []
            for fulfillment_id in order["_fulfillments"]:
                f = self.store.objects[fulfillment_id]
                out.append(
                    {
                        "id": f["id"],
                        "status": f["status"],
                        "created_at": f["createdAt"],
                        "tracking": [
                            {"number": t["number"], "url": t["url"], "company": t["company"]}
                            for t in f["_tracking"]
                        ],
                        "lines": [
                            {
                                "line_item_id": e["_line"],
                                "sku": self.store.objects[e["_line"]]["sku"],
                                "quantity": e["quantity"],
                            }
                            for e in f["_lines"]
                        ],
                        "notify_customer": f["_notify_customer"],
                        "fulfillment_order_ids": list(f["_fulfillment_orders"]),
                        "location_id": f["_location"],
                    }
                )
            return out

    def fulfillment_orders(self, order_id: str) -> list[dict[str, Any]]:
        with self.store.lock:
            order = self.store.require(order_id, "Order")
            out = []
            for fo_id in order["_fulfillment_orders"]:
                fo = self.store.objects[fo_id]
                lines = []
                for foli_id in fo["_lines"]:
                    foli = self.store.objects[foli_id]
                    lines.append(
                        {
                            "id": foli_id,
                            "line_item_id": foli["_line"],
                            "sku": self.store.objects[foli["_line"]]["sku"],
                            "total": foli["totalQuantity"],
                            "remaining": foli["remainingQuantity"],
                        }
                    )
                out.append(
                    {
                        "id": fo_id,
                        "status": fo["status"],
                        "location_id": fo["_location"],
                        "lines": lines,
                    }
                )
            return out

    def _item_id(self, sku_or_item_id: str) -> str:
        if sku_or_item_id.startswith("gid://shopify/InventoryItem/"):
            return sku_or_item_id
        variant = self._variant(sku_or_item_id)
        return str(variant["_item"])

    def _variant(self, sku_or_variant_id: str) -> dict[str, Any]:
        variant = self.store.get(sku_or_variant_id, "ProductVariant") or self.store.variant_by_sku(
            sku_or_variant_id
        )
        if variant is None:
            raise KeyError(f"no variant {sku_or_variant_id!r} in the stand-in")
        return variant

    def inventory_quantity(
        self, sku_or_item_id: str, name: str = "available", *, location_id: str | None = None
    ) -> int:
        with self.store.lock:
            level = self.store.level(
                self._item_id(sku_or_item_id), location_id or self.default_location
            )
            if level is None:
                raise KeyError(f"{sku_or_item_id!r} is not stocked at that location")
            return int(level[name])

    def variant(self, sku_or_variant_id: str) -> dict[str, Any]:
        with self.store.lock:
            v = self._variant(sku_or_variant_id)
            return {
                "id": v["id"],
                "sku": v["sku"],
                "price": v["price"],
                "inventoryPolicy": v["inventoryPolicy"],
                "product_id": v["_product"],
                "inventory_item_id": v["_item"],
                "updatedAt": v["updatedAt"],
            }

    def variant_policy(self, sku_or_variant_id: str) -> str:
        return str(self.variant(sku_or_variant_id)["inventoryPolicy"])

    def webhook_subscriptions(self) -> list[dict[str, Any]]:
        with self.store.lock:
            return [
                {"id": s["id"], "topic": s["topic"], "uri": s["uri"], "format": s["format"]}
                for s in self.store.all("WebhookSubscription")
            ]

    @property
    def inventory_adjustments(self) -> list[dict[str, Any]]:
        """Applied inventorySetQuantities calls: key, reason, referenceDocumentUri, changes."""
        with self.store.lock:
            return [
                {
                    "idempotency_key": a["idempotencyKey"],
                    "reason": a["reason"],
                    "referenceDocumentUri": a["referenceDocumentUri"],
                    "changes": [
                        {
                            "name": c["name"],
                            "delta": c["delta"],
                            "item": c["_item"],
                            "location": c["_location"],
                        }
                        for c in a["_changes"]
                    ],
                }
                for a in self.store.adjustments
            ]

    # -- traffic ------------------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request that reached the endpoint, in order (see RequestRecord.outcome)."""
        return list(self.engine.requests)

    @property
    def accepted_requests(self) -> list[RequestRecord]:
        return [r for r in self.engine.requests if r.accepted]

    @property
    def deprecated_requests(self) -> list[RequestRecord]:
        return [r for r in self.engine.requests if r.deprecated]

    def operations(self) -> list[str | None]:
        return [r.operation_name for r in self.accepted_requests]

    @property
    def throttled_count(self) -> int:
        return self.engine.throttled

    @property
    def points_spent(self) -> int:
        return self.engine.points_spent

    @property
    def points_requested(self) -> int:
        return self.engine.points_requested

    def clear_requests(self) -> None:
        self.engine.requests.clear()

    @property
    def bucket_available(self) -> float:
        return self.engine.bucket.available

    def drain_bucket(self, points: float | None = None) -> None:
        self.engine.bucket.drain(points)

    # -- scripted failures --------------------------------------------------------------------

    def enqueue(
        self,
        status: int = 500,
        body: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
        passthrough: bool = False,
        times: int = 1,
    ) -> None:
        """Answer the next `times` requests with this instead of handling them."""
        for _ in range(times):
            self.engine.scripted.append(
                Scripted(status, body, dict(headers or {}), delay, passthrough)
            )

    def fail_next(self, status: int = 500, *, times: int = 1, body: Any = None) -> None:
        default = (
            {"errors": "Internal Server Error"} if status == 500 else f"HTTP {status}".encode()
        )
        self.enqueue(status, default if body is None else body, times=times)

    def rate_limit_next(self, retry_after: float = 2.0, *, times: int = 1) -> None:
        """HTTP 429 with Retry-After, as Shopify's edge answers a burst."""
        self.enqueue(
            429,
            {"errors": RATE_LIMITED_MESSAGE},
            headers={"Retry-After": f"{retry_after:.1f}"},
            times=times,
        )

    def throttle_next(self, *, times: int = 1) -> None:
        """A THROTTLED GraphQL answer (HTTP 200) whatever the bucket holds."""
        cost = {
            "requestedQueryCost": 50,
            "actualQueryCost": None,
            "throttleStatus": self.engine.bucket.status(),
        }
        self.enqueue(200, throttled_body(cost), times=times)

    def answer_next(
        self,
        operation: str,
        status: int = 200,
        body: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
        after: int = 0,
    ) -> None:
        """Answer the next `times` requests running `operation` (its name in the document)
        with this instead of handling them, once `after` of them have been handled as usual;
        other requests are handled as usual."""
        for index in range(times):
            self.engine.targeted.append(
                Scripted(
                    status,
                    body,
                    dict(headers or {}),
                    operation=operation,
                    skip=after if index == 0 else 0,
                )
            )

    def lose_answer_next(
        self,
        operation: str,
        status: int = 502,
        *,
        body: Any = None,
        times: int = 1,
        after: int = 0,
    ) -> None:
        """Handle the next `times` requests running `operation` (the write happens), then
        answer `status` instead of the result, as when a gateway drops Shopify's answer; the
        first `after` such requests are answered as usual."""
        for index in range(times):
            self.engine.targeted.append(
                Scripted(
                    status,
                    f"HTTP {status}".encode() if body is None else body,
                    operation=operation,
                    after_handling=True,
                    skip=after if index == 0 else 0,
                )
            )

    def delay_next(self, seconds: float, *, times: int = 1) -> None:
        """Wait `seconds`, then handle the request normally."""
        self.enqueue(200, None, delay=seconds, passthrough=True, times=times)

    # -- webhooks -----------------------------------------------------------------------------

    def webhook_request(
        self, topic: str, payload: Any, secret: str, webhook_id: str | None = None, **extra: Any
    ) -> tuple[bytes, dict[str, str]]:
        """The raw body and headers of a delivery (X-Shopify-Hmac-Sha256 signed with `secret`)."""
        return webhooks.webhook_request(
            topic,
            payload,
            secret,
            domain=self.domain,
            api_version=self.api_version,
            webhook_id=webhook_id,
            **extra,
        )

    def order_payload(self, order_id: str) -> dict[str, Any]:
        """The order as an `orders/create` / `orders/updated` webhook body (REST shape)."""
        return copy.deepcopy(webhooks.order_payload(self.store, order_id))

    def shop_payload(self) -> dict[str, Any]:
        """The shop as a `shop/update` / `app/uninstalled` webhook body (REST shape)."""
        shop = self.store.shop
        return {
            "id": gid_number(shop["id"]),
            "name": shop["name"],
            "email": shop["email"],
            "domain": shop["myshopifyDomain"],
            "myshopify_domain": shop["myshopifyDomain"],
            "currency": shop["currencyCode"],
        }

    def deliver_webhook(
        self, url: str, topic: str, payload: Any, secret: str, webhook_id: str | None = None
    ) -> httpx.Response:
        body, headers = self.webhook_request(topic, payload, secret, webhook_id)
        return httpx.post(url, content=body, headers=headers, timeout=10.0)


DEFAULTS = {
    "bucket_size": 2000,
    "restore_rate": 100,
    "clock": time.monotonic,
    "max_query_cost": 1000,
    "cost_model": "shopify",
    "throttle_status": 200,
    "strict_deprecations": False,
    "allow_http_webhooks": False,
    "deprecated_reason": None,
}
