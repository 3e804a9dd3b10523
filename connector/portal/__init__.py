"""The supplier portal: one page per PO behind a signed link (no account, no password), where
the supplier confirms, refuses, records shipments and acknowledges changes, and a
supplier-level page to upload a shipments file for many POs. Every answer goes through
`connector.services.supplier_answers`, like an answer by email, SFTP or API.

`portal_link` makes the link that PO messages carry; `portal_routes` the pages, mounted by
`connector.web.app` under `/portal` when `portal.enabled`.
"""

from tandem.connector.portal.links import portal_enabled, portal_link, supplier_portal_link

__all__ = ["portal_enabled", "portal_link", "supplier_portal_link"]
