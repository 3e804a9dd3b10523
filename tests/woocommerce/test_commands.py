"""`tandem woocommerce webhooks register`: the site's order webhooks, subscribed once and
signed with the store's secret, so the merchant need not add them by hand."""

from __future__ import annotations

from pathlib import Path

from tests.standins.woocommerce import WooCommerceStandin
from tests.woocommerce.support import SECRET, config_data, tandem, write_config

URL = "https://tandem.garden.example/webhooks/woocommerce"


def test_register_subscribes_the_order_topics_once(
    woocommerce_standin: WooCommerceStandin, tmp_path: Path
) -> None:
    config = write_config(tmp_path, config_data(woocommerce_standin, tmp_path, 2525))
    first = tandem("woocommerce", "webhooks", "register", "--url", URL, "--config", str(config))
    assert first.splitlines() == [
        f"created order.created → {URL}",
        f"created order.updated → {URL}",
    ]
    hooks = sorted(woocommerce_standin.webhooks.values(), key=lambda h: h["topic"])
    assert [(h["topic"], h["delivery_url"], h["status"]) for h in hooks] == [
        ("order.created", URL, "active"),
        ("order.updated", URL, "active"),
    ]
    assert {h["secret"] for h in hooks} == {SECRET}  # what Tandem checks deliveries against

    # The merchant changed the secret in Tandem's configuration: the kept webhooks follow.
    for hook in woocommerce_standin.webhooks.values():
        hook["secret"] = "an old secret"
    again = tandem("woocommerce", "webhooks", "register", "--url", URL, "--config", str(config))
    assert again.splitlines() == [
        f"kept    order.created → {URL}",
        f"kept    order.updated → {URL}",
    ]
    assert len(woocommerce_standin.webhooks) == 2
    assert {h["secret"] for h in woocommerce_standin.webhooks.values()} == {SECRET}


def test_register_without_a_webhook_secret_says_what_to_set(
    woocommerce_standin: WooCommerceStandin, tmp_path: Path
) -> None:
    data = config_data(woocommerce_standin, tmp_path, 2525)
    del data["store"]["webhook_secret"], data["store"]["previous_webhook_secret"]
    config = write_config(tmp_path, data)
    out = tandem(
        "woocommerce", "webhooks", "register", "--url", URL, "--config", str(config), code=2
    )
    assert "store.webhook_secret is needed" in out
    assert woocommerce_standin.webhooks == {}
