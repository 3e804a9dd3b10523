"""The PO as a PDF attachment (fpdf2): header and terms, who orders from whom and where the
goods go (each address laid out the way its country writes it), what changed, lines and
total, and the supplier portal's link and QR code where the supplier has the portal.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

import segno
from fpdf.enums import WrapMode

from tandem.adapters.suppliers.email.fonts import fallback_fonts, unicode_font
from tandem.adapters.suppliers.email.sheet import PAD_X, Sheet, latin1
from tandem.adapters.suppliers.money import money
from tandem.connector.channels import DocumentChange, Party, PurchaseOrderDocument
from tandem.connector.postal import postal_lines

__all__ = ["TITLES", "latin1", "render_pdf", "unicode_font"]

TITLES = {
    "order": "Purchase order",
    "change": "Change to purchase order",
    "cancel": "Cancellation of purchase order",
    "test": "TEST - please ignore - purchase order",
}
SIDE_BY_SIDE_LEAST = 8.0  # points: SKUs that would print smaller are stacked
QR_SIZE = 28.0  # mm: scans from a phone held over the printout
PORTAL_TEXT = (
    "Answer this purchase order online: confirm it, refuse lines, or record shipments with "
    "their tracking numbers. Scan the code or open the link; no account is needed."
)


def _change_row(change: DocumentChange) -> list[str]:
    if change.kind == "cancel_po":
        return ["", "The whole purchase order is cancelled", "", change.reason]
    old = "?" if change.old_quantity is None else str(change.old_quantity)
    new = str(change.new_quantity or 0)
    note = " (line cancelled)" if change.kind == "cancel_line" else ""
    return [change.supplier_sku or "", change.name or "", f"{old} → {new}{note}", change.reason]


def _contact(party: Party) -> list[str]:
    return [p for p in (party.phone, party.email) if p]


def _parties(pdf: Sheet, document: PurchaseOrderDocument, supplier_name: str) -> None:
    supplier = [supplier_name]
    if document.supplier_address is not None:
        supplier = postal_lines(document.supplier_address)
        if supplier_name not in supplier:
            supplier.insert(0, supplier_name)
    if document.account_number:
        supplier.append(f"Our account no.: {document.account_number}")
    buyer = postal_lines(document.buyer) + _contact(document.buyer)
    if document.vat_number:
        buyer.append(f"VAT no.: {document.vat_number}")
    ship_to = postal_lines(document.ship_to)
    if document.ship_to.phone:
        ship_to.append(document.ship_to.phone)
    ship_label = "Ship to (our customer)" if document.mode == "drop_ship" else "Deliver to"
    pdf.grid(
        [
            ["Supplier", "Ordered by", ship_label],
            ["\n".join(b) for b in (supplier, buyer, ship_to)],
        ],
        widths=(1, 1, 1),
        align=("LEFT", "LEFT", "LEFT"),
        borders="NONE",
    )


def _portal(pdf: Sheet, url: str) -> None:
    """The link to the PO's portal page, as a QR code beside the words and printed whole."""
    if pdf.get_y() + QR_SIZE + 12 > pdf.page_break_trigger:
        pdf.add_page()
    top, left = pdf.get_y(), pdf.l_margin
    png = io.BytesIO()
    segno.make(url, error="m").save(png, kind="png", scale=8, border=4)
    pdf.image(png, x=left, y=top, w=QR_SIZE, h=QR_SIZE, link=url)
    pdf.set_xy(left + QR_SIZE + 4, top + 3)
    pdf.set_font(pdf.family, "B", 10)
    pdf.multi_cell(0, 5, "Answer online", new_x="LEFT", new_y="NEXT")
    pdf.set_font(pdf.family, "", 9)
    pdf.multi_cell(0, 4.5, PORTAL_TEXT, new_x="LEFT", new_y="NEXT")
    pdf.set_xy(left, max(pdf.get_y(), top + QR_SIZE) + 1)
    text = pdf.clean(url)
    size = pdf.fit_size(text, pdf.epw - 2 * pdf.c_margin - 0.5, size=8)
    pdf.set_font(pdf.family, "", size)
    pdf.set_text_color(0, 0, 160)
    # A link longer than the page is wide (never, with portal tokens) breaks anywhere.
    pdf.multi_cell(0, 4, text, link=url, wrapmode=WrapMode.CHAR, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0)
    pdf.ln(3)


