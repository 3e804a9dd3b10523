"""Reading and checking catalogue rows: SKUs stay text, money stays exact, and every rejected
row is named by the place a user would look for it (line, row or item) and the reason."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from tandem.connector.catalogue.readers import RowProblem, read_table
from tandem.connector.catalogue.rows import CheckedRows, check_rows
from tandem.connector.configuration.model import CatalogueConfig
from tandem.connector.errors import InputError

HEADER = "sku,supplier_sku,name,cost,stock\n"


def options(**values: Any) -> CatalogueConfig:
    return CatalogueConfig.model_validate(values)


def check(path: Path, opts: CatalogueConfig | None = None, currency: str = "USD") -> CheckedRows:
    opts = opts or options()
    return check_rows(
        read_table(path, opts), default_currency=currency, decimal_comma=opts.decimal_comma
    )


def csv(tmp_path: Path, text: str, name: str = "feed.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def offers(checked: CheckedRows, *columns: str) -> list[tuple[Any, ...]]:
    return checked.offers.select(columns or ["sku", "supplier_sku", "cost_micros"]).rows()


def problems(checked: CheckedRows) -> list[str]:
    return [str(p) for p in checked.problems]


# --- SKUs stay text -------------------------------------------------------------------------


def test_csv_skus_keep_their_leading_zeros(tmp_path: Path) -> None:
    checked = check(csv(tmp_path, HEADER + "00123,000456,Spade,19.99,5\n0,007,Rake,1,\n"))
    assert offers(checked, "sku", "supplier_sku", "name", "stock") == [
        ("00123", "000456", "Spade", 5),
        ("0", "007", "Rake", None),
    ]
    assert checked.problems == [] and checked.rows_total == 2


def test_xlsx_string_cells_keep_their_leading_zeros(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["sku", "supplier_sku", "name", "cost", "stock"])
    sheet.append(["00123", "000456", "Spade", 19.99, 5])
    sheet.append(["00124", "000457", "Rake", "7.5", None])
    path = tmp_path / "feed.xlsx"
    book.save(path)
    checked = check(path)
    assert offers(checked, "sku", "supplier_sku", "cost_micros", "stock") == [
        ("00123", "000456", 19_990_000, 5),
        ("00124", "000457", 7_500_000, None),
    ]


def test_xlsx_costs_are_read_as_the_sheet_shows_them(tmp_path: Path) -> None:
    """Excel stores a computed price as the nearest float in full (=19.99*1.2 is saved as
    23.987999999999996) but shows 15 significant digits; the cost is what the user sees."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["supplier_sku", "cost"])
    for n, cost in enumerate([23.988, 0.3, 1e-6, 1234567.5, 12.0], start=1):
        sheet.append([f"S{n}", cost])
    written = tmp_path / "openpyxl.xlsx"
    book.save(written)
    # openpyxl writes floats shortened; put back the digits Excel itself would write.
    path = tmp_path / "feed.xlsx"
    with zipfile.ZipFile(written) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<v>23.988</v>", f"<v>{19.99 * 1.2!r}</v>".encode())
                data = data.replace(b"<v>0.3</v>", f"<v>{0.1 + 0.2!r}</v>".encode())
                assert b"23.987999999999996" in data and b"0.30000000000000004" in data
            target.writestr(item, data)
    checked = check(path)
    assert problems(checked) == []
    assert offers(checked, "cost_micros") == [
        (23_988_000,),
        (300_000,),
        (1,),
        (1_234_567_500_000,),
        (12_000_000,),
    ]


def test_json_skus_and_costs_keep_every_digit(tmp_path: Path) -> None:
    path = tmp_path / "feed.json"
    path.write_text(
        '[{"sku": "00123", "supplier_sku": "0042", "cost": 19.99, "stock": 3},'
        ' {"sku": "00124", "supplier_sku": 43, "cost": "0.000001"}]'
    )
    checked = check(path)
    assert offers(checked, "sku", "supplier_sku", "cost_micros", "stock") == [
        ("00123", "0042", 19_990_000, 3),
        ("00124", "43", 1, None),
    ]


def test_store_sku_defaults_to_the_supplier_sku_when_the_file_has_no_sku_column(
    tmp_path: Path,
) -> None:
    checked = check(csv(tmp_path, "supplier_sku,cost\n00099,2\n"))
    assert offers(checked, "sku", "supplier_sku", "name") == [("00099", "00099", "00099")]


