"""The PO as a PDF attachment (fpdf2): header, addresses, what changed, lines and total.

fpdf2's core fonts only know Latin-1, and customer names and addresses do not keep to it. A
Unicode TrueType font (DejaVu Sans) is used when the machine has one; otherwise Helvetica,
with every character it cannot draw replaced, so a PDF is always produced.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from adapters.suppliers.money import money
from connector.channels import DocumentChange, PurchaseOrderDocument

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),  # Debian, Ubuntu
    Path("/usr/share/fonts/dejavu-sans-fonts"),  # Fedora
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),  # Arch
    Path("/usr/local/share/fonts"),
    Path("/Library/Fonts"),
)
TITLES = {
    "order": "Purchase order",
    "change": "Change to purchase order",
    "cancel": "Cancellation of purchase order",
    "test": "TEST - please ignore - purchase order",
}
_PLAIN = str.maketrans({"—": "-", "–": "-", "→": "->", "‘": "'", "’": "'", "“": '"', "”": '"'})
_PLAIN_MORE = {"…": "...", "€": "EUR", "•": "*", "Œ": "OE", "œ": "oe"}
_PLAIN_MORE.update(zip("ŁłĐđĦħıŀĿŦŧ", "LlDdHhilLTt", strict=True))


@cache
def unicode_font() -> tuple[Path, Path] | None:
    """DejaVu Sans (regular, bold) if installed, else None."""
    for folder in FONT_DIRS:
        regular = folder / "DejaVuSans.ttf"
        if regular.is_file():
            bold = folder / "DejaVuSans-Bold.ttf"
            return regular, bold if bold.is_file() else regular
    return None


def latin1(text: str) -> str:
    """`text` drawable by a core font: accents kept where Latin-1 has them, else stripped,
    anything else shown as `?`."""
    out = []
    for ch in text.translate(_PLAIN):
        if ord(ch) < 256:
            out.append(ch)
        elif ch in _PLAIN_MORE:
            out.append(_PLAIN_MORE[ch])
        else:
            base = "".join(
                c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
            )
            out.append(base if base and all(ord(c) < 256 for c in base) else "?")
    return "".join(out)


def _unchanged(text: str) -> str:
    return text


class _Sheet(FPDF):
    def __init__(self, font: tuple[Path, Path] | None) -> None:
        super().__init__(format="A4")
        if font is None:
            self.family = "Helvetica"
            self.clean: Callable[[str], str] = latin1
        else:
            self.family = "DejaVu"
            self.add_font("DejaVu", "", str(font[0]))
            self.add_font("DejaVu", "B", str(font[1]))
            self.clean = _unchanged
        self.footer_text = ""
        self.set_auto_page_break(auto=True, margin=15)
        self.set_margins(15, 15, 15)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family, "", 8)
        self.cell(0, 6, self.clean(f"{self.footer_text} - page {self.page_no()}/{{nb}}"), align="C")

    def text_line(self, text: str, size: float = 10, bold: bool = False, height: float = 5) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.multi_cell(0, height, self.clean(text), new_x="LMARGIN", new_y="NEXT")

    def grid(
        self,
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        align: Sequence[str],
        *,
        borders: str = "SINGLE_TOP_LINE",
        headings: bool = True,
    ) -> None:
        self.set_font(self.family, "", 9)
        with self.table(
            col_widths=tuple(widths),
            text_align=tuple(align),
            borders_layout=borders,
            first_row_as_headings=headings,
            headings_style=FontFace(emphasis="BOLD"),
            line_height=5,
            padding=(1, 1.5),
            width=self.epw,
            v_align="TOP",
        ) as table:
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(self.clean(value))
        self.ln(3)


def _change_row(change: DocumentChange) -> list[str]:
    if change.kind == "cancel_po":
        return ["", "The whole purchase order is cancelled", "", change.reason]
    old = "?" if change.old_quantity is None else str(change.old_quantity)
    new = str(change.new_quantity or 0)
    note = " (line cancelled)" if change.kind == "cancel_line" else ""
    return [change.supplier_sku or "", change.name or "", f"{old} → {new}{note}", change.reason]


def render_pdf(
    document: PurchaseOrderDocument, *, supplier_name: str, blind: bool, now: datetime | None = None
) -> bytes:
    """The PDF for `document`; `blind` leaves every price out."""
    pdf = _Sheet(unicode_font())
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
    pdf.ln(3)

    ship_label = "Ship to (our customer)" if document.mode == "drop_ship" else "Deliver to"
    buyer = document.buyer.lines() + ([document.buyer.email] if document.buyer.email else [])
    pdf.grid(
        [
            ["Supplier", "Ordered by", ship_label],
            [supplier_name, "\n".join(buyer), "\n".join(document.ship_to.lines())],
        ],
        widths=(1, 1, 1),
        align=("LEFT", "LEFT", "LEFT"),
        borders="NONE",
    )

    if document.changes:
        pdf.text_line("Changes", size=11, bold=True, height=6)
        pdf.grid(
            [["Your SKU", "Item", "Old → new quantity", "Reason"]]
            + [_change_row(c) for c in document.changes],
            widths=(3, 5, 3, 5),
            align=("LEFT", "LEFT", "RIGHT", "LEFT"),
        )

    if document.kind != "cancel" and document.lines:
        if document.kind == "change":
            pdf.text_line("The purchase order now reads", size=11, bold=True, height=6)
        head = ["Your SKU", "Our SKU", "Item", "Quantity"]
        widths: list[float] = [3, 3, 6, 2]
        align = ["LEFT", "LEFT", "LEFT", "RIGHT"]
        if not blind:
            head += ["Unit cost", "Line total"]
            widths += [2.5, 2.5]
            align += ["RIGHT", "RIGHT"]
        rows = [head]
        for line in document.lines:
            quantity = str(line.quantity)
            if line.pack_size > 1:
                quantity += f" packs of {line.pack_size}"
            row = [line.supplier_sku, line.sku, line.name, quantity]
            if not blind:
                row += [money(line.unit_cost), money(line.total)]
            rows.append(row)
        if not blind:
            rows.append(["", "", "", "", "Total", money(document.total, document.currency)])
        pdf.grid(rows, widths=widths, align=align)

    if document.notes:
        pdf.text_line(f"Notes: {document.notes}")
    if document.kind == "test":
        pdf.text_line("This is a test. Do not ship anything.", bold=True)
    return bytes(pdf.output())
