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
