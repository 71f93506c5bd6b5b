"""Responses that are not JSON: CSV reports (by content negotiation) and PDFs."""

from typing import Any

from fastapi import Response

from services.documents import PrintedPdf

CSV_MEDIA_TYPE = "text/csv"


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


def csv_response(text: str, filename: str) -> Response:
    return Response(
        text,
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def pdf_response(pdf: PrintedPdf) -> Response:
    return Response(
        pdf.content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{pdf.filename}"', "Cache-Control": "no-store"},
    )


def csv_openapi(description: str) -> dict[int | str, dict[str, Any]]:
    """The `responses` of a report route: JSON by default, CSV on request."""
    return {200: {"content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}}}, "description": description}}
