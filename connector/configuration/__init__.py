"""Tandem's configuration: the `tandem.yaml` model and its loader."""

from tandem.connector.configuration.loader import load_config
from tandem.connector.configuration.model import CatalogueConfig, SupplierConfig, TandemConfig
from tandem.connector.configuration.transports import EmailTransport

__all__ = ["CatalogueConfig", "EmailTransport", "SupplierConfig", "TandemConfig", "load_config"]
