"""Reading invoice PDFs back in tests, and skipping where WeasyPrint cannot run."""

import io

import pytest
from pypdf import PdfReader

from payinvoice.documents import pdf_unavailable

needs_pdf = pytest.mark.skipif(
    pdf_unavailable() is not None, reason=f"no invoice PDFs on this machine: {pdf_unavailable()}"
)


def pdf_text(pdf: bytes) -> str:
    """The PDF's text, with no-break spaces as plain ones."""
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages).replace("\xa0", " ")


def text_positions(pdf: bytes) -> dict[str, tuple[float, float]]:
    """Where each piece of text of the first page starts first: (x, y), y growing down the page
    (WeasyPrint's pages flip the PDF's axis)."""
    reader = PdfReader(io.BytesIO(pdf))
    positions: dict[str, tuple[float, float]] = {}

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        if text.strip():
            positions.setdefault(text.strip().replace("\xa0", " "), (cm[4] + tm[4], cm[5] + tm[5]))

    reader.pages[0].extract_text(visitor_text=visit)
    return positions