# --- Money is exact -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cost", "micros"),
    [
        ("19.99", 19_990_000),
        ("0.1", 100_000),
        ("1,234.50", 1_234_500_000),
        ("1,234,567", 1_234_567_000_000),
        ("12.345678", 12_345_678),
        (" 7 ", 7_000_000),
        ("-0", 0),
        ("999999999999.999999", 999_999_999_999_999_999),
    ],
)
def test_costs_become_exact_micros(tmp_path: Path, cost: str, micros: int) -> None:
    checked = check(csv(tmp_path, f'supplier_sku,cost\nA,"{cost}"\n'))
    assert problems(checked) == []
    assert offers(checked, "cost_micros") == [(micros,)]


@pytest.mark.parametrize(
    ("cost", "micros"),
    [("12,50", 12_500_000), ("1.234,50", 1_234_500_000), ("3", 3_000_000), ("0,000001", 1)],
)
def test_decimal_comma_reads_european_costs(tmp_path: Path, cost: str, micros: int) -> None:
    path = csv(tmp_path, f"supplier_sku;cost\nA;{cost}\n")
    checked = check(path, options(delimiter=";", decimal_comma=True))
    assert problems(checked) == []
    assert offers(checked, "cost_micros") == [(micros,)]


def test_without_decimal_comma_a_comma_is_not_a_decimal_point(tmp_path: Path) -> None:
    checked = check(csv(tmp_path, 'supplier_sku,cost\nA,"12,50"\n'))
    assert offers(checked) == []
    assert problems(checked) == ['line 2: cost "12,50" is not a number']


# --- Bad rows: where and why --------------------------------------------------------------


def test_each_bad_row_is_named_by_line_column_header_and_value(tmp_path: Path) -> None:
    opts = options(
        columns={
            "supplier_sku": "Item",
            "cost": "Price",
            "currency": "Cur",
            "pack_size": "Pack",
            "stock": "Qty",
        }
    )
    path = csv(
        tmp_path,
        "Item,Price,Cur,Pack,Qty\n"
        "A1,10.00,EUR,1,5\n"  # line 2: good
        "A2,,EUR,1,5\n"  # line 3
        "A3,ten,EUR,1,5\n"  # line 4
        "A4,-2.50,EUR,1,5\n"  # line 5
        "A5,1.1234567,EUR,1,5\n"  # line 6
        "A6,3,EURO,1,5\n"  # line 7
        "A7,3,usd,0,5\n"  # line 8
        "A8,3,,2,-1\n"  # line 9
        "A9,3,,2,2.5\n"  # line 10
        ",3,,2,1\n"  # line 11
        "A1,4,,1,1\n",  # line 12: the supplier SKU of line 2 again
    )
    checked = check(path, opts)
    assert problems(checked) == [
        "line 3: Price is empty",
        'line 4: Price "ten" is not a number',
        'line 5: Price "-2.50" is negative',
        'line 6: Price "1.1234567" has more than 6 decimal places',
        'line 7: Cur "EURO" is not a 3-letter currency code',
        'line 8: Pack "0" is below 1',
        'line 9: Qty "-1" is negative',
        'line 10: Qty "2.5" is not a whole number',
        "line 11: Item is empty",
        'line 12: supplier SKU "A1" already on line 2',
    ]
    assert offers(checked, "supplier_sku", "cost_micros", "currency") == [("A1", 10_000_000, "EUR")]
    assert checked.rows_total == 11
    assert all(isinstance(p, RowProblem) for p in checked.problems)


def test_currency_defaults_to_the_suppliers_and_is_upper_cased(tmp_path: Path) -> None:
    opts = options(columns={"currency": "currency"})
    checked = check(csv(tmp_path, "supplier_sku,cost,currency\nA,1,gbp\nB,2,\n"), opts, "CHF")
    assert offers(checked, "supplier_sku", "currency") == [("A", "GBP"), ("B", "CHF")]


def test_line_numbers_count_the_lines_of_a_quoted_multi_line_cell(tmp_path: Path) -> None:
    path = csv(
        tmp_path,
        HEADER
        + '001,A,"Spade\nwith a long\nhandle",19.99,5\n'  # lines 2-4
        + "002,B,Rake,oops,1\n"  # line 5
        + '003,C,"Hoe\r\nsmall",,1\n'  # lines 6-7
        + "004,D,Fork,abc,1\n",  # line 8
    )
    checked = check(path)
    assert problems(checked) == [
        'line 5: cost "oops" is not a number',
        "line 6: cost is empty",
        'line 8: cost "abc" is not a number',
    ]
    assert offers(checked, "name") == [("Spade\nwith a long\nhandle",)]


