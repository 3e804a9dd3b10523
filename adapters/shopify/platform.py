"""Shopify as a platform of Tandem (the entry point `tandem.platforms: shopify`): what its
configuration needs, and the storefront and commands it opens. Kept light: the client and the
rest of the adapter are imported only when a storefront or a command is used."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tandem.connector.platforms import Capability

if TYPE_CHECKING:
    import typer

    from tandem.adapters.shopify.storefront import ShopifyStorefront
    from tandem.connector.configuration import TandemConfig
    from tandem.connector.configuration.model import StoreConfig

QUARTERS = ("01", "04", "07", "10")


class ShopifyPlatform:
    name = "shopify"
    capabilities = frozenset(Capability)  # Shopify does all of it

    def missing(self, store: StoreConfig) -> list[str]:
        from tandem.adapters.shopify.auth import store_problems

        return store_problems(store)

    def field_problem(self, name: str, value: Any) -> str | None:
        if name != "api_version":
            return None
        # ShopifyAPI knows how Shopify names its versions: "unstable", or a release YYYY-MM.
        # Releases come out each quarter, so only four months name one.
        from shopify.api_version import ApiVersion, VersionNotFoundError

        try:
            version = ApiVersion.coerce_to_version(value)
        except VersionNotFoundError:
            version = None
        if version is None or (version.stable and value[5:] not in QUARTERS):
            return (
                f"{value!r} is not a Shopify API version (a quarterly release YYYY-01, -04,"
                " -07 or -10, e.g. 2026-07; or unstable)"
            )
        return None

    def shop_name(self, store: StoreConfig) -> str:
        """The shop's host: my-shop.myshopify.com."""
        return (store.shop_url or "").split("://", 1)[-1].rstrip("/")

    def storefront(self, config: TandemConfig) -> ShopifyStorefront:
        from tandem.adapters.shopify.storefront import ShopifyStorefront

        return ShopifyStorefront(config)

    def commands(self) -> dict[str, typer.Typer]:
        from tandem.adapters.shopify.commands import app

        return {"shopify": app}
