"""The `file` platform (the entry point `tandem.platforms: file`): orders from a JSON file,
nothing written back. Tandem's embedded default."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tandem.connector.platforms import Capability

if TYPE_CHECKING:
    import typer

    from tandem.adapters.file.storefront import FileStorefront
    from tandem.connector.configuration import TandemConfig
    from tandem.connector.configuration.model import StoreConfig


class FilePlatform:
    name = "file"
    capabilities: frozenset[Capability] = frozenset()

    def missing(self, store: StoreConfig) -> list[str]:
        return []  # without an orders file, orders come only from `tandem orders import`

    def field_problem(self, name: str, value: Any) -> str | None:
        return None

    def shop_name(self, store: StoreConfig) -> str:
        return "file"

    def storefront(self, config: TandemConfig) -> FileStorefront:
        from tandem.adapters.file.storefront import FileStorefront

        return FileStorefront(config)

    def commands(self) -> dict[str, typer.Typer]:
        from tandem.adapters.file.commands import app

        return {"orders": app}
