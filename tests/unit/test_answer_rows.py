"""Reading a supplier's answer file: rows grouped into answers, cells read as text, bad rows
named by line with a bounded quote, files that cannot be read at all refused whole."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tandem.connector.configuration.answers import SftpAnswers
from tandem.connector.services.answer_rows import AnswerFile, UnreadableFile, read_answer_file
from tandem.connector.services.shipments import ShippedLine
from tandem.connector.services.supplier_answers import Confirm, Refuse, Ship


def read(text: str | bytes, **settings: object) -> AnswerFile:
    config = SftpAnswers.model_validate(settings)
    content = text.encode() if isinstance(text, str) else text
    return read_answer_file(
        content,
        config.columns,
        delimiter=config.delimiter,
        statuses=config.status_words(),
        max_rows=config.max_rows,
    )


def test_refusals_with_skus_refuse_those_lines_and_without_the_whole_po() -> None:
    found = read(
        "po_number,sku,status,reason\n"
        "PO-1,ROSE,out of stock,season over\n"
        "PO-1,TULIP,Out_Of_Stock,season over\n"
        "PO-2,,rejected,account on hold\n"
    )
    assert [(a.lines, a.po_number, a.action) for a in found.answers] == [
        ((2, 3), "PO-1", Refuse(("ROSE", "TULIP"), "season over")),
        ((4,), "PO-2", Refuse((), "account on hold")),
    ]


def test_the_suppliers_columns_delimiter_and_words_are_used() -> None:
    found = read(
        "\ufeffRef;Article;Qté;Etat;Envoi\n"
        "PO-7;ROSE;2;confirmé;\n"
        "PO-7;ROSE;2;Expédié;TRK-99X\n"
        "PO-7;TULIP;;expédié;TRK-99X\n",
        delimiter=";",
        columns={
            "po_number": "Ref",
            "sku": "Article",
            "quantity": "Qté",
            "status": "Etat",
            "tracking_number": "Envoi",
        },
        statuses={"Expédié": "shipped", "confirmé": "acknowledged"},
    )
    assert [a.action for a in found.answers] == [
        Confirm({}),
        Ship(("TRK-99X",), (ShippedLine("ROSE", 2),)),
    ]
    assert [(b.lines, b.reason) for b in found.bad] == [((4,), "no quantity for TULIP")]


def test_a_formula_is_a_string_and_a_po_number_nobody_knows() -> None:
    found = read("po_number,status,tracking_number\n=cmd|' /C calc'!A0,shipped,TRK-12345\n")
    [answer] = found.answers
    assert answer.po_number == "=cmd|' /C calc'!A0" and answer.action == Ship(("TRK-12345",))


def test_a_date_on_a_row_naming_no_line_is_kept_for_every_line() -> None:
    [answer] = read("po_number,status,ship_date\nPO-3,confirmed,2026-12-24\n").answers
    assert answer.action == Confirm({}) and answer.every_line_ships == date(2026, 12, 24)


def test_several_tracking_numbers_in_one_cell_are_one_parcel() -> None:
    [answer] = read(
        "po_number,sku,quantity,tracking_number,tracking_url\n"
        "PO-4,ROSE,2,TRK-1111 TRK-2222,https://track.example/1\n"
    ).answers
    assert answer.action == Ship(
        ("TRK-1111", "TRK-2222"),
        (ShippedLine("ROSE", 2),),
        tracking_urls=("https://track.example/1",),
    )


def test_a_long_row_is_quoted_short() -> None:
    [bad] = read("po_number,status\nPO-5," + "x" * 400 + "\n").bad
    assert bad.lines == (2,) and len(bad.quote) == 200 and bad.quote.endswith("…")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"po_number,status\nPO-1,\xff\n", "line 2 is not UTF-8 text (byte 22)"),
        ("", "empty: no header row"),
        ("sku,status\nROSE,shipped\n", "no 'po_number' column in the header (sku,status)"),
        ("po_number,sku\nPO-1,ROSE\n", "neither a status nor a tracking_number column"),
        ("po_number,status\n" + "PO-1,confirmed\n" * 4, "more than 3 rows (max_rows)"),
    ],
)
def test_a_file_that_cannot_be_read_says_why(content: str | bytes, reason: str) -> None:
    with pytest.raises(UnreadableFile, match=re.escape(reason)):
        read(content, max_rows=3)


def test_a_column_tandem_does_not_know_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="unknown column 'colour'; choose from po_number"):
        SftpAnswers.model_validate({"columns": {"colour": "Farbe"}})
