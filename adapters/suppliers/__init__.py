"""Supplier channels: how a PO reaches a supplier (email, REST API, SFTP file drop)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connector.configuration.model import SupplierConfig, TandemConfig
from connector.configuration.transports import EmailTransport, RestTransport, SftpTransport
from connector.errors import TandemError

if TYPE_CHECKING:
    from connector.channels import Channel


def make_channel(supplier: SupplierConfig, config: TandemConfig) -> Channel | None:
    """The channel for a supplier's `transport`; None for `manual` (a person sends it)."""
    transport = supplier.transport
    if isinstance(transport, EmailTransport):
        from adapters.suppliers.email import EmailChannel

        if config.smtp is None:
            raise TandemError(f"supplier {supplier.id} takes POs by email: set the smtp section")
        channel = EmailChannel(config.smtp, transport, supplier)
        if config.smtp.pickup_directory is not None:
            from adapters.suppliers.email.pickup import PickupChannel

            return PickupChannel(channel, config.smtp.pickup_directory)
        return channel
    if isinstance(transport, RestTransport):
        from adapters.suppliers.rest import RestChannel

        return RestChannel(transport, supplier)
    if isinstance(transport, SftpTransport):
        from adapters.suppliers.sftp import SftpChannel

        return SftpChannel(transport, supplier)
    return None
