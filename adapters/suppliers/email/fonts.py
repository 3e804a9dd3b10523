"""The fonts a PO PDF is written in, so that every name a customer types is printed.

DejaVu Sans draws Latin, Greek, Cyrillic, Arabic, Hebrew, Armenian and Georgian; fpdf2's text
shaping (uharfbuzz) joins Arabic letters and runs right-to-left text the right way. Scripts
DejaVu lacks come from fallback fonts, loaded only for a document that needs them (the CJK
collection alone takes a third of a second to read): Noto Sans CJK (fonts-noto-cjk) in the
face of the ship-to country (Japanese, Korean, Simplified or Traditional Chinese), and the
Noto Sans fonts of other scripts where fonts-noto-core is installed. A character no font has
is printed as `?` rather than left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),  # Debian, Ubuntu
    Path("/usr/share/fonts/dejavu-sans-fonts"),  # Fedora
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),  # Arch
    Path("/usr/local/share/fonts"),
    Path("/Library/Fonts"),
)
CJK_DIRS = (
    Path("/usr/share/fonts/opentype/noto"),  # Debian, Ubuntu: fonts-noto-cjk
    Path("/usr/share/fonts/google-noto-cjk"),  # Fedora
    Path("/usr/share/fonts/noto-cjk"),  # Arch
)
NOTO_DIRS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/noto"))
# Emoji and symbols: Symbola (fonts-symbola).
SYMBOL_FONTS = (
    Path("/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf"),  # Debian, Ubuntu
    Path("/usr/share/fonts/gdouros-symbola/Symbola.ttf"),  # Fedora
)
# Scripts of fonts-noto-core that DejaVu does not draw.
NOTO_SCRIPTS = (
    "Thai",
    "Devanagari",
    "Bengali",
    "Tamil",
    "Telugu",
    "Gujarati",
    "Gurmukhi",
    "Kannada",
    "Malayalam",
    "Sinhala",
    "Khmer",
    "Lao",
    "Myanmar",
    "Ethiopic",
)
# Faces of the Noto Sans CJK collection, in its order; the ship-to country picks one, since
# the same Han character is drawn differently in each.
CJK_FACES = {"JP": 0, "KR": 1, "CN": 2, "SG": 2, "TW": 3, "HK": 4, "MO": 4}


@dataclass(frozen=True)
class Face:
    """A fallback font file; `index` is the face within a collection (.ttc). Only the
    regular weight: what a customer types is never printed bold, and reading a bold CJK
    face would double the time."""

    path: Path
    index: int = 0


def _pair(folder: Path, regular: str, bold: str) -> tuple[Path, Path] | None:
    path = folder / regular
    if not path.is_file():
        return None
    bold_path = folder / bold
    return path, bold_path if bold_path.is_file() else path


@cache
def unicode_font() -> tuple[Path, Path] | None:
    """DejaVu Sans (regular, bold) if installed, else None."""
    for folder in FONT_DIRS:
        if pair := _pair(folder, "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
            return pair
    return None


@cache
def fallback_fonts(country_code: str | None = None) -> tuple[Face, ...]:
    """The fonts installed for scripts DejaVu lacks, CJK first (in `country_code`'s face)."""
    found: list[Face] = []
    for folder in CJK_DIRS:
        path = folder / "NotoSansCJK-Regular.ttc"
        if path.is_file():
            found.append(Face(path, index=CJK_FACES.get((country_code or "").upper(), 0)))
            break
    for script in NOTO_SCRIPTS:
        for folder in NOTO_DIRS:
            path = folder / f"NotoSans{script}-Regular.ttf"
            if path.is_file():
                found.append(Face(path))
                break
    # Emoji and symbols last, in black and white (a PDF font cannot be a colour bitmap).
    for path in SYMBOL_FONTS:
        if path.is_file():
            found.append(Face(path))
            break
    return tuple(found)
