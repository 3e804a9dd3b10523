"""Stock to WooCommerce through the batch endpoints, and the client's manners: retries on 429
and 5xx, WooCommerce's own words for a refusal, and the keys kept out of every message."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pydantic import SecretStr

from tandem.adapters.woocommerce.client import (
    AuthError,
    Unavailable,
    WooCommerceClient,
    WooCommerceError,
)
from tandem.adapters.woocommerce.storefront import WooCommerceStorefront
from tandem.connector.catalogue.importer import import_catalogue
from tandem.connector.clock import utcnow
from tandem.connector.configuration import load_config
from tandem.connector.store import open_database
from tandem.connector.store import schema as t
from tests.standins.woocommerce import WooCommerceStandin
from tests.woocommerce.support import config_data, write_config


async def no_sleep(_: float) -> None:
    return None


def client(shop: WooCommerceStandin, **options: object) -> WooCommerceClient:
    secret = options.pop("secret", shop.consumer_secret)
    return WooCommerceClient(
        shop.url,
        shop.consumer_key,
        SecretStr(str(secret)),
        sleep=no_sleep,
        **options,  # type: ignore[arg-type]
    )


@pytest.mark.slow
def test_ten_thousand_changed_variants_take_at_most_101_batch_requests(
    woocommerce_standin: WooCommerceStandin, tmp_path: Path
) -> None:
    shop = woocommerce_standin
    rows = ["sku,supplier_sku,name,cost,stock"]
    for p in range(100):
        skus = [f"V{p:03d}-{v:03d}" for v in range(100)]
        shop.add_variable_product(f"P{p:03d}", skus, stock=0)
        rows += [f"{s},{s},Plant,1,{5 + v}" for v, s in enumerate(skus)]
    data = config_data(shop, tmp_path, 25)
    data["store"]["stock_push"] = {"enabled": True, "buffer": 0}
    data["suppliers"] = [data["suppliers"][0]]
    (tmp_path / "acme.csv").write_text("\n".join(rows) + "\n")
    config = load_config(write_config(tmp_path, data))
    db = open_database(config.database_url)
    import_catalogue(db, config, "acme", now=utcnow())
    front = WooCommerceStorefront(config)

    async def push() -> tuple[int, int]:
        async with front.session(db) as session:
            pushed = await session.push_stock(utcnow())
            done = await session.perform_writes()
        return pushed.changed, done.done

    assert asyncio.run(push()) == (10_000, 100)
    assert shop.batch_requests() == 100
    assert all(len(r.body["update"]) <= 100 for r in shop.seen if r.route.endswith("/batch"))
    assert shop.product_by_sku("V042-007")["stock_quantity"] == 12
    # Nothing changed: nothing is sent.
    assert asyncio.run(push()) == (0, 0)
    assert shop.batch_requests() == 100
    db.dispose()


def test_more_than_100_items_are_refused_in_woocommerces_words(
    woocommerce_standin: WooCommerceStandin,
) -> None:
    shop = woocommerce_standin
    body = {"update": [{"id": i, "stock_quantity": 1} for i in range(101)]}

    async def send() -> None:
        async with client(shop) as c:
            await c.post("/products/batch", body, repeatable=True)

    with pytest.raises(WooCommerceError) as refused:
        asyncio.run(send())
    assert str(refused.value) == (
        "WooCommerce POST /products/batch: Unable to accept more than 100 items for this request."
        " (woocommerce_rest_request_entity_too_large, HTTP 413)"
    )


def test_429_and_503_are_retried_and_a_note_is_not_resent_after_a_lost_answer(
    woocommerce_standin: WooCommerceStandin,
) -> None:
    shop = woocommerce_standin
    order = shop.add_order([("SPADE", 1)])

    async def read() -> dict[str, object]:
        async with client(shop) as c:
            return await c.get(f"/orders/{order}")  # type: ignore[no-any-return]

    shop.fail_next(429, retry_after="1")
    shop.fail_next(503, times=2)
    assert asyncio.run(read())["id"] == order
    assert shop.counts["GET /orders/{id:int}"] == 4

    async def note() -> None:
        async with client(shop) as c:
            await c.post(f"/orders/{order}/notes", {"note": "hello"}, repeatable=False)

    shop.fail_next(503)
    with pytest.raises(Unavailable, match=r"HTTP 503"):
        asyncio.run(note())  # it may have run: the caller reads the notes before writing again
    shop.fail_next(429)
    asyncio.run(note())  # 429: it did not run, so it is sent again
    assert shop.order_notes(order) == ["hello"]


def test_wrong_keys_are_refused_and_the_secret_is_never_in_the_message(
    woocommerce_standin: WooCommerceStandin,
) -> None:
    shop = woocommerce_standin

    async def read(c: WooCommerceClient) -> None:
        async with c:
            await c.get("/orders")

    with pytest.raises(AuthError) as refused:
        asyncio.run(read(client(shop, secret="cs_wrong_secret_value")))
    assert str(refused.value) == (
        "WooCommerce GET /orders: Consumer secret is invalid."
        " (woocommerce_rest_authentication_error, HTTP 401)"
    )
    # Query-string auth puts the keys in the URL: still never in a message.
    shop.fail_next(500, times=10)
    with pytest.raises(Unavailable) as down:
        asyncio.run(read(client(shop, query_string_auth=True)))
    assert shop.consumer_secret not in str(down.value)
    assert shop.seen[-1].query["consumer_key"] == shop.consumer_key
    with pytest.raises(WooCommerceError, match="over HTTPS only"):
        WooCommerceClient("http://shop.example", "ck_1", SecretStr("cs_1"))


def test_the_inventory_remembers_what_the_shop_has(
    woocommerce_standin: WooCommerceStandin, tmp_path: Path
) -> None:
    """A product whose stock WooCommerce does not manage is left alone and reported."""
    shop = woocommerce_standin
    shop.add_product("SPADE", stock=None, manage_stock=False)
    config = load_config(write_config(tmp_path, config_data(shop, tmp_path, 25)))
    db = open_database(config.database_url)
    import_catalogue(db, config, "acme", now=utcnow())
    front = WooCommerceStorefront(config)

    async def push() -> list[str]:
        async with front.session(db) as session:
            return (await session.push_stock(utcnow())).not_stocked

    assert asyncio.run(push()) == ["SPADE"]
    assert shop.product_by_sku("SPADE")["stock_quantity"] is None
    with db.read() as conn:
        row = conn.execute(t.shop_inventory.select()).one()
    assert (row.sku, row.stocked) == ("SPADE", False)
    db.dispose()