def test_line_numbers_count_a_header_spanning_two_lines(tmp_path: Path) -> None:
    opts = options(columns={"cost": "unit\ncost"})
    checked = check(csv(tmp_path, 'supplier_sku,"unit\ncost"\nA,1\nB,x\n'), opts)
    assert problems(checked) == ['line 4: unit\ncost "x" is not a number']


def test_line_numbers_count_empty_lines_above_the_header(tmp_path: Path) -> None:
    path = tmp_path / "feed.csv"
    path.write_bytes(b"\xef\xbb\xbf\r\n\nsupplier_sku,cost\r\nA,1\r\nB,x\r\n")
    checked = check(path)
    assert problems(checked) == ['line 5: cost "x" is not a number']


def test_blank_lines_are_ignored_but_counted(tmp_path: Path) -> None:
    path = csv(tmp_path, HEADER + "\n001,A,Spade,1,\n\n   \n,,,,\n002,B,Rake,x,\n\n")
    checked = check(path)
    assert problems(checked) == ['line 7: cost "x" is not a number']
    assert offers(checked, "supplier_sku") == [("A",)]
    assert checked.rows_total == 2


def test_a_long_bad_value_is_cut_short_in_the_message(tmp_path: Path) -> None:
    checked = check(csv(tmp_path, f"supplier_sku,cost\nA,{'9' * 20}x\n"))
    [problem] = problems(checked)
    assert problem == f'line 2: cost "{"9" * 20}x" is not a number'
    checked = check(csv(tmp_path, f"supplier_sku,cost\nA,{'x' * 100}\n"))
    [problem] = problems(checked)
    assert problem == f'line 2: cost "{"x" * 60}…" is not a number'


def test_a_line_with_more_fields_than_the_header_is_a_rejected_row(tmp_path: Path) -> None:
    path = csv(tmp_path, "sku,supplier_sku,cost\n1,A,2,extra,fields\n2,B,3\n")
    checked = check(path)
    assert problems(checked) == [
        "line 2: 5 fields where the header has 3 (is a ',' inside a value not quoted?)"
    ]
    assert offers(checked, "supplier_sku") == [("B",)]
    assert checked.rows_total == 2


# --- Columns and formats ------------------------------------------------------------------


def test_a_missing_mapped_column_names_it_and_lists_the_files_headers(tmp_path: Path) -> None:
    opts = options(columns={"cost": "Unit Price"})
    with pytest.raises(InputError) as caught:
        check(csv(tmp_path, "sku,supplier_sku,Price,Stock\n1,A,2,3\n"), opts)
    [message] = caught.value.problems
    assert message == (
        "no column 'Unit Price' (the file has 'sku', 'supplier_sku', 'Price', 'Stock')"
    )
    assert str(caught.value).startswith(str(tmp_path / "feed.csv"))


def test_an_optional_column_named_in_the_config_must_exist(tmp_path: Path) -> None:
    opts = options(columns={"lead_time_days": "Lead"})
    with pytest.raises(InputError, match="no column 'Lead'"):
        check(csv(tmp_path, "supplier_sku,cost\nA,1\n"), opts)


def test_headers_match_ignoring_case_and_spaces(tmp_path: Path) -> None:
    opts = options(columns={"supplier_sku": "Item No", "cost": "Cost"})
    checked = check(csv(tmp_path, " item no ,COST\nA,1.50\n"), opts)
    assert offers(checked, "supplier_sku", "cost_micros") == [("A", 1_500_000)]


def test_latin_1_file_with_a_euro_sign(tmp_path: Path) -> None:
    path = csv(
        tmp_path,
        "supplier_sku,name,cost\nA,Café crème 5€,2.50\n",
        encoding="cp1252",  # what "latin-1" files really are: € is 0x80
    )
    assert b"\x80" in path.read_bytes()
    checked = check(path, options(encoding="latin-1"))
    assert offers(checked, "name", "cost_micros") == [("Café crème 5€", 2_500_000)]
    with pytest.raises(InputError, match=r"line 2: not UTF-8 text; set catalogue\.encoding"):
        check(path)


