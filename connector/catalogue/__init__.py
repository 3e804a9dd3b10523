"""Supplier catalogues: reading feeds (CSV, XLSX, JSON), checking rows, switching atomically."""

from tandem.connector.catalogue.importer import (
    ImportReport,
    Progress,
    find_supplier,
    import_catalogue,
)
from tandem.connector.catalogue.readers import RowProblem
from tandem.connector.catalogue.search import search_offers

__all__ = [
    "ImportReport",
    "Progress",
    "RowProblem",
    "find_supplier",
    "import_catalogue",
    "search_offers",
]
