"""Scheduled catalogue feeds: the sources of `catalogue.source` (URL, SFTP path, inbox)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tandem.connector.configuration.feeds import InboxFeed, SftpFeed, UrlFeed
from tandem.connector.configuration.model import SupplierConfig, TandemConfig

if TYPE_CHECKING:
    from tandem.connector.catalogue.sources import FeedSource


def make_feed(supplier: SupplierConfig, config: TandemConfig) -> FeedSource:
    """The source of a supplier's `catalogue.source` (which must be set)."""
    source = supplier.catalogue.source
    if isinstance(source, UrlFeed):
        from tandem.adapters.feeds.http import UrlSource

        return UrlSource(source)
    if isinstance(source, SftpFeed):
        from tandem.adapters.feeds.sftp import SftpSource

        return SftpSource(source)
    if isinstance(source, InboxFeed):
        from tandem.adapters.feeds.inbox import InboxSource

        assert config.inbox is not None  # TandemConfig requires it for an inbox feed
        return InboxSource(source, config.inbox, supplier)
    raise ValueError(f"supplier {supplier.id}: catalogue.source is not set")
