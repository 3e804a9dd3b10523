"""Catalogue files are bounded: file size, any one value, row count, and what a spreadsheet
unpacks to, each refused with a clear message before the expensive step, so the daemon's
catalogue job cannot take the machine down (issue 11)."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from tandem.connector.catalogue.readers import read_table
from tandem.connector.catalogue.rows import check_rows
from tandem.connector.configuration.model import CatalogueConfig
from tandem.connector.errors import InputError

HEADER = b"supplier_sku,name,cost\n"


def result(path: Path, options: CatalogueConfig) -> list[object]:
    checked = check_rows(read_table(path, options), default_currency="EUR")
    return [*checked.offers.select("supplier_sku").rows(), *map(str, checked.problems)]


def refused(path: Path, options: CatalogueConfig) -> str:
    with pytest.raises(InputError) as caught:
        read_table(path, options)
    assert len(caught.value.problems) == 1
    return str(caught.value)


def test_a_huge_unquoted_field_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "feed.csv"
    path.write_bytes(HEADER + b"A,ok,1\nB," + b"x" * 50_000_000 + b",2\nC,ok,3\n")
    started = time.perf_counter()
    message = refused(path, CatalogueConfig(max_field_bytes=10_000))
    assert time.perf_counter() - started < 3
    assert message.startswith(f"{path}: line 3: more than 30,009 bytes")
    assert "catalogue.max_field_bytes (10,000)" in message


def test_a_long_value_is_one_rejected_row_and_the_others_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "feed.csv"
    # Quoted and spread over lines, so no one line is long: the row is set aside after reading.
    long = b'"' + b"word\n" * 400 + b'"'
    path.write_bytes(HEADER + b"A,ok,1\nB," + long + b",2\nC,ok,3\n")
    assert result(path, CatalogueConfig(max_field_bytes=1_000)) == [
        ("A",),
        ("C",),
        "line 3: name is 2,000 bytes, more than catalogue.max_field_bytes (1,000)",
    ]


def test_a_long_value_in_json_lines_is_rejected_alone(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text(
        '{"supplier_sku": "A", "cost": 1}\n'
        '{"supplier_sku": "B", "cost": 1, "name": "' + "x" * 5000 + '"}\n'
    )
    assert result(path, CatalogueConfig(max_field_bytes=1_000)) == [
        ("A",),
        "line 2: name is 5,000 bytes, more than catalogue.max_field_bytes (1,000)",
    ]


def test_too_many_rows_is_refused(tmp_path: Path) -> None:
    csv_path = tmp_path / "feed.csv"
    csv_path.write_bytes(HEADER + b"".join(b"S%d,n,1\n" % i for i in range(10)))
    assert refused(csv_path, CatalogueConfig(max_rows=5)) == (
        f"{csv_path}: more than catalogue.max_rows (5) rows; not imported"
    )
    assert len(result(csv_path, CatalogueConfig(max_rows=10))) == 10
    json_path = tmp_path / "feed.jsonl"
    json_path.write_text("".join(f'{{"supplier_sku": "S{i}", "cost": 1}}\n' for i in range(10)))
    assert "catalogue.max_rows (5)" in refused(json_path, CatalogueConfig(max_rows=5))


def test_a_file_past_max_file_bytes_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "feed.csv"
    path.write_bytes(HEADER + b"A,ok,1\n" * 100)
    assert refused(path, CatalogueConfig(max_file_bytes=500)) == (
        f"{path}: the file is 723 bytes, more than catalogue.max_file_bytes (500)"
    )


def test_a_spreadsheet_that_unpacks_too_far_is_refused_before_opening(tmp_path: Path) -> None:
    path = tmp_path / "feed.xlsx"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["supplier_sku", "cost"])
    for i in range(2000):
        sheet.append([f"S{i}", 1])
    book.save(path)
    unpacked = sum(m.file_size for m in zipfile.ZipFile(path).infolist())
    assert len(result(path, CatalogueConfig(max_unpacked_bytes=unpacked))) == 2000
    message = refused(path, CatalogueConfig(max_unpacked_bytes=unpacked - 1))
    assert f"the spreadsheet unpacks to {unpacked:,} bytes" in message
    assert "catalogue.max_unpacked_bytes" in message


def test_a_zip_bomb_spreadsheet_is_refused_quickly(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * 100_000_000 + b">")
    assert path.stat().st_size < 1_000_000
    started = time.perf_counter()
    message = refused(path, CatalogueConfig(max_unpacked_bytes=50_000_000))
    assert time.perf_counter() - started < 2
    assert "more than catalogue.max_unpacked_bytes (50,000,000)" in message


def test_a_huge_field_is_refused_without_reading_the_file_into_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tandem.connector.catalogue import readers

    def never(*_: object) -> bytes:
        raise AssertionError("the whole file was read")

    monkeypatch.setattr(readers, "read_bytes", never)
    path = tmp_path / "feed.csv"
    with path.open("wb") as out:  # the value spans many of the reader's megabyte chunks
        out.write(HEADER + b"A,ok,1\nB,")
        for _ in range(5):
            out.write(b"y" * 1_000_000)
        out.write(b",2\n")
    message = refused(path, CatalogueConfig(max_field_bytes=100_000))
    assert message.startswith(f"{path}: line 3: more than 300,009 bytes")
