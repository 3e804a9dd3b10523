"""Tandem's configuration: the `tandem.yaml` model and its loader."""

from connector.configuration.loader import load_config
from connector.configuration.model import CatalogueConfig, SupplierConfig, TandemConfig
from connector.configuration.transports import EmailTransport

__all__ = ["CatalogueConfig", "EmailTransport", "SupplierConfig", "TandemConfig", "load_config"]
