"""payinvoice as the benchmark drives it: over HTTP, with one merchant and many buyers."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

# Large limits: the benchmark measures decisions and lifecycles, not declines.
BUYER_LIMIT = "100000000.00"
LINE = {"description": "Pallet of widgets", "quantity": "1", "unit_price": "100.00", "tax_rate": "19"}
# Terms long enough that no reminder falls due during a run, whatever the day length.
QUIET_TERMS_DAYS = 365
DECIDED = ("open", "declined")


@dataclass
class Service:
    http: httpx.AsyncClient
    buyers: list[str] = field(default_factory=list)
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    issued: int = 0  # open invoices answered so far: each has an invoice email on its way

    async def setup(self, admin_key: str, buyers: int, name: str = "Bench Wholesale") -> None:
        """One merchant (with the admin key) and `buyers` buyers with large limits."""
        merchant = await self._post("/v1/merchants", {"name": name}, key=admin_key)
        self.http.headers["Authorization"] = f"Bearer {merchant['api_key']}"
        for n in range(buyers):
            buyer = await self._post("/v1/buyers", {
                "external_id": f"bench-buyer-{n}", "name": f"Bench Buyer {n}",
                "email": f"ap{n}@buyer.example", "currency": "EUR", "credit_limit": BUYER_LIMIT,
                "payment_terms_days": QUIET_TERMS_DAYS,
            })  # fmt: skip
            self.buyers.append(buyer["id"])

    async def checkout(
        self, order: str, index: int, terms_days: int = QUIET_TERMS_DAYS
    ) -> tuple[str, dict[str, Any]]:
        """POST /v1/invoices; the label is the invoice status ("pending" for a slow decision)
        or `http_<code>` for an error."""
        response = await self.http.post("/v1/invoices", json={
            "order_id": f"{self.run_id}-{order}", "buyer_id": self.buyers[index % len(self.buyers)],
            "currency": "EUR", "lines": [LINE], "payment_terms_days": terms_days,
        })  # fmt: skip
        if response.status_code not in (200, 201, 202):
            return f"http_{response.status_code}", {}
        invoice = response.json()
        if invoice["status"] == "open":
            self.issued += 1
        return str(invoice["status"]), invoice

    async def pay_in_full(self, invoice: dict[str, Any]) -> str:
        response = await self.http.post(f"/v1/invoices/{invoice['id']}/payments", json={
            "payment_id": f"settle-{invoice['id']}", "amount": invoice["amount_due"],
            "currency": invoice["currency"], "method": "bank_transfer",
        })  # fmt: skip
        if response.status_code != 200:
            return f"http_{response.status_code}"
        return str(response.json()["status"])

    async def _post(self, path: str, body: dict[str, Any], key: str | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {key}"} if key else None
        response = await self.http.post(path, json=body, headers=headers)
        response.raise_for_status()
        return response.json()


@asynccontextmanager
async def service(
    api_url: str, admin_key: str, buyers: int, name: str = "Bench Wholesale"
) -> AsyncIterator[Service]:
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    async with httpx.AsyncClient(base_url=api_url, timeout=60, limits=limits) as http:
        svc = Service(http)
        await svc.setup(admin_key, buyers, name)
        yield svc
