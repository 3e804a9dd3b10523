"""What makes half a million rows quick keeps the results exact: line lengths are bounded
however the file is read in pieces, and rows with plainly written numbers, read by the quick
path, come out in file order beside rows that need the full rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from tandem.connector.catalogue import limits
from tandem.connector.catalogue.readers import read_table
from tandem.connector.catalogue.rows import check_rows
from tandem.connector.configuration.model import CatalogueConfig
from tandem.connector.errors import InputError

HEADER = b"supplier_sku,name,cost\n"


def refusal(path: Path, options: CatalogueConfig) -> str:
    with pytest.raises(InputError) as caught:
        read_table(path, options)
    return str(caught.value)


def test_a_long_line_is_found_across_the_pieces_the_file_is_read_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "_CHUNK", 32)  # the header fits; long lines span pieces
    options = CatalogueConfig(max_field_bytes=5)  # 3 fields: 24 bytes a line, 96 on disk
    path = tmp_path / "feed.csv"
    path.write_bytes(HEADER + b"A,b,1\r\nB,c,2\n" + b"C," + b"x" * 110 + b",3\nD,e,4\n")
    assert refusal(path, options).startswith(f"{path}: line 4: more than 24 bytes")
    path.write_bytes(HEADER + b"A,b,1\n" * 20 + b"B," + b"y" * 30 + b",2\n")
    assert refusal(path, options).startswith(f"{path}: line 22: more than 24 bytes")
    path.write_bytes(HEADER + b"A,b,1\nB,cc,22\n" * 20)
    assert read_table(path, options).frame.height == 40


def test_plain_and_written_out_numbers_mixed_keep_file_order(tmp_path: Path) -> None:
    path = tmp_path / "feed.csv"
    path.write_text(
        "supplier_sku,cost,stock,pack_size\n"
        "A,12.50,5,1\n"
        'B,"1,234.5",7,2\n'  # grouped thousands
        "C,3,+8,1\n"
        "D,4.1234567,1,1\n"  # too precise
        "E,0005.000000,,6\n"
        "F,2,1.0,1\n"  # a whole number written with a decimal point
        "G,-1,1,1\n"
    )
    options = CatalogueConfig.model_validate({"columns": {"pack_size": "pack_size"}})
    checked = check_rows(read_table(path, options), default_currency="EUR")
    assert checked.offers.select("supplier_sku", "cost_micros", "stock", "pack_size").rows() == [
        ("A", 12_500_000, 5, 1),
        ("B", 1_234_500_000, 7, 2),
        ("C", 3_000_000, 8, 1),
        ("E", 5_000_000, None, 6),
        ("F", 2_000_000, 1, 1),
    ]
    assert [str(p) for p in checked.problems] == [
        'line 5: cost "4.1234567" has more than 6 decimal places',
        'line 8: cost "-1" is negative',
    ]
