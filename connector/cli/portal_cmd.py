"""`tandem portal link|revoke`: a supplier's portal link, and taking links back.

`link PO-00012` prints the PO's page for its supplier (to send again by hand);
`link --supplier acme` the supplier's bulk shipments page. `revoke PO-00012` stops every link
to that PO made so far (and prints a new one); `revoke --supplier acme` every link of that
supplier's. Changing `portal.secret` revokes all links at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from tandem.connector.cli.common import (
    DEFAULT_CONFIG,
    ConfigOption,
    console,
    fail,
    get_config,
    reported,
)
from tandem.connector.cli.common import get_database as open_db
from tandem.connector.clock import utcnow

# The portal and the database are imported when a command runs (issue 14).
if TYPE_CHECKING:
    from sqlalchemy import Connection

    from tandem.connector.configuration import TandemConfig

app = typer.Typer(help="The supplier portal's links.", no_args_is_help=True)

PoArgument = Annotated[str | None, typer.Argument(help="A PO number (PO-00012).")]
SupplierOption = Annotated[
    str | None, typer.Option("--supplier", help="A supplier id: its bulk shipments link.")
]


def _check(config: TandemConfig, supplier_id: str) -> None:
    from tandem.connector.portal import portal_enabled

    if config.supplier(supplier_id) is None:
        fail(f"no supplier {supplier_id!r} in the configuration")
    if not portal_enabled(config, supplier_id):
        fail(
            f"no portal for {supplier_id}: set portal.enabled, portal.base_url and"
            f" portal.secret, and leave the supplier's `portal` on"
        )


@app.command("link")
def link_command(
    po: PoArgument = None,
    supplier: SupplierOption = None,
    config_path: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Print a PO's portal link (or, with --supplier, its bulk shipments link)."""
    from tandem.connector.portal import portal_link, supplier_portal_link
    from tandem.connector.store.views import find_po

    config = get_config(config_path)
    if (po is None) == (supplier is None):
        fail("name a PO or a --supplier", code=2)
    if supplier is not None:
        _check(config, supplier)
        console.print(supplier_portal_link(config, supplier), highlight=False, soft_wrap=True)
        return
    assert po is not None
    db = open_db(config)
    with reported(), db.read() as conn:
        po_id = find_po(conn, po)
        owner = _owner(conn, po_id)
    _check(config, owner)
    console.print(portal_link(config, po_id, owner), highlight=False, soft_wrap=True)


@app.command("revoke")
def revoke_command(
    po: PoArgument = None,
    supplier: SupplierOption = None,
    config_path: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Stop every link made so far to a PO (or all of a supplier's links)."""
    from tandem.connector.portal import portal_link
    from tandem.connector.portal.tokens import after_revocation, revoke
    from tandem.connector.store.events import Event, record
    from tandem.connector.store.views import find_po

    config = get_config(config_path)
    if (po is None) == (supplier is None):
        fail("name a PO or a --supplier", code=2)
    db = open_db(config)
    now = utcnow()
    with reported(), db.write() as conn:
        if supplier is not None:
            _check(config, supplier)
            revoke(conn, f"supplier:{supplier}", now)
            said = f"every portal link of {supplier} made until now is revoked"
            record(conn, [Event("portal.revoked", said, supplier_id=supplier)], now)
        else:
            assert po is not None
            po_id = find_po(conn, po)
            owner = _owner(conn, po_id)
            _check(config, owner)
            revoke(conn, f"po:{po_id}", now)
            said = f"portal links to {po} made until now are revoked"
            record(conn, [Event("portal.revoked", said, po_id=po_id, supplier_id=owner)], now)
    console.print(said, highlight=False)
    if po is not None:
        new = portal_link(config, po_id, owner, after_revocation(now))
        console.print(f"new link: {new}", highlight=False, soft_wrap=True)


def _owner(conn: Connection, po_id: int) -> str:
    from sqlalchemy import select

    from tandem.connector.store import schema as t

    po = t.purchase_orders
    return str(conn.execute(select(po.c.supplier_id).where(po.c.id == po_id)).scalar_one())