def test_a_tsv_file_is_read_with_tabs(tmp_path: Path) -> None:
    checked = check(csv(tmp_path, "supplier_sku\tcost\n007\t1.25\n", name="feed.tsv"))
    assert offers(checked, "supplier_sku", "cost_micros") == [("007", 1_250_000)]


def test_an_unknown_extension_asks_for_the_format(tmp_path: Path) -> None:
    path = csv(tmp_path, HEADER, name="feed.dat")
    with pytest.raises(InputError, match=r"extension '\.dat'.*set catalogue.format"):
        check(path)
    checked = check(
        csv(tmp_path, "supplier_sku,cost\nA,1\n", name="feed.dat"), options(format="csv")
    )
    assert offers(checked, "supplier_sku") == [("A",)]


def test_an_empty_csv_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="empty"):
        check(csv(tmp_path, ""))


def test_json_array_positions_are_items(tmp_path: Path) -> None:
    path = tmp_path / "feed.json"
    items: list[Any] = [
        {"supplier_sku": "A", "cost": "1.00"},
        {"supplier_sku": "B", "cost": "free"},
        "not an object",
        {"supplier_sku": "C", "cost": -1},
    ]
    path.write_text(json.dumps(items, indent=2))
    checked = check(path)
    assert problems(checked) == [
        'item 2: cost "free" is not a number',
        "item 3: not a JSON object",
        'item 4: cost "-1" is negative',
    ]
    assert offers(checked, "supplier_sku") == [("A",)]
    assert checked.rows_total == 4


def test_broken_json_array_is_an_input_error_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "feed.json"
    path.write_text('[\n{"supplier_sku": "A", "cost": 1},\n{"supplier_sku": }\n]')
    with pytest.raises(InputError, match="line 3: not valid JSON"):
        check(path)


def test_json_lines_positions_are_lines(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text(
        '{"supplier_sku": "A", "name": "Line\\u2028separator \u2028 kept", "cost": 1}\n'
        "\n"
        '{"supplier_sku": "B", "cost": "x"}\n'
        '{"supplier_sku": "C", "cost": \n'
        '{"supplier_sku": "D", "cost": 2.5}\r\n'
    )
    checked = check(path)
    assert problems(checked) == [
        'line 3: cost "x" is not a number',
        "line 4: not valid JSON (Expecting value)",
    ]
    assert offers(checked, "supplier_sku", "name", "cost_micros") == [
        ("A", "Line\u2028separator \u2028 kept", 1_000_000),
        ("D", "D", 2_500_000),
    ]


def workbook(path: Path) -> Path:
    """Two sheets: "Notes" first, then "Prices" with a title row and a blank row on top."""
    book = Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "Notes"
    notes.append(["supplier_sku", "cost"])
    notes.append(["NOTE", 1])
    prices = book.create_sheet("Prices")
    prices.append([None, None])
    prices.append(["supplier_sku", "cost", "stock"])  # row 2
    prices.append(["P1", 10, 4])  # row 3
    prices.append(["P2", "n/a", 1])  # row 4
    prices.append([None, None, None])  # row 5: blank
    prices.append(["P3", 3.5, -2])  # row 6
    book.save(path)
    return path


@pytest.mark.parametrize("sheet", ["Prices", 2])
def test_xlsx_rows_are_numbered_as_the_sheet_shows_them(tmp_path: Path, sheet: str | int) -> None:
    checked = check(workbook(tmp_path / "feed.xlsx"), options(sheet=sheet))
    assert problems(checked) == [
        'row 4: cost "n/a" is not a number',
        'row 6: stock "-2" is negative',
    ]
    assert offers(checked, "supplier_sku", "cost_micros", "stock") == [("P1", 10_000_000, 4)]


def test_xlsx_reads_the_first_sheet_by_default(tmp_path: Path) -> None:
    checked = check(workbook(tmp_path / "feed.xlsx"))
    assert offers(checked, "supplier_sku") == [("NOTE",)]


@pytest.mark.parametrize(
    ("sheet", "message"),
    [
        ("Stock", "no sheet 'Stock' (the workbook has 'Notes', 'Prices')"),
        (3, "no sheet 3: the workbook has 2 (1 is the first)"),
    ],
)
def test_an_unknown_sheet_lists_the_sheets(tmp_path: Path, sheet: str | int, message: str) -> None:
    with pytest.raises(InputError) as caught:
        check(workbook(tmp_path / "feed.xlsx"), options(sheet=sheet))
    assert caught.value.problems == [message]
