"""Supplier channels: how a PO reaches a supplier (email, REST API, SFTP file drop)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tandem.connector.configuration.model import SupplierConfig, TandemConfig
from tandem.connector.configuration.transports import EmailTransport, RestTransport, SftpTransport

if TYPE_CHECKING:
    from tandem.connector.channels import Channel


def make_channel(supplier: SupplierConfig, config: TandemConfig) -> Channel | None:
    """The channel for a supplier's `transport`; None for `manual` (a person sends it).

    Settings a channel cannot work with (an unknown CSV column, a template that does not
    compile, a file name with an unknown placeholder) raise a `ChannelError` naming the
    supplier and the setting: `tandem config check` builds every channel to show them."""
    transport = supplier.transport
    if isinstance(transport, EmailTransport):
        from tandem.adapters.suppliers.email import EmailChannel

        assert config.smtp is not None  # TandemConfig requires smtp once a supplier emails
        channel = EmailChannel(config.smtp, transport, supplier)
        if config.smtp.pickup_directory is not None:
            from tandem.adapters.suppliers.email.pickup import PickupChannel

            return PickupChannel(channel, config.smtp.pickup_directory)
        return channel
    if isinstance(transport, RestTransport):
        from tandem.adapters.suppliers.rest import RestChannel

        return RestChannel(transport, supplier)
    if isinstance(transport, SftpTransport):
        from tandem.adapters.suppliers.sftp import SftpChannel

        return SftpChannel(transport, supplier)
    return None
