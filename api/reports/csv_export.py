"""CSV output shared by every report: content negotiation, formula neutralising, the response."""

import csv
import io
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from fastapi import Response

CSV_MEDIA_TYPE = "text/csv"
# A spreadsheet reads a cell starting with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def wants_csv(accept: str | None) -> bool:
    """True when the Accept header asks for CSV at least as much as for JSON."""
    quality: dict[str, float] = {}
    for part in (accept or "").split(","):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        media = media.lower()
        quality[media] = max(quality.get(media, 0.0), q)
    csv_q = quality.get(CSV_MEDIA_TYPE, 0.0)
    return csv_q > 0 and csv_q >= quality.get("application/json", 0.0)


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


def csv_response(text: str, filename: str) -> Response:
    return Response(
        text,
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def csv_openapi(description: str) -> dict[int | str, dict[str, Any]]:
    """The `responses` of a report route: JSON by default, CSV on request."""
    return {200: {"content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}}}, "description": description}}
