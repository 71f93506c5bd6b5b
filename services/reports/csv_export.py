"""CSV text shared by every report, with formula neutralising."""

import csv
import io
from collections.abc import Collection, Iterable, Sequence
from typing import Any

# A spreadsheet reads a cell starting with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralised(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula."""
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]], text_fields: Collection[str]) -> str:
    """The header, then one line per row (CRLF, as RFC 4180 has it). Cells of `text_fields`, the
    ones the merchant typed in, are neutralised; a None cell is left empty."""
    texts = [field in text_fields for field in header]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([
            "" if value is None else neutralised(value) if is_text else value
            for is_text, value in zip(texts, row, strict=True)
        ])  # fmt: skip
    return out.getvalue()
