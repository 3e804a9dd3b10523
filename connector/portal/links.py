"""The links a supplier gets: in every PO message (email body, PDF) and from `tandem portal`.

`portal_link` is None where there is no portal for that supplier (`portal.enabled` off, or the
supplier's `portal: false`), so a caller simply leaves the link out.
"""

from __future__ import annotations

from datetime import datetime

from tandem.connector.clock import utcnow
from tandem.connector.configuration import TandemConfig
from tandem.connector.portal.tokens import make_po_token, make_supplier_token


def portal_enabled(config: TandemConfig, supplier_id: str) -> bool:
    supplier = config.supplier(supplier_id)
    portal = config.portal
    return bool(
        portal.enabled and portal.base_url and portal.secret and supplier and supplier.portal
    )


def portal_link(
    config: TandemConfig, po_id: int, supplier_id: str, now: datetime | None = None
) -> str | None:
    """The address of the PO's page for its supplier, or None without a portal."""
    if not portal_enabled(config, supplier_id):
        return None
    token = make_po_token(config, po_id, supplier_id, now or utcnow())
    return f"{config.portal.base_url}/portal/po/{token}"


def supplier_portal_link(
    config: TandemConfig, supplier_id: str, now: datetime | None = None
) -> str | None:
    """The address of the supplier's bulk shipments page (all its POs), or None."""
    if not portal_enabled(config, supplier_id):
        return None
    token = make_supplier_token(config, supplier_id, now or utcnow())
    return f"{config.portal.base_url}/portal/supplier/{token}"
