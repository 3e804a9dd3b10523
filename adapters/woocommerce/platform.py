"""WooCommerce as a platform of Tandem (the entry point `tandem.platforms: woocommerce`): what
its configuration needs, and the storefront it opens. Kept light: the client and the rest of
the adapter are imported only when a storefront is used."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tandem.connector.platforms import Capability

if TYPE_CHECKING:
    import typer

    from tandem.adapters.woocommerce.storefront import WooCommerceStorefront
    from tandem.connector.configuration import TandemConfig
    from tandem.connector.configuration.model import StoreConfig


class WooCommercePlatform:
    name = "woocommerce"
    # No CLAIM: the site keeps no record of which Tandem database serves it.
    capabilities = frozenset({Capability.WEBHOOKS, Capability.WRITE_BACK, Capability.STOCK})

    def missing(self, store: StoreConfig) -> list[str]:
        missing = [
            k for k in ("shop_url", "consumer_key", "consumer_secret") if not getattr(store, k)
        ]
        return [f"platform woocommerce needs {', '.join(missing)}"] if missing else []

    def field_problem(self, name: str, value: Any) -> str | None:
        if name == "consumer_key" and value is not None and not str(value).startswith("ck_"):
            return (
                "a WooCommerce consumer key starts with ck_ (WooCommerce > Settings > Advanced"
                " > REST API)"
            )
        return None

    def shop_name(self, store: StoreConfig) -> str:
        """The site's host: shop.example.com."""
        from tandem.adapters.woocommerce.client import site_host

        return site_host(store.shop_url or "")

    def storefront(self, config: TandemConfig) -> WooCommerceStorefront:
        from tandem.adapters.woocommerce.storefront import WooCommerceStorefront

        return WooCommerceStorefront(config)

    def commands(self) -> dict[str, typer.Typer]:
        from tandem.adapters.woocommerce.commands import app

        return {"woocommerce": app}
