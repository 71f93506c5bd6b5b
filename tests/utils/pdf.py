"""Reading invoice PDFs back in tests."""

import io

from pypdf import PdfReader


def pdf_text(pdf: bytes) -> str:
    """The PDF's text, with no-break spaces as plain ones."""
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages).replace("\xa0", " ")


def text_positions(pdf: bytes) -> dict[str, tuple[float, float]]:
    """Where each piece of text of the first page starts first: (x, y) in points, y growing down
    the page as one reads it (the PDF's own axis grows up)."""
    reader = PdfReader(io.BytesIO(pdf))
    height = float(reader.pages[0].mediabox.height)
    positions: dict[str, tuple[float, float]] = {}

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        if text.strip():
            at = (cm[4] + tm[4], height - (cm[5] + tm[5]))
            positions.setdefault(text.strip().replace("\xa0", " "), at)

    reader.pages[0].extract_text(visitor_text=visit)
    return positions
