"""The page a PO PDF is drawn on (fpdf2): its fonts, text made drawable, and tables whose
codes (SKUs) are never broken across lines.

fpdf2's core fonts only know Latin-1, and customer names and addresses do not keep to it.
DejaVu Sans and the fallback fonts of `fonts` are used when the machine has them; otherwise
Helvetica, with every character it cannot draw replaced, so a PDF is always produced.

A SKU broken over two lines is misread or mistyped by whoever keys the PO in: cells that hold
codes are measured and printed smaller where needed, never wrapped (see `fit_size`).
"""

from __future__ import annotations

import contextlib
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF
from fpdf.errors import FPDFException
from fpdf.fonts import FontFace, TTFFont

from tandem.adapters.suppliers.email.fonts import Face

BODY_SIZE = 9.0  # points, table text
SMALLEST = 5.5  # points: a code is printed no smaller than this
PAD_X, PAD_Y = 1.5, 1.0  # mm, table cell padding
_PLAIN = str.maketrans({"—": "-", "–": "-", "→": "->", "‘": "'", "’": "'", "“": '"', "”": '"'})
_PLAIN_MORE = {"…": "...", "€": "EUR", "•": "*", "Œ": "OE", "œ": "oe"}
_PLAIN_MORE.update(zip("ŁłĐđĦħıŀĿŦŧ", "LlDdHhilLTt", strict=True))


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


def _code_points(pdf: FPDF, key: str) -> set[int]:
    font = pdf.fonts[key]
    return set(font.cmap) if isinstance(font, TTFFont) else set()


class Sheet(FPDF):
    """An A4 page in DejaVu Sans (`font`), or Helvetica when `font` is None; `fallbacks`
    are read the first time a text needs a character DejaVu lacks."""

    def __init__(self, font: tuple[Path, Path] | None, fallbacks: Sequence[Face] = ()) -> None:
        super().__init__(format="A4")
        self.footer_text = ""
        self._fallbacks: Sequence[Face] | None = fallbacks
        self._drawn: set[int] = set()  # code points some loaded font draws
        if font is None:
            self.family = "Helvetica"
        else:
            self.family = "DejaVu"
            self.add_font("DejaVu", "", str(font[0]))
            self.add_font("DejaVu", "B", str(font[1]))
            self._drawn.update(_code_points(self, "dejavu"))
            # Arabic joined, right-to-left runs reordered; without uharfbuzz letters still
            # print, unjoined.
            with contextlib.suppress(FPDFException):
                self.set_text_shaping(True)
        self.set_auto_page_break(auto=True, margin=15)
        self.set_margins(15, 15, 15)

    def _load_fallbacks(self) -> None:
        if not self._fallbacks:
            return
        names = []
        for number, face in enumerate(self._fallbacks):
            name = f"fallback{number}"
            self.add_font(name, "", str(face.path), collection_font_number=face.index)
            self._drawn.update(_code_points(self, name))
            names.append(name)
        self.set_fallback_fonts(names, exact_match=False)
        self._fallbacks = None

    def clean(self, text: str) -> str:
        """`text` as this sheet can draw it: what no font has becomes `?` (an unknown
        combining mark is left out), never a gap that hides the rest."""
        if self.family == "Helvetica":
            return latin1(text)
        out = []
        for ch in text:
            drawn = ch
            if ord(ch) not in self._drawn and unicodedata.category(ch)[0] in "LMNPS":
                self._load_fallbacks()
                if ord(ch) not in self._drawn:
                    drawn = "" if unicodedata.combining(ch) else "?"
            out.append(drawn)
        return "".join(out)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family, "", 8)
        self.cell(0, 6, self.clean(f"{self.footer_text} - page {self.page_no()}/{{nb}}"), align="C")

    def text_line(self, text: str, size: float = 10, bold: bool = False, height: float = 5) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.multi_cell(0, height, self.clean(text), new_x="LMARGIN", new_y="NEXT")

    def width_of(self, text: str, size: float = BODY_SIZE, bold: bool = False) -> float:
        """How wide `text` is printed at `size` points, in mm."""
        self.set_font(self.family, "B" if bold else "", size)
        return float(self.get_string_width(self.clean(text)))

    def fit_size(self, text: str, room: float, size: float = BODY_SIZE) -> float:
        """The largest size up to `size` at which each line of `text` fits on one line `room`
        mm wide (never below SMALLEST: a code longer than that still wraps)."""
        width = max(self.width_of(line, size) for line in text.split("\n"))
        if width <= room:
            return size
        return max(SMALLEST, int(size * room / width * 10) / 10)

    def code_widths(
        self, columns: Sequence[Sequence[str]], room: float, others_least: float
    ) -> list[float]:
        """Widths in mm for columns of codes (a heading, then the codes), sharing `room` with
        the columns around them, which keep at least `others_least` mm: each as wide as its
        longest code at the body size if they all fit, else all printed smaller alike."""
        pad = 2 * PAD_X + 0.5
        natural = [
            max(
                self.width_of(column[0], bold=True),
                *(self.width_of(code) for code in column[1:]),
                10.0,
            )
            for column in columns
        ]
        budget = room - others_least
        if sum(natural) + pad * len(columns) <= budget:
            return [n + pad for n in natural]
        size = BODY_SIZE * (budget - pad * len(columns)) / sum(natural)
        scale = max(size, SMALLEST) / BODY_SIZE
        widths = [n * scale + pad for n in natural]
        # Even the smallest print too wide: the other columns give up room, down to 25 mm.
        most = room - min(others_least, 25.0)
        if sum(widths) > most:
            widths = [w * most / sum(widths) for w in widths]
        return widths

    def grid(
        self,
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        align: Sequence[str],
        *,
        codes: frozenset[int] = frozenset(),
        borders: str = "SINGLE_TOP_LINE",
        headings: bool = True,
    ) -> None:
        """A table `widths` mm wide per column; the columns numbered in `codes` hold codes,
        printed on one line (smaller where needed)."""
        self.set_font(self.family, "", BODY_SIZE)
        scale = self.epw / sum(widths)
        with self.table(
            col_widths=tuple(widths),
            text_align=tuple(align),
            borders_layout=borders,
            first_row_as_headings=headings,
            headings_style=FontFace(emphasis="BOLD"),
            line_height=5,
            padding=(PAD_Y, PAD_X),
            width=self.epw,
            v_align="TOP",
        ) as table:
            for number, values in enumerate(rows):
                row = table.row()
                for column, value in enumerate(values):
                    text = self.clean(value)
                    style = None
                    if column in codes and text and not (headings and number == 0):
                        size = self.fit_size(text, widths[column] * scale - 2 * PAD_X - 0.3)
                        if size < BODY_SIZE:
                            style = FontFace(size_pt=size)
                    row.cell(text, style=style)
        self.ln(3)