def _lines(pdf: Sheet, document: PurchaseOrderDocument, blind: bool) -> None:
    """The lines. The supplier's SKU and ours stand side by side while both fit at a good
    size; longer ones are stacked in one column, each on its own line, never broken."""
    fixed = [20.0] + ([] if blind else [22.0, 26.0])
    room = pdf.epw - sum(fixed)
    others_least = max(40.0, room * 0.3)
    theirs = ["Your SKU", *(line.supplier_sku for line in document.lines)]
    ours = ["Our SKU", *(line.sku for line in document.lines)]
    side_by_side = sum(
        max(pdf.width_of(code, SIDE_BY_SIDE_LEAST) for code in column) + 2 * PAD_X + 0.5
        for column in (theirs, ours)
    ) <= (room - others_least)
    if side_by_side:
        codes = pdf.code_widths([theirs, ours], room, others_least)
        rows = [[a, b] for a, b in zip(theirs, ours, strict=True)]
    else:
        codes = pdf.code_widths([theirs + ours], room, others_least)
        rows = [[f"{a}\n{b}"] for a, b in zip(theirs, ours, strict=True)]
    rows[0] += ["Item", "Quantity"] + ([] if blind else ["Unit cost", "Line total"])
    for row, line in zip(rows[1:], document.lines, strict=True):
        quantity = str(line.quantity)
        if line.pack_size > 1:
            quantity += f" packs of {line.pack_size}"
        row += [line.name, quantity]
        if not blind:
            row += [money(line.unit_cost), money(line.total)]
    if not blind:
        rows.append([""] * len(codes) + ["", "", "Total", money(document.total, document.currency)])
    align = ["LEFT"] * (len(codes) + 1) + ["RIGHT"] * len(fixed)
    widths = [*codes, room - sum(codes), *fixed]
    pdf.grid(rows, widths=widths, align=align, codes=frozenset(range(len(codes))))


def _changes(pdf: Sheet, document: PurchaseOrderDocument) -> None:
    rows = [["Your SKU", "Item", "Old → new quantity", "Reason"]]
    rows += [_change_row(c) for c in document.changes]
    room = pdf.epw - 34
    (code,) = pdf.code_widths([[r[0] for r in rows]], room, others_least=80)
    rest = (room - code) / 2
    pdf.grid(
        rows,
        widths=(code, rest, 34, rest),
        align=("LEFT", "LEFT", "RIGHT", "LEFT"),
        codes=frozenset({0}),
    )


def render_pdf(
    document: PurchaseOrderDocument, *, supplier_name: str, blind: bool, now: datetime | None = None
) -> bytes:
    """The PDF for `document`; `blind` leaves every price out."""
    pdf = Sheet(unicode_font(), fallback_fonts(document.ship_to.country_code))
    pdf.footer_text = f"{document.number} rev {document.revision}"
    pdf.set_title(f"{TITLES[document.kind]} {document.number}")
    pdf.set_creator("Tandem")
    if document.issued_at is not None:
        pdf.set_creation_date(document.issued_at)
    pdf.add_page()

    pdf.text_line(f"{TITLES[document.kind]} {document.number}", size=16, bold=True, height=8)
    issued = document.issued_at or now or datetime.now(UTC)
    meta = [f"Revision {document.revision}", f"Date {issued:%Y-%m-%d}"]
    if not blind:
        meta.append(f"Currency {document.currency}")
    pdf.text_line("   ".join(meta))
    if document.order_names:
        pdf.text_line(f"Customer order(s): {', '.join(document.order_names)}")
    terms = []
    if document.requested_delivery is not None and document.kind != "cancel":
        terms.append(f"Requested delivery by {document.requested_delivery:%Y-%m-%d}")
    if document.payment_terms and not blind:
        terms.append(f"Payment terms: {document.payment_terms}")
    if terms:
        pdf.text_line("   ".join(terms))
    pdf.ln(3)

    _parties(pdf, document, supplier_name)
    if document.portal_url:
        _portal(pdf, document.portal_url)

    if document.changes:
        pdf.text_line("Changes", size=11, bold=True, height=6)
        _changes(pdf, document)

    if document.kind != "cancel" and document.lines:
        if document.kind == "change":
            pdf.text_line("The purchase order now reads", size=11, bold=True, height=6)
        _lines(pdf, document, blind)

    if document.notes:
        pdf.text_line(f"Notes: {document.notes}")
    if document.kind == "test":
        pdf.text_line("This is a test. Do not ship anything.", bold=True)
    return bytes(pdf.output())
