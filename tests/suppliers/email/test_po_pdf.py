"""The PO PDF as its supplier reads it: SKUs whole, addresses in their country's order, our
company's and the supplier's details where configured, and the portal's link and QR code."""

from __future__ import annotations

import io
import os
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import segno
from pypdf import PdfReader

from tandem.adapters.suppliers.email import pdf
from tandem.adapters.suppliers.email.fonts import fallback_fonts
from tandem.connector.channels import DocumentLine, Party, PurchaseOrderDocument
from tests.suppliers.email.support import back_to_back, change_of, drop_ship

LONG = "ACME-GARDEN-SPADE-XL-2026-BLACK"
OURS = "SHOP-GARDEN-SPADE-XL-2026-BLACK-V2"
URL = (
    "https://tandem.example-shop.com/portal/po/"
    "WzEyMzQ1LCJhY21lIiwxNzk2NjExMTEwOTk3XQ.UmYBE_6B1NsuEbNGVqnPWSWqHkYnm8_wGOu6gZU-z9s"
)
TOKYO = Party(
    name="山田太郎",
    company="株式会社ヤマダ",
    address1="道玄坂1-2-3",
    city="渋谷区",
    province="Tokyo",
    province_code="JP-13",
    zip="150-0043",
    country="Japan",
    country_code="JP",
)
SPADES = (
    DocumentLine(
        sku="SPADE-XL",
        supplier_sku=LONG,
        name="Garden spade, extra large, black handle",
        quantity=4,
        unit_cost=Decimal("18.40"),
    ),
    DocumentLine(
        sku=OURS, supplier_sku="A-1", name="Gloves", quantity=2, unit_cost=Decimal("3.10")
    ),
)


def render(document: PurchaseOrderDocument, blind: bool = False) -> bytes:
    return pdf.render_pdf(document, supplier_name="ACME Supplies", blind=blind)


def text_of(content: bytes) -> str:
    # pypdf reads the embedded encoding fpdf2 writes for CFF fonts (Noto CJK) as one-byte
    # codes and puts a NUL before each CJK character; the PDF's ToUnicode map is right.
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages).replace("\x00", "")


def lines_of(content: bytes) -> list[str]:
    return [line.strip() for line in text_of(content).splitlines()]


def sizes_of(content: bytes, text: str) -> list[float]:
    """The point sizes `text` is printed at."""
    found: list[float] = []

    def visit(shown: str, _cm: Any, tm: Any, _font: Any, size: float) -> None:
        if text in shown:
            found.append(round(size * tm[0], 1))

    for page in PdfReader(io.BytesIO(content)).pages:
        page.extract_text(visitor_text=visit)
    return found


def images(content: bytes) -> list[Any]:
    return [image for page in PdfReader(io.BytesIO(content)).pages for image in page.images]


def need_cjk_font() -> None:
    if not fallback_fonts("JP") and not os.environ.get("CI"):
        pytest.skip("fonts-noto-cjk is not installed")


@pytest.mark.parametrize("blind", [False, True])
def test_long_skus_are_printed_whole_and_readable(blind: bool) -> None:
    content = render(back_to_back(lines=SPADES), blind=blind)
    printed = lines_of(content)
    for sku in (LONG, OURS, "SPADE-XL", "A-1"):
        assert sku in printed  # a line of its own, never broken over two
    for sku in (LONG, OURS):
        assert min(sizes_of(content, sku)) >= 8


def test_short_skus_stand_side_by_side_at_full_size() -> None:
    content = render(back_to_back())
    assert "ACME-123 W-1 Blue widget 5 12.50 62.50" in text_of(content)
    assert sizes_of(content, "ACME-123") == [9.0]


def test_a_sku_too_long_for_any_column_is_printed_smaller_but_never_broken() -> None:
    huge = "ACME-GARDEN-SPADE-XL-2026-BLACK-WITH-ASH-HANDLE-EU-PLUG"
    line = replace(SPADES[0], supplier_sku=huge)
    content = render(back_to_back(lines=(line,)))
    assert huge in lines_of(content)
    assert min(sizes_of(content, huge)) >= 5.5


def test_the_changes_table_keeps_skus_whole_too() -> None:
    document = change_of(back_to_back())
    document = replace(document, changes=(replace(document.changes[0], supplier_sku=LONG),))
    assert LONG in text_of(render(document))


def test_a_japanese_address_reads_from_the_postal_code_down_to_the_name() -> None:
    need_cjk_font()
    printed = lines_of(render(drop_ship(ship_to=TOKYO)))
    block = ["〒150-0043", "東京都", "渋谷区道玄坂1-2-3", "株式会社ヤマダ", "山田太郎", "JAPAN"]
    start = printed.index(block[0])
    assert printed[start : start + len(block)] == block


