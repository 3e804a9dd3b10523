"""Tandem's tables (SQLAlchemy Core). Alembic migrations under `migrations/` create them.

Orders and lines mirror the store; offers are the imported catalogues; purchase orders, their
lines and the allocations linking order lines to PO lines are Tandem's own. The outbox holds
side effects to perform after commit; events are the timeline shown to people.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

from tandem.connector.store.types import Money, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

orders = Table(
    "orders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shop", String(255), nullable=False),
    Column("external_id", String(255), nullable=False),
    Column("name", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("financial_status", String(40)),
    Column("cancelled_at", UTCDateTime),
    Column("eligible_at", UTCDateTime),
    Column("currency", String(3)),
    Column("tags", JSON, nullable=False),
    Column("customer", JSON, nullable=False),
    Column("shipping_address", JSON),
    Column("address_key", String(32)),
    Column("content_hash", String(64), nullable=False),
    Column("ingested_at", UTCDateTime, nullable=False),
    # What the store already said about the order (domain.PriorHandling): POs another Tandem
    # wrote on it, its fulfilment held or closed. Null: nothing.
    Column("prior_handling", JSON),
    UniqueConstraint("shop", "external_id"),
    Index("ix_orders_created", "created_at", "id"),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("external_id", String(255), nullable=False),
    Column("position", Integer, nullable=False),
    Column("sku", String(255)),
    Column("title", String(500), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("price", Money),
    Column("properties", JSON, nullable=False),
    Column("product_tags", JSON, nullable=False),
    Column("product_mode", String(100)),
    Column("variant_id", String(255)),
    Column("product_id", String(255)),
    Column("removed", Boolean, nullable=False, default=False),
    # The planner's last verdict, kept so people can see why a line is where it is.
    Column("mode", String(20)),
    Column("mode_source", String(300)),
    # The mode is the global default's only: no rule spoke and no catalogue listed the SKU.
    # A catalogue that lists it later has such a line (if it holds nothing) decided again.
    Column("mode_fallback", Boolean, nullable=False, default=False, server_default=false()),
    Column("needed", Integer, nullable=False, default=0),
    Column("status", String(24), nullable=False, default="new"),
    Column("needs_planning", Boolean, nullable=False, default=True),
    Column("supplier_override", String(64)),
    Column("planned_at", UTCDateTime),
    # Units the store reports fulfilled; and when a person chose to order the line although
    # the store said it was handled elsewhere ("plan anyway").
    Column("fulfilled_quantity", Integer, nullable=False, default=0, server_default=text("0")),
    Column("fence_lifted_at", UTCDateTime),
    UniqueConstraint("order_id", "external_id"),
    Index("ix_order_lines_sku", "sku"),
    Index("ix_order_lines_needs_planning", "needs_planning"),
)

suppliers = Table(
    "suppliers",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("mode", String(20), nullable=False),
    # When the current catalogue became active: its stock figures date from then.
    Column("catalogue_switched_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
)

offers = Table(
    "offers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("supplier_id", ForeignKey("suppliers.id"), nullable=False),
    Column("sku", String(255), nullable=False),
    Column("supplier_sku", String(255), nullable=False),
    Column("name", String(500), nullable=False),
    Column("cost", Money, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("stock", Integer),
    Column("lead_time_days", Integer),
    Column("pack_size", Integer, nullable=False),
    Column("min_quantity", Integer, nullable=False),
    UniqueConstraint("supplier_id", "supplier_sku"),
    Index("ix_offers_sku", "sku"),
)

catalogue_imports = Table(
    "catalogue_imports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("supplier_id", ForeignKey("suppliers.id"), nullable=False),
    Column("source", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("rows_total", Integer, nullable=False),
    Column("rows_imported", Integer, nullable=False),
    Column("rows_rejected", Integer, nullable=False),
    Column("problems", JSON, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=False),
    Index("ix_catalogue_imports_supplier", "supplier_id", "id"),
)

stock_levels = Table(
    "stock_levels",
    metadata,
    Column("sku", String(255), primary_key=True),
    Column("on_hand", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

stock_imports = Table(
    "stock_imports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("imported_at", UTCDateTime, nullable=False),
)

purchase_orders = Table(
    "purchase_orders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(40), unique=True),
    Column("supplier_id", ForeignKey("suppliers.id"), nullable=False),
    Column("mode", String(20), nullable=False),
    Column("status", String(24), nullable=False),
    Column("group_key", String(400), nullable=False),
    # The shop whose orders the PO serves; None: any (one shop, or a supplier configured to
    # consolidate across shops, whose PO then names each order's shop).
    Column("shop", String(255)),
    Column("ship_to_key", String(32), nullable=False),
    Column("ship_to", JSON),
    Column("order_id", ForeignKey("orders.id")),
    Column("currency", String(3), nullable=False),
    Column("revision", Integer, nullable=False, default=0),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("released_at", UTCDateTime),
    Column("release_reason", String(200)),
    Column("cancelled_at", UTCDateTime),
    Column("closed_at", UTCDateTime),
    Column("supplier_reference", String(200)),
    Column("expected_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
    # When the first revision reached the supplier, and when the supplier confirmed it.
    Column("sent_at", UTCDateTime),
    Column("confirmed_at", UTCDateTime),
    Index("ix_purchase_orders_status", "status", "supplier_id"),
    # The POs released since a supplier's stock figures were taken (planning_input).
    Index("ix_purchase_orders_supplier_released", "supplier_id", "released_at"),
    # One open draft per consolidation group, even with several planners at once.
    Index(
        "uq_purchase_orders_draft_group",
        "group_key",
        unique=True,
        sqlite_where=text("status = 'draft'"),
        postgresql_where=text("status = 'draft'"),
    ),
)

po_lines = Table(
    "po_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("po_id", ForeignKey("purchase_orders.id", ondelete="CASCADE"), nullable=False),
    Column("sku", String(255), nullable=False),
    Column("supplier_sku", String(255), nullable=False),
    Column("name", String(500), nullable=False),
    Column("unit_cost", Money, nullable=False),
    Column("pack_size", Integer, nullable=False),
    Column("min_quantity", Integer, nullable=False),
    Column("quantity", Integer, nullable=False),  # supplier units requested
    Column("received_units", Integer, nullable=False, default=0),  # store units received
    Column("expected_ship_date", Date),  # as the supplier confirmed it
    UniqueConstraint("po_id", "supplier_sku"),
    # A SKU's lines of the POs from some id on: the planner reads recent POs' lines only.
    Index("ix_po_lines_sku_po_id", "sku", "po_id"),
)

allocations = Table(
    "allocations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("order_line_id", ForeignKey("order_lines.id", ondelete="CASCADE"), nullable=False),
    Column("po_line_id", ForeignKey("po_lines.id", ondelete="CASCADE")),  # None: stock
    Column("quantity", Integer, nullable=False),  # store units
    Column("received", Integer, nullable=False, default=0),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_allocations_order_line_id", "order_line_id"),
    Index("ix_allocations_po_line_id", "po_line_id"),
)

# Every order a numbered PO has served, kept when the order's lines later leave the PO (an
# edit, a cancellation), so the order can still be told what became of that PO.
po_orders = Table(
    "po_orders",
    metadata,
    Column("po_id", ForeignKey("purchase_orders.id", ondelete="CASCADE"), primary_key=True),
    Column("order_id", ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True),
    Column("linked_at", UTCDateTime, nullable=False),
    Index("ix_po_orders_order_id", "order_id"),
)

po_changes = Table(
    "po_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("po_id", ForeignKey("purchase_orders.id"), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("po_line_id", ForeignKey("po_lines.id")),
    Column("kind", String(20), nullable=False),  # reduce | cancel_line | cancel_po
    Column("sku", String(255)),
    Column("supplier_sku", String(255)),
    Column("old_quantity", Integer),
    Column("new_quantity", Integer),
    Column("reason", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_po_changes_po", "po_id", "revision"),
)

exceptions = Table(
    "exceptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("status", String(16), nullable=False),  # open | resolved
    Column("dedupe_key", String(400), nullable=False),
    Column("order_id", ForeignKey("orders.id", ondelete="SET NULL")),
    Column("order_line_id", ForeignKey("order_lines.id", ondelete="SET NULL")),
    Column("po_id", ForeignKey("purchase_orders.id", ondelete="SET NULL")),
    Column("supplier_id", String(64)),
    Column("message", Text, nullable=False),
    Column("details", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime),
    Column("resolved_by", String(200)),
    Column("resolution", Text),
    Index("ix_exceptions_status", "status", "kind"),
    Index("ix_exceptions_order_line_id", "order_line_id"),
    Index(
        "uq_exceptions_open_key",
        "dedupe_key",
        unique=True,
        sqlite_where=text("status = 'open'"),
        postgresql_where=text("status = 'open'"),
    ),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("order_id", ForeignKey("orders.id", ondelete="CASCADE")),
    Column("po_id", ForeignKey("purchase_orders.id", ondelete="CASCADE")),
    Column("supplier_id", String(64)),
    Column("message", Text, nullable=False),
    Column("data", JSON, nullable=False),
    Index("ix_events_order_id", "order_id"),
    Index("ix_events_po_id", "po_id"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(40), nullable=False),
    # One logical effect, one row: enqueueing the same effect twice is a no-op.
    Column("dedupe_key", String(400), nullable=False, unique=True),
    # Made before the first attempt and sent on every retry (DESIGN.md §3, 4).
    Column("idempotency_key", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("status", String(16), nullable=False),  # pending | in_progress | done | dead
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("lease_owner", String(100)),
    Column("lease_expires_at", UTCDateTime),
    # Claimed after a lease ran out: an earlier attempt may have happened. Kept when the
    # item is handed back unstarted, so the next holder still looks before it acts.
    Column("in_doubt", Boolean, nullable=False, default=False, server_default=false()),
    # Committed right before the channel's network call: an item claimed but never marked
    # transmitting was not performed, so a dead worker's item is handed back, not in doubt.
    Column("transmitting_at", UTCDateTime),
    Column("last_error", Text),
    Column("po_id", ForeignKey("purchase_orders.id", ondelete="SET NULL")),
    Column("supplier_id", String(64)),
    # The shop a write-back goes to (None: a message to a supplier); each shop's worker takes
    # only its own, so one shop that fails holds up no other.
    Column("shop", String(255)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("completed_at", UTCDateTime),
    Index("ix_outbox_due", "status", "next_attempt_at"),
    # Every claim asks which revisions of the same POs are still waiting (outbox
    # `_waiting_behind`), and PO actions list a PO's revision items.
    Index("ix_outbox_po_id", "po_id"),
)

counters = Table(
    "counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# --- The store side (Shopify) ----------------------------------------------------------------

# Which shop this database serves, recorded on its first run: a command against a database of
# another shop, or a shop another database serves, refuses instead of ordering again.
store_identity = Table(
    "store_identity",
    metadata,
    Column("shop", String(255), primary_key=True),
    Column("platform", String(32), nullable=False),
    Column("account", String(255)),
    # Made once per database; written onto the shop so another database can see it.
    Column("database_id", String(64), nullable=False),
    Column("first_run_at", UTCDateTime, nullable=False),
)

# The Admin API token of a shop Tandem reaches as an app (client credentials, OAuth): kept so
# a restart reuses a token still valid. `sealed` holds the access and refresh tokens encrypted
# (adapters/shopify/token_store.py); what is readable here is no secret.
shop_tokens = Table(
    "shop_tokens",
    metadata,
    Column("shop", String(255), primary_key=True),
    Column("client_id", String(255), primary_key=True),
    Column("grant_type", String(32), nullable=False),  # client_credentials, authorization_code, ...
    Column("scope", Text, nullable=False),
    Column("sealed", Text, nullable=False),
    Column("obtained_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime),  # null: the token does not expire
    Column("refresh_expires_at", UTCDateTime),
)

shop_cursors = Table(
    "shop_cursors",
    metadata,
    Column("shop", String(255), primary_key=True),
    # Orders updated before this time have been read; never later than a poll's start.
    Column("polled_until", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    # X-Shopify-Webhook-Id: Shopify sends the same id on every retry of one delivery.
    Column("webhook_id", String(100), nullable=False, unique=True),
    Column("shop", String(255), nullable=False),
    Column("topic", String(100), nullable=False),
    Column("resource_id", String(255)),
    Column("triggered_at", UTCDateTime),
    Column("received_at", UTCDateTime, nullable=False),
    Column("processed_at", UTCDateTime),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    # What a privacy request says (whom it is about, which orders), for the topics whose body
    # is their content; once answered only its ids are kept (tandem.connector.services.privacy).
    Column("payload", JSON),
    Index("ix_webhook_deliveries_pending", "processed_at", "id"),
)

# Shops whose work is stopped: Tandem was uninstalled from the shop (as its platform confirmed).
# The jobs that talk to such a shop skip it until a claim succeeds again (store.shop_stops).
shop_stops = Table(
    "shop_stops",
    metadata,
    Column("shop", String(255), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("stopped_at", UTCDateTime, nullable=False),
)

shop_inventory = Table(
    "shop_inventory",
    metadata,
    Column("shop", String(255), primary_key=True),
    Column("sku", String(255), primary_key=True),
    Column("inventory_item_id", String(255)),  # null: no variant with this SKU in the store
    Column("variant_id", String(255)),
    Column("product_id", String(255)),
    Column("location_id", String(255)),
    # False: the item has no inventory level at the location (not stocked there).
    Column("stocked", Boolean, nullable=False, default=True),
    Column("store_quantity", Integer),  # `available` at the location when last read
    Column("pushed_quantity", Integer),  # what Tandem last set
    Column("pending_quantity", Integer),  # queued in the outbox, not yet confirmed
    Column("continue_selling", Boolean, nullable=False, default=False),
    Column("looked_up_at", UTCDateTime, nullable=False),
    Column("pushed_at", UTCDateTime),
)

shipments = Table(
    "shipments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("po_id", ForeignKey("purchase_orders.id"), nullable=False),
    Column("tracking_numbers", JSON, nullable=False),
    Column("carrier", String(100)),
    Column("tracking_urls", JSON, nullable=False),
    # [{po_line_id, quantity}] in supplier units
    Column("lines", JSON, nullable=False),
    Column("shipped_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_shipments_po", "po_id"),
)

# Each answer a supplier gave (portal form, email reply, SFTP file row, status API), under the
# key that makes it one answer: a double click, a replayed form or a file read twice records
# once.
supplier_answers = Table(
    "supplier_answers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(255), nullable=False, unique=True),
    Column("supplier_id", String(64), nullable=False),
    Column("po_id", ForeignKey("purchase_orders.id", ondelete="CASCADE")),
    Column("via", String(16), nullable=False),  # portal | email | sftp | api
    Column("action", String(24), nullable=False),  # confirm | refuse | ship | acknowledge
    Column("summary", Text, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Index("ix_supplier_answers_po", "po_id"),
)

# Each message or file that brought supplier answers, by its source (imap:<folder>,
# sftp:<supplier>) and key (Message-ID; file name and digest): processed once, and kept
# `failed` (to be read again) rather than lost when processing fails.
inbound_items = Table(
    "inbound_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(120), nullable=False),
    Column("key", String(400), nullable=False),
    Column("status", String(16), nullable=False),  # processed | failed | exception
    Column("detail", Text),
    Column("attempts", Integer, nullable=False, default=0, server_default=text("0")),
    Column("received_at", UTCDateTime, nullable=False),
    Column("processed_at", UTCDateTime),
    UniqueConstraint("source", "key"),
)


# Supplier portal links made before `revoked_before_ms` (unix ms) no longer open: per PO
# (`po:<id>`) or for all of a supplier's links (`supplier:<id>`).
portal_revocations = Table(
    "portal_revocations",
    metadata,
    Column("scope", String(120), primary_key=True),
    Column("revoked_before_ms", BigInteger, nullable=False),
)

# A supplier's scheduled catalogue feed (`catalogue.source`): the validators of the last
# fetch that was imported (ETag, Last-Modified; for SFTP size and mtime; for the inbox the
# message), kept only while `fingerprint` (the catalogue settings) is the same, and since when
# it has failed to arrive or be read.
feed_state = Table(
    "feed_state",
    metadata,
    Column("supplier_id", String(64), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("source", Text, nullable=False),  # the feed as messages name it; never a secret
    Column("etag", Text),
    Column("last_modified", Text),
    Column("sha256", String(64)),
    Column("checked_at", UTCDateTime),  # last attempt
    Column("arrived_at", UTCDateTime),  # last attempt that arrived (or was unchanged) and read
    Column("changed_at", UTCDateTime),  # when its content last changed
    Column("failing_since", UTCDateTime),
    Column("last_error", Text),
)

# Dashboard sessions ended by logging out (connector.store.dashboard_sessions): the SHA-256 of
# the session's id, kept until the session would have expired anyway, so a copy of the cookie
# is no session either.
dashboard_logouts = Table(
    "dashboard_logouts",
    metadata,
    Column("session_digest", String(64), primary_key=True),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
)
