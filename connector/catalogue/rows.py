"""Checking catalogue rows: text cells in, offers and one reason per rejected row out.

All of it is polars expressions over whole columns, so half a million rows take a fraction of a
second; Python only touches the rows that are rejected. Money never passes through a float: the
cost text is split into whole and fractional digits and scaled to integer millionths.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from tandem.connector.catalogue.readers import POSITION, RowProblem, Table

MAX_SKU = 255  # offers.sku and offers.supplier_sku are VARCHAR(255)
MAX_NAME = 500
MAX_INT = 2_147_483_647  # INTEGER columns on PostgreSQL
MAX_COST_DIGITS = 12  # whole digits: 10**12 * 10**6 micros still fits a BIGINT
SHOWN = 60  # characters of a bad value quoted in a message

OFFER_COLUMNS = (
    "sku",
    "supplier_sku",
    "name",
    "cost_micros",
    "currency",
    "stock",
    "lead_time_days",
    "pack_size",
    "min_quantity",
)
WHOLE_FIELDS = {"stock": 0, "lead_time_days": 0, "pack_size": 1, "min_quantity": 1}

_NUMBER = r"^([+-]?)(\d*)(?:\.(\d*))?$"
_NONZERO = r"[1-9]"


@dataclass
class CheckedRows:
    offers: pl.DataFrame  # OFFER_COLUMNS, one row per good catalogue row, in file order
    problems: list[RowProblem]  # one per rejected row, in file order
    rows_total: int  # rows that were not blank


def check_rows(table: Table, *, default_currency: str, decimal_comma: bool = False) -> CheckedRows:
    """Validate `table` (from `read_table`) into offers and problems."""
    fields = [c for c in table.frame.columns if c != POSITION]
    lazy = table.frame.lazy().select(POSITION, *(_trimmed(c) for c in fields))
    # A row with nothing in any mapped column is a blank line, not a bad row.
    lazy = lazy.filter(pl.any_horizontal(pl.col(f"raw_{c}").is_not_null() for c in fields))
    trimmed = lazy.with_columns(_plain(table, decimal_comma).alias("_plain")).collect()
    # Rows whose numbers are written plainly ("12.50", "7"), nearly all of them, are read with
    # casts; the others with the rules for signs, grouping and decimal places (a few regular
    # expressions a cell, which would take most of the time over half a million rows).
    plain = (
        trimmed.lazy()
        .filter("_plain")
        .with_columns(_derived(table, default_currency, decimal_comma, plain=True))
    )
    if not trimmed["_plain"].all():
        other = trimmed.lazy().filter(~pl.col("_plain"))
        plain = pl.concat(
            [plain, other.with_columns(_derived(table, default_currency, decimal_comma))]
        ).sort(POSITION)
    del trimmed
    kept = (POSITION, "reason", "raw_supplier_sku", *OFFER_COLUMNS)
    frame = plain.with_columns(_reason(table)).select(kept).collect()

    good = frame.filter(pl.col("reason").is_null())
    bad = [frame.filter(pl.col("reason").is_not_null())]
    # Of several good rows for one supplier SKU the first is kept.
    duplicate = ~pl.col("supplier_sku").is_first_distinct()
    if good.select(duplicate.any()).item():
        first = pl.col(POSITION).first().over("supplier_sku")
        good = good.with_columns(
            pl.when(duplicate)
            .then(
                pl.concat_str(
                    pl.lit("supplier SKU "),
                    _shown(pl.col("raw_supplier_sku")),
                    pl.lit(f" already on {table.unit} "),
                    first.cast(pl.String),
                )
            )
            .alias("reason")
        )
        bad.append(good.filter(pl.col("reason").is_not_null()))
        good = good.filter(pl.col("reason").is_null())
    problems = [
        RowProblem(f"{table.unit} {position}", reason)
        for position, reason in pl.concat(bad).sort(POSITION).select(POSITION, "reason").iter_rows()
    ]
    offers = good.select(OFFER_COLUMNS)
    if table.rejected:
        problems = sorted([*table.rejected, *problems], key=_place)
    return CheckedRows(offers, problems, frame.height + len(table.rejected))


def _place(problem: RowProblem) -> int:
    return int(problem.position.rsplit(" ", 1)[-1])


def _trimmed(column: str) -> pl.Expr:
    value = pl.col(column).str.strip_chars()
    return pl.when(value == "").then(None).otherwise(value).alias(f"raw_{column}")


def _raw(table: Table, name: str) -> pl.Expr:
    """The trimmed cell of a mapped field (kept for messages), null when unmapped."""
    return pl.col(f"raw_{name}") if name in table.headers else pl.lit(None, dtype=pl.String)


def _numeric_text(value: pl.Expr, decimal_comma: bool) -> pl.Expr:
    """Cell text -> plain "1234.5" notation. Grouping separators are only removed where they
    group digits by three, so "12,50" is never read as 1250."""
    if decimal_comma:
        grouped = value.str.contains(r"^[+-]?\d{1,3}(\.\d{3})+(,\d*)?$")
        plain = pl.when(grouped).then(value.str.replace_all(".", "", literal=True)).otherwise(value)
        return plain.str.replace(",", ".", literal=True)
    grouped = value.str.contains(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
    return pl.when(grouped).then(value.str.replace_all(",", "", literal=True)).otherwise(value)


def _plain(table: Table, decimal_comma: bool) -> pl.Expr:
    """True where every number of the row is plain: the cost as digits with at most 6 decimal
    places, whole numbers as polars casts them (digits, perhaps a sign); what `_derived` reads
    the same with `plain` as without."""
    point = "," if decimal_comma else r"\."
    checks = [
        _raw(table, "cost").str.contains(rf"^[0-9]{{1,{MAX_COST_DIGITS}}}({point}[0-9]{{0,6}})?$")
    ]
    for name in WHOLE_FIELDS:
        if name in table.headers:
            raw = pl.col(f"raw_{name}")
            number = raw.cast(pl.Int64, strict=False)
            checks.append(raw.is_null() | number.is_between(-(10**18), 10**18))
    return pl.all_horizontal(checks).fill_null(False)


def _derived(
    table: Table, default_currency: str, decimal_comma: bool, *, plain: bool = False
) -> list[pl.Expr]:
    """The offer's columns and the flags `_reason` reads; with `plain`, for rows `_plain` is
    true of."""
    supplier_sku = _raw(table, "supplier_sku")
    columns = [
        supplier_sku.alias("supplier_sku"),
        _raw(table, "sku").alias("sku") if "sku" in table.headers else supplier_sku.alias("sku"),
        pl.coalesce(_raw(table, "name"), supplier_sku).str.slice(0, MAX_NAME).alias("name"),
        pl.coalesce(_raw(table, "currency").str.to_uppercase(), pl.lit(default_currency)).alias(
            "currency"
        ),
    ]
    if plain:
        parts = _raw(table, "cost").str.split_exact("," if decimal_comma else ".", 1)
        fraction = parts.struct.field("field_1").fill_null("").str.pad_end(6, "0")
        columns += [
            pl.lit(True).alias("_cost_number"),
            *(pl.lit(False).alias(f"_cost_{flag}") for flag in ("negative", "precision", "large")),
            (
                parts.struct.field("field_0").cast(pl.Int64) * 1_000_000 + fraction.cast(pl.Int64)
            ).alias("cost_micros"),
        ]
        for name, minimum in WHOLE_FIELDS.items():
            number = _raw(table, name).cast(pl.Int64, strict=False)
            columns += [
                pl.lit(True).alias(f"_{name}_whole"),
                pl.lit(False).alias(f"_{name}_large"),
                number.fill_null(pl.lit(None if minimum == 0 else minimum, pl.Int64)).alias(name),
            ]
        return columns
    cost = _numeric_text(_raw(table, "cost"), decimal_comma)
    whole = cost.str.extract(_NUMBER, 2).fill_null("")
    fraction = cost.str.extract(_NUMBER, 3).fill_null("").str.strip_chars_end("0")
    columns += [
        (cost.str.contains(_NUMBER) & cost.str.contains(r"\d")).alias("_cost_number"),
        (cost.str.starts_with("-") & cost.str.contains(_NONZERO)).alias("_cost_negative"),
        (fraction.str.len_chars() > 6).alias("_cost_precision"),
        (whole.str.strip_chars_start("0").str.len_chars() > MAX_COST_DIGITS).alias("_cost_large"),
        (
            pl.when(whole == "").then(pl.lit("0")).otherwise(whole).cast(pl.Int64, strict=False)
            * 1_000_000
            + fraction.str.slice(0, 6).str.pad_end(6, "0").cast(pl.Int64, strict=False)
        ).alias("cost_micros"),
    ]
    for name, minimum in WHOLE_FIELDS.items():
        text = _numeric_text(_raw(table, name), decimal_comma)
        digits = text.str.extract(r"^[+-]?(\d+)(?:\.0*)?$", 1).str.strip_chars_start("0")
        number = pl.when(digits == "").then(0).otherwise(digits.cast(pl.Int64, strict=False))
        signed = pl.when(text.str.starts_with("-")).then(-number).otherwise(number)
        default = None if minimum == 0 else minimum
        columns += [
            (text.is_null() | digits.is_not_null()).alias(f"_{name}_whole"),
            (digits.str.len_chars() > 10).fill_null(False).alias(f"_{name}_large"),
            pl.when(text.is_null()).then(pl.lit(default, pl.Int64)).otherwise(signed).alias(name),
        ]
    return columns


def _shown(value: pl.Expr) -> pl.Expr:
    """A cell quoted for a message, cut short when long."""
    cut = (
        pl.when(value.str.len_chars() > SHOWN)
        .then(pl.concat_str(value.str.slice(0, SHOWN), pl.lit("…")))
        .otherwise(value)
    )
    return pl.concat_str(pl.lit('"'), cut, pl.lit('"'))


def _reason(table: Table) -> pl.Expr:
    """The first rule a row breaks, as a sentence naming the file's column and the value."""

    def header(name: str) -> str:
        return table.headers.get(name, name)

    def says(name: str, what: str) -> pl.Expr:
        value = _shown(pl.col(f"raw_{name}"))
        return pl.concat_str(pl.lit(f"{header(name)} "), value, pl.lit(f" {what}"))

    rules: list[tuple[pl.Expr, pl.Expr]] = [
        (pl.col("supplier_sku").is_null(), pl.lit(f"{header('supplier_sku')} is empty")),
        (pl.col("sku").is_null(), pl.lit(f"{header('sku')} (store SKU) is empty")),
    ]
    for name in ("supplier_sku", "sku"):
        rules.append(
            (
                pl.col(name).str.len_chars() > MAX_SKU,
                pl.lit(f"{header(name)} is longer than {MAX_SKU} characters"),
            )
        )
    rules += [
        (_raw(table, "cost").is_null(), pl.lit(f"{header('cost')} is empty")),
        (~pl.col("_cost_number"), says("cost", "is not a number")),
        (pl.col("_cost_negative"), says("cost", "is negative")),
        (pl.col("_cost_precision"), says("cost", "has more than 6 decimal places")),
        (pl.col("_cost_large") | pl.col("cost_micros").is_null(), says("cost", "is too large")),
    ]
    if "currency" in table.headers:
        rules.append(
            (
                ~pl.col("currency").str.contains(r"^[A-Z]{3}$"),
                says("currency", "is not a 3-letter currency code"),
            )
        )
    for name, minimum in WHOLE_FIELDS.items():
        if name not in table.headers:
            continue
        rules += [
            (~pl.col(f"_{name}_whole"), says(name, "is not a whole number")),
            (pl.col(name) < minimum, says(name, "is negative" if minimum == 0 else "is below 1")),
            (pl.col(f"_{name}_large") | (pl.col(name) > MAX_INT), says(name, "is too large")),
        ]
    reason = pl.lit(None, pl.String)
    for condition, message in reversed(rules):  # the first rule broken wins
        reason = pl.when(condition).then(message).otherwise(reason)
    return reason.alias("reason")
