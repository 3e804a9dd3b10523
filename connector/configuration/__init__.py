"""Tandem's configuration: the `tandem.yaml` model and its loader."""

from connector.configuration.loader import load_config
from connector.configuration.model import (
    CatalogueConfig,
    EmailTransport,
    SupplierConfig,
    TandemConfig,
)

__all__ = ["CatalogueConfig", "EmailTransport", "SupplierConfig", "TandemConfig", "load_config"]
