"""Bounds on a catalogue file, checked before the expensive step they protect, so one bad feed
(a 300 MB value, a spreadsheet that unpacks a thousandfold) is refused with a clear message
instead of taking the machine's memory. The limits are settings of `catalogue`
(tandem.connector.configuration.model.CatalogueConfig)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from tandem.connector.errors import InputError

_CHUNK = 1 << 20


def read_bounded(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, refused past `max_bytes` before (and while) reading them."""
    try:
        with path.open("rb") as file:
            size = path.stat().st_size
            if size > max_bytes:
                raise InputError(str(path), [_too_large(size, max_bytes)])
            data = file.read(max_bytes + 1)  # a file still growing stops here
    except OSError as exc:
        raise InputError(str(path), [f"cannot read the file: {exc.strerror or exc}"]) from None
    if len(data) > max_bytes:
        raise InputError(str(path), [_too_large(len(data), max_bytes)])
    return data


def check_size(path: Path, data: bytes, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise InputError(str(path), [_too_large(len(data), max_bytes)])


def _too_large(size: int, max_bytes: int) -> str:
    return f"the file is {size:,} bytes, more than catalogue.max_file_bytes ({max_bytes:,})"


def check_lines_on_disk(path: Path, separator: str, max_field: int) -> None:
    """`check_line_lengths` before the file is read into memory, a megabyte at a time: a
    300 MB value is refused without ever holding it. The bound is four times the decoded
    one, so a file in UTF-16 or UTF-32 (up to four bytes a character) is judged the same."""
    try:
        with path.open("rb") as file:
            head = file.read(_CHUNK)
            header = head.lstrip(b"\r\n\xef\xbb\xbf\xff\xfe\x00").split(b"\n", 1)[0]
            width = max(header.count(separator.encode()) + 1, 1)
            longest = (max_field + 3) * width * 4
            line, length, chunk = 1, 0, head  # `length`: of the current line, before `chunk`
            while chunk:
                first = chunk.find(b"\n")
                if length + (len(chunk) if first < 0 else first) > longest:
                    _line_too_long(path, line, longest // 4, width, max_field)
                if first >= 0:
                    start = _long_line(chunk, first + 1, longest)
                    if start is not None:
                        line += chunk.count(b"\n", 0, start)
                        _line_too_long(path, line, longest // 4, width, max_field)
                    line += chunk.count(b"\n")
                    length = 0
                length += len(chunk) - (chunk.rfind(b"\n") + 1)
                chunk = file.read(_CHUNK)
    except OSError as exc:
        raise InputError(str(path), [f"cannot read the file: {exc.strerror or exc}"]) from None


def _long_line(data: bytes, start: int, longest: int) -> int | None:
    """Where the first line of `data[start:]` longer than `longest` bytes starts (the last line
    as far as `data` goes), else None. Any `longest + 1` bytes hold a line break unless such a
    line starts there, so each step jumps to the last break in the next window: a few calls a
    megabyte, in C, where a loop over the lines would take a second for half a million."""
    at = start
    while len(data) - at > longest:
        last = data.rfind(b"\n", at, at + longest + 1)
        if last < 0:
            return at
        at = last + 1
    return None


def _line_too_long(path: Path, line: int, longest: int, width: int, max_field: int) -> None:
    raise InputError(
        str(path),
        [
            f"line {line}: more than {longest:,} bytes, longer than {width} field(s) of"
            f" catalogue.max_field_bytes ({max_field:,}) can be; is a quote left open?"
        ],
    )


def check_line_lengths(path: Path, source: bytes, separator: str, max_field: int) -> None:
    """Refuse a CSV file with a line longer than its fields could be at `max_field` bytes each
    (the header's field count): found in C, before the parser holds such a value."""
    header = source.lstrip(b"\r\n\xef\xbb\xbf").split(b"\n", 1)[0]
    width = header.count(separator.encode()) + 1
    longest = (max_field + 3) * width  # each field quoted, with its separator
    start = _long_line(source, 0, longest)
    if start is not None:
        line = source.count(b"\n", 0, start) + 1
        raise InputError(
            str(path),
            [
                f"line {line}: more than {longest:,} bytes, longer than {width} field(s) of"
                f" catalogue.max_field_bytes ({max_field:,}) can be; is a quote left open?"
            ],
        )


def check_row_count(path: Path, rows: int, max_rows: int) -> None:
    if rows > max_rows:
        raise InputError(
            str(path), [f"more than catalogue.max_rows ({max_rows:,}) rows; not imported"]
        )


def check_unpacked(path: Path, data: bytes, max_bytes: int) -> None:
    """A spreadsheet that is a zip (xlsx, xlsm, xlsb, ods): refuse it when its members unpack
    to more than `max_bytes`, as their headers say, and as they do (read in chunks, never held:
    a member that unpacks past its stated size fails its checksum)."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return  # xls: an OLE file, bounded by its own size
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            stated = sum(m.file_size for m in members)
            if stated > max_bytes:
                raise InputError(str(path), [_unpacks(stated, max_bytes)])
            unpacked = 0
            for member in members:
                with archive.open(member) as content:
                    while chunk := content.read(_CHUNK):
                        unpacked += len(chunk)
                        if unpacked > max_bytes:
                            raise InputError(str(path), [_unpacks(unpacked, max_bytes)])
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError) as exc:
        raise InputError(str(path), [f"cannot read as a spreadsheet: {exc}"]) from None


def _unpacks(size: int, max_bytes: int) -> str:
    return (
        f"the spreadsheet unpacks to {size:,} bytes or more,"
        f" more than catalogue.max_unpacked_bytes ({max_bytes:,})"
    )
