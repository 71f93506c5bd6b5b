"""The documents phase: what one invoice PDF costs in CPU, in this process (no stack needed).

`pdf_cpu_ms` is the median CPU time (the process's, every thread of it) of `render_pdf` on a
12-line invoice with three tax rates, a partial payment, a late fee and an EPC QR code, once the
compiler is warm: what the rendering process of a worker pays per invoice email. `pdf_cpu_ms_cold`
is the first PDF of a fresh interpreter (the compiler, its fonts and the template loaded), the
median of a few such interpreters."""

import json
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from payinvoice.contracts import Fee, FeeKind, InvoiceView
from payinvoice.documents import (  # pyright: ignore[reportPrivateUsage]
    BuyerParty,
    InvoiceDocument,
    Seller,
    _inputs,
    _print,
    invoice_pdf_data,
    render_pdf,
)
from payinvoice.domain.lines import Line, price_lines

TARGET_MS = 10.0  # issue 18: median PDF <= 10 ms of CPU


def sample_document(locale: str = "de") -> InvoiceDocument:
    lines = [
        Line(f"Article {n:02d}, size {n % 4 + 1}", str(n % 5 + 1), 1250 + 371 * n, ("19", "7", "0")[n % 3])
        for n in range(12)
    ]
    totals = price_lines(lines, "EUR")
    fee = Fee(FeeKind.LATE_FEE, "Late fee (overdue_1)", 1000, datetime(2025, 2, 16, tzinfo=UTC), "overdue_1")
    view = InvoiceView(
        invoice_id="bench-1", merchant_id="m-1", buyer_id="b-1", order_id="order-4711", currency="EUR",
        lines=list(totals.lines), subtotal=totals.subtotal, tax_total=totals.tax_total, total=totals.total,
        payment_terms_days=30, created_at=datetime(2025, 1, 10, tzinfo=UTC), purchase_order="PO-7781",
        status="overdue", number="INV-004711", payment_reference="RF18INV004711", issue_date="2025-01-10",
        due_date="2025-02-09", hosted_token="t" * 32, amount_paid=5000, fees=[fee],
    )
    seller = Seller(
        name="Widgets GmbH", legal_name="Widgets Handels GmbH", address="Hauptstr. 1\n10115 Berlin",
        iban="DE89370400440532013000", bic="COBADEFFXXX",
    )
    return InvoiceDocument(
        invoice=view, seller=seller, buyer=BuyerParty("Ada Buyer AG", "ap@ada.example", locale),
        at=datetime(2025, 2, 20, tzinfo=UTC),
    )


def pdf_inputs(document: InvoiceDocument) -> str:
    """What `render_pdf` hands Typst: the data (babel, the QR code) as JSON."""
    return _inputs(invoice_pdf_data(document))


def print_pdf(inputs: str) -> bytes:
    return _print(inputs)


def _cpu_ms(document: InvoiceDocument) -> float:
    began = time.process_time()
    render_pdf(document)
    return (time.process_time() - began) * 1000


def _another(document: InvoiceDocument, index: int) -> InvoiceDocument:
    invoice = document.invoice
    return replace(document, invoice=replace(
        invoice, number=f"INV-{5000 + index:06d}",
        amount_paid=5000 + 7 * index,
    ))  # fmt: skip


def first_pdf_cpu_ms() -> float:
    """The first PDF of this interpreter, in CPU ms (run in a fresh one: `pdf_cost` does)."""
    return _cpu_ms(sample_document())


def pdf_cost(runs: int = 200, cold_runs: int = 3) -> dict[str, Any]:
    document = sample_document()
    for _ in range(5):  # the compiler, its fonts and the template loaded; the caches filled
        render_pdf(document)
    # Each PDF another invoice's, as each email's is: nothing of the last one's layout is reused whole.
    samples = [_cpu_ms(_another(document, i))
               for i in range(runs)]  # fmt: skip
    # Where it goes: the Python half (the data, babel, the QR code, the JSON), then Typst alone
    # (layout and PDF export) on those inputs, each PDF again another invoice's.
    python_ms, typst_ms = [], []
    for i in range(runs, 2 * runs):
        began = time.process_time()
        inputs = pdf_inputs(_another(document, i))
        python_ms.append((time.process_time() - began) * 1000)
        began = time.process_time()
        print_pdf(inputs)
        typst_ms.append((time.process_time() - began) * 1000)
    cold = [
        float(subprocess.run(
            [sys.executable, "-c", "from bench.documents import first_pdf_cpu_ms; print(first_pdf_cpu_ms())"],
            check=True, capture_output=True, text=True,
        ).stdout)
        for _ in range(cold_runs)
    ]  # fmt: skip
    return {
        "pdf_cpu_ms": round(statistics.median(samples), 2),
        "pdf_cpu_ms_p95": round(sorted(samples)[int(0.95 * (len(samples) - 1))], 2),
        "pdf_cpu_ms_cold": round(statistics.median(cold), 1),
        "pdf_python_cpu_ms": round(statistics.median(python_ms), 2),
        "pdf_typst_cpu_ms": round(statistics.median(typst_ms), 2),
        "pdf_bytes": len(render_pdf(document)),
        "lines": len(document.invoice.lines),
        "runs": runs,
    }


if __name__ == "__main__":
    print(json.dumps(pdf_cost(), indent=2))
