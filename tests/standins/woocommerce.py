"""A WooCommerce stand-in: a real local HTTP server answering the parts of the WooCommerce REST
API v3 (`/wp-json/wc/v3`) that Tandem uses, written from the REST API reference
(github.com/woocommerce/woocommerce-rest-api-docs, source/includes/wp-api-v3) and WooCommerce's
own controllers where the reference is silent:

- orders: list (`modified_after`/`modified_before` with `dates_are_gmt`, `page`, `per_page` 1..100,
  `orderby` date|id|modified, `order` asc|desc, `X-WP-Total`/`X-WP-TotalPages`/`Link`), read,
  update (`status`, `meta_data` merged as WC_Data::update_meta_data does: an entry with an `id`
  replaces that entry, one without replaces the key, every other key stays);
- order notes: create (`note`, `customer_note`), list (`type` any|customer|internal);
- products and variations: list (`sku`, comma-separated SKUs too; a SKU search also finds
  variations, as WooCommerce's products controller does), read, batch update (at most 100
  items, more is 413 `woocommerce_rest_request_entity_too_large`), `stock_quantity`,
  `manage_stock`, `backorders`;
- consumer key/secret by HTTP basic auth (or the query string) and WooCommerce's 401s;
- errors as `{"code", "message", "data": {"status"}}`;
- webhooks signed as WC_Webhook::deliver signs them (`X-WC-Webhook-Signature` = base64
  HMAC-SHA256 of the raw body), and the unsigned ping WC_Webhook::deliver_ping sends.

Unlike a real site it takes basic auth over plain HTTP (it listens on loopback only). Every
request is counted per route (`counts`), and `fail_next` makes the next requests answer 429 or
5xx.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tandem_shopify_standin.server import ServerThread

API = "/wp-json/wc/v3"
# Topics a webhook may subscribe to (resource.event), as the webhooks endpoint accepts them.
WEBHOOK_TOPICS = frozenset(
    f"{resource}.{event}"
    for resource in ("coupon", "customer", "order", "product")
    for event in ("created", "updated", "deleted", "restored")
)
BATCH_LIMIT = 100  # woocommerce_rest_batch_items_limit's default
# The site's timezone: WooCommerce answers `date_*` in it and `date_*_gmt` in UTC.
SITE_OFFSET = timedelta(hours=-3)
STATUSES = ("pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed")


class WooError(Exception):
    def __init__(self, status: int, code: str, message: str, **data: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.data = status, code, message, data

    def response(self) -> JSONResponse:
        body = {"code": self.code, "message": self.message, "data": {"status": self.status}}
        body["data"].update(self.data)
        return JSONResponse(body, status_code=self.status)


def _wc_time(moment: datetime) -> tuple[str, str]:
    """(site time, GMT) as WooCommerce writes them: ISO 8601 without an offset."""
    utc = moment.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    return (utc + SITE_OFFSET).isoformat(), utc.isoformat()


def _parse_time(value: str, gmt: bool) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise WooError(400, "rest_invalid_param", "Invalid parameter(s): date") from None
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    return moment.replace(tzinfo=UTC) if gmt else (moment - SITE_OFFSET).replace(tzinfo=UTC)


def signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass
class Failure:
    status: int
    retry_after: str | None = None


@dataclass
class Seen:
    method: str
    route: str
    path: str
    query: dict[str, str]
    body: Any


@dataclass
class WooCommerceStandin:
    consumer_key: str = "ck_" + "3f1a" * 10
    consumer_secret: str = "cs_" + "9b2e" * 10
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    notes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    products: dict[int, dict[str, Any]] = field(default_factory=dict)  # variations too
    webhooks: dict[int, dict[str, Any]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    seen: list[Seen] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: iter(range(100, 10**9)))
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _server: ServerThread | None = None

    # -- running ---------------------------------------------------------------------------

    def __enter__(self) -> WooCommerceStandin:
        self._server = ServerThread(self.app())
        self._server.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self._server is not None:
            self._server.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "the stand-in is not running"
        return f"http://127.0.0.1:{self._server.port}"

    @property
    def host(self) -> str:
        return self.url.split("://", 1)[1]

    def reset(self) -> WooCommerceStandin:
        with self._lock:
            self.orders.clear()
            self.notes.clear()
            self.products.clear()
            self.webhooks.clear()
            self.counts.clear()
            self.seen.clear()
            self.failures.clear()
        return self

    def fail_next(self, status: int = 503, times: int = 1, retry_after: str | None = None) -> None:
        """The next `times` requests answer `status` (429: rate limited) before any work."""
        self.failures.extend(Failure(status, retry_after) for _ in range(times))

    def batch_requests(self) -> int:
        return sum(n for route, n in self.counts.items() if route.endswith("/batch"))

    # -- the shop's data -------------------------------------------------------------------

    def _next_id(self) -> int:
        return next(self._ids)

    def add_product(
        self,
        sku: str,
        stock: int | None = 0,
        *,
        manage_stock: bool = True,
        tags: Iterable[str] = (),
        name: str | None = None,
    ) -> int:
        with self._lock:
            product_id = self._next_id()
            self.products[product_id] = self._product(product_id, sku, stock, manage_stock)
            self.products[product_id].update(
                type="simple",
                name=name or sku.title(),
                tags=[{"id": i, "name": t, "slug": t.lower()} for i, t in enumerate(tags, 1)],
                variations=[],
            )
            return product_id

    def add_variable_product(
        self, parent_sku: str, skus: Iterable[str], stock: int | None = 0, *, manage_stock=True
    ) -> tuple[int, dict[str, int]]:
        """A variable product and its variations: (parent id, SKU -> variation id)."""
        with self._lock:
            parent = self._next_id()
            self.products[parent] = self._product(parent, parent_sku, None, False)
            self.products[parent].update(type="variable", name=parent_sku.title(), tags=[])
            ids: dict[str, int] = {}
            for sku in skus:
                var = self._next_id()
                self.products[var] = self._product(var, sku, stock, manage_stock)
                self.products[var].update(type="variation", parent_id=parent, name=sku)
                ids[sku] = var
            self.products[parent]["variations"] = list(ids.values())
            return parent, ids

    @staticmethod
    def _product(product_id: int, sku: str, stock: int | None, manage: bool) -> dict[str, Any]:
        local, gmt = _wc_time(datetime.now(UTC))
        return {
            "id": product_id,
            "parent_id": 0,
            "sku": sku,
            "date_modified": local,
            "date_modified_gmt": gmt,
            "manage_stock": manage,
            "stock_quantity": stock if manage else None,
            "stock_status": "instock" if (stock or 0) > 0 else "outofstock",
            "backorders": "no",
            "backorders_allowed": False,
            "meta_data": [],
        }

    def product_by_sku(self, sku: str) -> dict[str, Any]:
        return next(p for p in self.products.values() if p["sku"] == sku)

    def add_order(
        self,
        lines: Iterable[tuple[str, int] | dict[str, Any]],
        *,
        status: str = "processing",
        number: str | None = None,
        customer_id: int = 0,
        meta_data: Iterable[dict[str, Any]] = (),
        billing: dict[str, Any] | None = None,
        shipping: dict[str, Any] | None = None,
    ) -> int:
        """An order as checkout makes it. A line is (sku, quantity) or a dict with `sku`,
        `quantity` and optionally `meta_data` ([{key, value}]) and `price`."""
        with self._lock:
            order_id = self._next_id()
            now = datetime.now(UTC)
            local, gmt = _wc_time(now)
            items = []
            for line in lines:
                spec = {"sku": line[0], "quantity": line[1]} if isinstance(line, tuple) else line
                product = next((p for p in self.products.values() if p["sku"] == spec["sku"]), None)
                price = spec.get("price", 12.5)
                items.append(
                    {
                        "id": self._next_id(),
                        "name": (product or {}).get("name", spec["sku"]),
                        "product_id": (product or {}).get("parent_id")
                        or (product or {}).get("id", 0),
                        "variation_id": product["id"]
                        if product and product.get("type") == "variation"
                        else 0,
                        "quantity": spec["quantity"],
                        "tax_class": "",
                        "subtotal": f"{price * spec['quantity']:.2f}",
                        "subtotal_tax": "0.00",
                        "total": f"{price * spec['quantity']:.2f}",
                        "total_tax": "0.00",
                        "taxes": [],
                        "meta_data": [
                            {"id": self._next_id(), **m} for m in spec.get("meta_data", [])
                        ],
                        "sku": spec["sku"],
                        "price": price,
                    }
                )
            address = {
                "first_name": "Ada",
                "last_name": "Lovelace",
                "company": "",
                "address_1": "12 Analytical Row",
                "address_2": "",
                "city": "London",
                "state": "",
                "postcode": "N1 9GU",
                "country": "GB",
            }
            paid = status in ("processing", "completed")
            self.orders[order_id] = {
                "id": order_id,
                "parent_id": 0,
                "number": number or str(order_id),
                "order_key": f"wc_order_{uuid.uuid4().hex[:13]}",
                "created_via": "checkout",
                "version": "9.4.0",
                "status": status,
                "currency": "GBP",
                "date_created": local,
                "date_created_gmt": gmt,
                "date_modified": local,
                "date_modified_gmt": gmt,
                "discount_total": "0.00",
                "discount_tax": "0.00",
                "shipping_total": "0.00",
                "shipping_tax": "0.00",
                "cart_tax": "0.00",
                "total": f"{sum(float(i['total']) for i in items):.2f}",
                "total_tax": "0.00",
                "prices_include_tax": False,
                "customer_id": customer_id,
                "customer_ip_address": "",
                "customer_user_agent": "",
                "customer_note": "",
                "billing": {
                    **address,
                    "email": "ada@example.com",
                    "phone": "+44 20 7946 0000",
                    **(billing or {}),
                },
                "shipping": {**address, "phone": "", **(shipping or {})},
                "payment_method": "bacs",
                "payment_method_title": "Direct Bank Transfer",
                "transaction_id": "",
                "date_paid": local if paid else None,
                "date_paid_gmt": gmt if paid else None,
                "date_completed": None,
                "date_completed_gmt": None,
                "cart_hash": "",
                "meta_data": [{"id": self._next_id(), **m} for m in meta_data],
                "line_items": items,
                "tax_lines": [],
                "shipping_lines": [],
                "fee_lines": [],
                "coupon_lines": [],
                "refunds": [],
            }
            self.notes[order_id] = []
            return order_id

    def touch(self, order_id: int, **changes: Any) -> None:
        """A merchant's edit: the fields change and date_modified moves."""
        with self._lock:
            order = self.orders[order_id]
            order.update(changes)
            order["date_modified"], order["date_modified_gmt"] = _wc_time(datetime.now(UTC))

    def order(self, order_id: int) -> dict[str, Any]:
        with self._lock:
            return json.loads(json.dumps(self.orders[order_id]))  # type: ignore[no-any-return]

    def meta(self, order_id: int, key: str) -> Any:
        entries = [m["value"] for m in self.orders[order_id]["meta_data"] if m["key"] == key]
        return entries[0] if entries else None

    def order_notes(self, order_id: int, customer: bool | None = None) -> list[str]:
        return [
            n["note"]
            for n in self.notes[order_id]
            if customer is None or n["customer_note"] is customer
        ]

    # -- webhooks --------------------------------------------------------------------------

    def webhook_request(
        self,
        topic: str,
        order_id: int,
        secret: str,
        *,
        delivery_id: str | None = None,
        webhook_id: int = 7,
    ) -> tuple[bytes, dict[str, str]]:
        """A delivery as WC_Webhook::deliver makes it: the resource as the API shows it (for
        order.deleted only its id), signed with the webhook's secret."""
        resource, event = topic.split(".", 1)
        payload = {"id": order_id} if event == "deleted" else self.order(order_id)
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "WooCommerce/9.4.0 Hookshot (WordPress/6.7)",
            "X-WC-Webhook-Source": f"{self.url}/",
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": resource,
            "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": signature(secret, body),
            "X-WC-Webhook-ID": str(webhook_id),
            "X-WC-Webhook-Delivery-ID": delivery_id or uuid.uuid4().hex,
        }
        return body, headers

    @staticmethod
    def ping_request(webhook_id: int = 7) -> tuple[bytes, dict[str, str]]:
        """The test ping WooCommerce sends when a webhook is created: unsigned, form-encoded."""
        return f"webhook_id={webhook_id}".encode(), {
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "WooCommerce/9.4.0 Hookshot (WordPress/6.7)",
        }

    def send_webhook(self, url: str, topic: str, order_id: int, secret: str, **kw: Any) -> int:
        body, headers = self.webhook_request(topic, order_id, secret, **kw)
        return httpx.post(url, content=body, headers=headers).status_code

    # -- the HTTP side ---------------------------------------------------------------------

    def app(self) -> Starlette:
        def route(path: str, method: str, handler: Any) -> Route:
            async def endpoint(request: Request) -> Response:
                return await self._handle(request, f"{method} {path}", handler)

            return Route(API + path, endpoint, methods=[method])

        routes = [
            route("/orders", "GET", self._list_orders),
            route("/orders/{id:int}", "GET", self._get_order),
            route("/orders/{id:int}", "PUT", self._update_order),
            route("/orders/{id:int}/notes", "GET", self._list_notes),
            route("/orders/{id:int}/notes", "POST", self._add_note),
            route("/products", "GET", self._list_products),
            route("/products/{id:int}", "GET", self._get_product),
            route("/products/batch", "POST", self._batch_products),
            route("/products/{id:int}/variations", "GET", self._list_variations),
            route("/products/{id:int}/variations/batch", "POST", self._batch_variations),
            route("/webhooks", "GET", self._list_webhooks),
            route("/webhooks", "POST", self._add_webhook),
            route("/webhooks/{id:int}", "PUT", self._update_webhook),
        ]
        return Starlette(routes=routes)

    async def _handle(self, request: Request, name: str, handler: Any) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        query = dict(request.query_params)
        with self._lock:
            self.counts[name] += 1
            method, template = name.split(" ", 1)
            self.seen.append(Seen(method, template, request.url.path, query, body))
            failure = self.failures.pop(0) if self.failures else None
        if failure is not None:
            headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
            code = "too_many_requests" if failure.status == 429 else "internal_server_error"
            error = WooError(failure.status, code, "Scripted failure.").response()
            error.headers.update(headers)
            return error
        try:
            self._authenticate(request, query)
            if raw and body is None:
                raise WooError(400, "rest_invalid_json", "Invalid JSON body passed.")
            with self._lock:
                result = handler(request.path_params, query, body)
        except WooError as exc:
            return exc.response()
        if isinstance(result, Response):
            return result
        return JSONResponse(result)

    def _authenticate(self, request: Request, query: dict[str, str]) -> None:
        key = secret = None
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            try:
                key, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            except ValueError:
                key = secret = None
        elif "consumer_key" in query:
            key, secret = query.get("consumer_key"), query.get("consumer_secret")
        if key is None:
            raise WooError(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
        if not hmac.compare_digest(key, self.consumer_key):
            raise WooError(401, "woocommerce_rest_authentication_error", "Consumer key is invalid.")
        if not hmac.compare_digest(secret or "", self.consumer_secret):
            raise WooError(
                401, "woocommerce_rest_authentication_error", "Consumer secret is invalid."
            )

    # -- orders ----------------------------------------------------------------------------

    @staticmethod
    def _paging(query: dict[str, str]) -> tuple[int, int]:
        try:
            page, per_page = int(query.get("page", 1)), int(query.get("per_page", 10))
        except ValueError:
            raise WooError(400, "rest_invalid_param", "Invalid parameter(s): page") from None
        if not 1 <= per_page <= 100:
            raise WooError(
                400,
                "rest_invalid_param",
                "Invalid parameter(s): per_page",
                params={"per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"},
            )
        return max(page, 1), per_page

    def _page(self, items: list[dict[str, Any]], query: dict[str, str], path: str) -> Response:
        page, per_page = self._paging(query)
        total = len(items)
        pages = (total + per_page - 1) // per_page
        if page > max(pages, 1):
            raise WooError(
                400,
                "woocommerce_rest_invalid_page_number",
                "The page number requested is larger than the number of pages available.",
            )
        chosen = items[(page - 1) * per_page : page * per_page]
        links = []
        for rel, number in (("prev", page - 1), ("next", page + 1)):
            if 1 <= number <= pages:
                link_query = urlencode({**query, "page": number})
                links.append(f'<{self.url}{API}{path}?{link_query}>; rel="{rel}"')
        headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
        if links:
            headers["Link"] = ", ".join(links)
        return JSONResponse(chosen, headers=headers)

    # -- webhooks ----------------------------------------------------------------------------

    def _list_webhooks(self, _: Any, query: dict[str, str], __: Any) -> Response:
        shown = [{k: v for k, v in h.items() if k != "secret"} for h in self.webhooks.values()]
        return self._page(shown, query, "/webhooks")

    def _add_webhook(self, _: Any, __: Any, body: Any) -> Response:
        body = body if isinstance(body, dict) else {}
        topic, url = body.get("topic"), body.get("delivery_url")
        if topic not in WEBHOOK_TOPICS:
            raise WooError(400, "rest_invalid_param", "Invalid parameter(s): topic")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise WooError(400, "rest_invalid_param", "Invalid parameter(s): delivery_url")
        hook_id = self._next_id()
        hook = {
            "id": hook_id,
            "name": body.get("name") or f"Webhook {hook_id}",
            "status": body.get("status", "active"),
            "topic": topic,
            "delivery_url": url,
            # WooCommerce never shows the secret again; the stand-in keeps it to sign with.
            "secret": body.get("secret") or "",
        }
        self.webhooks[hook_id] = hook
        return JSONResponse({k: v for k, v in hook.items() if k != "secret"}, status_code=201)

    def _update_webhook(self, params: dict[str, Any], _: Any, body: Any) -> dict[str, Any]:
        hook = self.webhooks.get(params["id"])
        if hook is None:
            raise WooError(404, "woocommerce_rest_webhook_invalid_id", "Invalid ID.")
        changes = body if isinstance(body, dict) else {}
        hook.update({k: v for k, v in changes.items() if k in ("secret", "status", "name")})
        return {k: v for k, v in hook.items() if k != "secret"}

    def _list_orders(self, _: dict[str, Any], query: dict[str, str], __: Any) -> Response:
        gmt = query.get("dates_are_gmt", "false").lower() in ("1", "true")
        orders = list(self.orders.values())
        if "modified_after" in query:
            after = _parse_time(query["modified_after"], gmt)
            orders = [o for o in orders if _modified(o) > after]
        if "modified_before" in query:
            before = _parse_time(query["modified_before"], gmt)
            orders = [o for o in orders if _modified(o) < before]
        status = query.get("status", "any")
        if status != "any":
            orders = [o for o in orders if o["status"] in status.split(",")]
        orderby = query.get("orderby", "date")
        keys = {
            "date": lambda o: (o["date_created_gmt"], o["id"]),
            "id": lambda o: o["id"],
            "modified": lambda o: (o["date_modified_gmt"], o["id"]),
        }
        if orderby not in keys:
            raise WooError(400, "rest_invalid_param", "Invalid parameter(s): orderby")
        orders.sort(key=keys[orderby], reverse=query.get("order", "desc") == "desc")
        return self._page(orders, query, "/orders")

    def _order_or_404(self, order_id: int) -> dict[str, Any]:
        if order_id not in self.orders:
            raise WooError(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
        return self.orders[order_id]

    def _get_order(self, params: dict[str, Any], _: Any, __: Any) -> dict[str, Any]:
        return self._order_or_404(params["id"])

    def _update_order(self, params: dict[str, Any], _: Any, body: Any) -> dict[str, Any]:
        order = self._order_or_404(params["id"])
        body = body or {}
        if "status" in body:
            if body["status"] not in STATUSES:
                raise WooError(400, "rest_invalid_param", "Invalid parameter(s): status")
            order["status"] = body["status"]
            if body["status"] == "completed":
                order["date_completed"], order["date_completed_gmt"] = _wc_time(datetime.now(UTC))
        for entry in body.get("meta_data") or []:
            if not isinstance(entry, dict) or "key" not in entry:
                raise WooError(400, "rest_invalid_param", "Invalid parameter(s): meta_data")
            self._update_meta(order["meta_data"], entry)
        order["date_modified"], order["date_modified_gmt"] = _wc_time(datetime.now(UTC))
        return order

    def _update_meta(self, meta: list[dict[str, Any]], entry: dict[str, Any]) -> None:
        """WC_Data::update_meta_data: by id when given, else the key's entries replaced."""
        if entry.get("id"):
            for m in meta:
                if m["id"] == entry["id"]:
                    m.update(key=entry["key"], value=entry.get("value"))
                    return
        meta[:] = [m for m in meta if m["key"] != entry["key"]]
        meta.append({"id": self._next_id(), "key": entry["key"], "value": entry.get("value")})

    def _list_notes(self, params: dict[str, Any], query: dict[str, str], _: Any) -> Any:
        self._order_or_404(params["id"])
        kind = query.get("type", "any")
        notes = self.notes[params["id"]]
        if kind != "any":
            notes = [n for n in notes if n["customer_note"] is (kind == "customer")]
        return sorted(notes, key=lambda n: n["id"], reverse=True)

    def _add_note(self, params: dict[str, Any], _: Any, body: Any) -> Response:
        self._order_or_404(params["id"])
        body = body or {}
        if not str(body.get("note") or "").strip():
            raise WooError(400, "rest_missing_callback_param", "Missing parameter(s): note")
        local, gmt = _wc_time(datetime.now(UTC))
        note = {
            "id": self._next_id(),
            "author": "WooCommerce" if not body.get("added_by_user") else "admin",
            "date_created": local,
            "date_created_gmt": gmt,
            "note": str(body["note"]),
            "customer_note": bool(body.get("customer_note", False)),
        }
        self.notes[params["id"]].append(note)
        return JSONResponse(note, status_code=201)

    # -- products --------------------------------------------------------------------------

    def _list_products(self, _: Any, query: dict[str, str], __: Any) -> Response:
        items = [p for p in self.products.values() if p["type"] != "variation"]
        if query.get("include"):
            wanted = {int(i) for i in query["include"].split(",") if i.strip().isdigit()}
            items = [p for p in items if p["id"] in wanted]
        if query.get("sku"):
            skus = query["sku"].split(",")
            if len(skus) > 1:
                skus.append(query["sku"])  # as WooCommerce does: the whole string is a SKU too
            # A SKU search covers variations too (post_type product and product_variation).
            items = [p for p in self.products.values() if p["sku"] in skus]
        items.sort(key=lambda p: p["id"])
        return self._page(items, query, "/products")

    def _get_product(self, params: dict[str, Any], _: Any, __: Any) -> dict[str, Any]:
        product = self.products.get(params["id"])
        if product is None or product["type"] == "variation":
            raise WooError(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
        return product

    def _list_variations(self, params: dict[str, Any], query: dict[str, str], _: Any) -> Response:
        self._get_product(params, query, None)
        items = [p for p in self.products.values() if p.get("parent_id") == params["id"]]
        return self._page(items, query, f"/products/{params['id']}/variations")

    def _batch(self, body: Any, belongs: Any) -> dict[str, Any]:
        body = body or {}
        total = sum(len(body.get(k) or []) for k in ("create", "update", "delete"))
        if total > BATCH_LIMIT:
            raise WooError(
                413,
                "woocommerce_rest_request_entity_too_large",
                f"Unable to accept more than {BATCH_LIMIT} items for this request.",
            )
        updated = []
        for change in body.get("update") or []:
            product = self.products.get(int(change.get("id") or 0))
            if product is None or not belongs(product):
                updated.append(
                    {
                        "id": change.get("id"),
                        "error": {
                            "code": "woocommerce_rest_product_invalid_id",
                            "message": "Invalid ID.",
                            "data": {"status": 400},
                        },
                    }
                )
                continue
            if "manage_stock" in change:
                product["manage_stock"] = bool(change["manage_stock"])
            if "stock_quantity" in change and product["manage_stock"]:
                product["stock_quantity"] = int(change["stock_quantity"])
                quantity = product["stock_quantity"]
                product["stock_status"] = "instock" if quantity > 0 else "outofstock"
            if "backorders" in change:
                product["backorders"] = change["backorders"]
                product["backorders_allowed"] = change["backorders"] != "no"
            product["date_modified"], product["date_modified_gmt"] = _wc_time(datetime.now(UTC))
            updated.append(product)
        return {"update": updated}

    def _batch_products(self, _: Any, __: Any, body: Any) -> dict[str, Any]:
        return self._batch(body, lambda p: p["type"] != "variation")

    def _batch_variations(self, params: dict[str, Any], _: Any, body: Any) -> dict[str, Any]:
        self._get_product(params, None, None)
        return self._batch(body, lambda p: p.get("parent_id") == params["id"])


def _modified(order: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(order["date_modified_gmt"]).replace(tzinfo=UTC)


_shared: WooCommerceStandin | None = None


@pytest.fixture
def woocommerce_standin() -> Iterator[WooCommerceStandin]:
    """The process-wide WooCommerce stand-in, emptied for each test."""
    global _shared
    if _shared is None:
        _shared = WooCommerceStandin().__enter__()
    yield _shared.reset()
    _shared.reset()
