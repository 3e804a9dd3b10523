"""Supplier catalogues: reading feeds (CSV, XLSX, JSON), checking rows, switching atomically."""

import os

# polars allocates through a jemalloc of its own, which keeps freed pages for seconds before
# giving them back. An import frees a copy of the feed at each step (bytes, text cells,
# checked rows), so those pages would pile up: half a million rows peaked at 413 MB with the
# default and 354 MB, no slower, with pages returned at once. Set before polars first
# allocates, that is before any module of this package imports it; a value set in the
# environment wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")

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