def test_a_german_address_puts_the_postal_code_before_the_town() -> None:
    berlin = Party(
        name="Jonas Weber",
        address1="Gartenweg 12",
        city="München",
        province="Bayern",
        zip="80331",
        country="Germany",
        country_code="DE",
    )
    printed = lines_of(render(drop_ship(ship_to=berlin)))
    start = printed.index("Jonas Weber")
    assert printed[start : start + 4] == ["Jonas Weber", "Gartenweg 12", "80331 MÜNCHEN", "GERMANY"]
    assert "Bayern" not in printed  # Germany does not write the state


def test_cyrillic_arabic_and_chinese_names_are_printed() -> None:
    need_cjk_font()
    moscow = Party(name="Иван Петров", address1="ул. Ленина, д. 1", city="Москва", zip="101000")
    riyadh = Party(name="محمد عبد الله", city="الرياض", zip="12271", country_code="SA")
    shanghai = Party(name="王小明", city="上海市", zip="200000", country="China")
    for party in (moscow, riyadh, shanghai):
        assert party.name in text_of(render(drop_ship(ship_to=party)))


def test_a_letter_no_installed_font_has_is_a_question_mark_not_a_gap(monkeypatch) -> None:
    monkeypatch.setattr(pdf, "fallback_fonts", lambda country_code: ())  # DejaVu alone
    content = render(drop_ship(ship_to=Party(name="สวัสดี Ann", city="Bangkok", zip="10200")))
    printed = text_of(content)
    assert "???? Ann" in printed  # Thai letters as ?, their vowel marks left out
    assert "ACME-123" in printed and "Bangkok" in printed


def test_our_company_and_the_suppliers_details_are_printed_when_configured() -> None:
    leeds = Party(name="ACME Supplies", address1="1 Industrial Way", city="Leeds", zip="LS1 4AP")
    document = back_to_back(
        vat_number="DE123456789",
        account_number="C-4471",
        payment_terms="30 days net",
        requested_delivery=date(2026, 5, 9),
        supplier_address=replace(leeds, country_code="GB"),
    )
    printed = lines_of(render(document))
    assert "VAT no.: DE123456789" in printed
    assert "Our account no.: C-4471" in printed
    assert "Requested delivery by 2026-05-09   Payment terms: 30 days net" in printed
    start = printed.index("1 Industrial Way")
    assert printed[start : start + 4] == ["1 Industrial Way", "LEEDS", "LS1 4AP", "UNITED KINGDOM"]
    assert "buyer@shop.example" in printed  # our contact


def test_nothing_unconfigured_is_printed() -> None:
    printed = text_of(render(back_to_back()))
    for absent in ("VAT", "account no.", "Payment terms", "Requested delivery", "Answer online"):
        assert absent not in printed


def test_blind_paperwork_leaves_the_payment_terms_out() -> None:
    document = drop_ship(blind_ship=True, payment_terms="30 days net")
    assert "Payment terms" not in text_of(render(document, blind=True))


def test_the_portal_link_is_printed_whole_beside_a_qr_code_that_holds_it() -> None:
    content = render(drop_ship(portal_url=URL))
    assert URL in lines_of(content)
    (image,) = images(content)
    qr = segno.make(URL, error="m")
    picture = image.image.convert("L")
    modules = len(qr.matrix)
    scale = picture.width / (modules + 8)  # a quiet zone of 4 modules each side
    assert picture.width == picture.height and scale == int(scale)
    dark = [
        [
            picture.getpixel((int((4 + x + 0.5) * scale), int((4 + y + 0.5) * scale))) < 128
            for x in range(modules)
        ]
        for y in range(modules)
    ]
    assert dark == [[bool(v) for v in row] for row in qr.matrix]
    page = PdfReader(io.BytesIO(content)).pages[0]
    links = {a.get_object()["/A"]["/URI"] for a in page["/Annots"]}
    assert links == {URL}  # the code and the printed link both open it


def test_without_a_portal_link_there_is_no_qr_code() -> None:
    content = render(drop_ship())
    assert images(content) == []
    assert "/portal/" not in text_of(content)


def test_the_core_font_fallback_still_prints_the_link_and_code(monkeypatch) -> None:
    monkeypatch.setattr(pdf, "unicode_font", lambda: None)
    content = render(drop_ship(portal_url=URL, account_number="C-4471"))
    assert URL in lines_of(content) and len(images(content)) == 1
    assert "Our account no.: C-4471" in text_of(content)


def test_thai_names_and_emoji_a_customer_typed_are_printed() -> None:
    from tandem.adapters.suppliers.email.fonts import SYMBOL_FONTS

    if not any(p.is_file() for p in SYMBOL_FONTS) and not os.environ.get("CI"):
        pytest.skip("fonts-symbola and fonts-noto-core are not installed")
    bangkok = Party(name="สมชาย ใจดี 🌻", address1="99 ถนนสุขุมวิท ☂", city="Bangkok", zip="10110")
    printed = text_of(render(drop_ship(ship_to=bangkok)))
    assert "?" not in printed.split("Bangkok")[0][-60:]  # nothing drawn as a question mark
    assert "🌻" in printed and "☂" in printed
    assert "ใจดี" in printed
