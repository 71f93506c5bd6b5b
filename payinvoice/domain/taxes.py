"""Taxes by rate: the summary an invoice prints under its lines (net, tax and gross per rate)."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from payinvoice.domain.lines import PricedLine


@dataclass(frozen=True)
class TaxGroup:
    rate: str  # the percentage as the lines carry it ("19", "7.5")
    net: int  # minor units
    tax: int

    @property
    def gross(self) -> int:
        return self.net + self.tax


def taxes_by_rate(lines: Iterable[PricedLine]) -> list[TaxGroup]:
    """One group per tax rate, highest rate first. Each group sums the lines' own rounded
    amounts, so the groups add up exactly to the invoice's subtotal and tax total."""
    groups: dict[Decimal, tuple[str, int, int]] = {}
    for priced in lines:
        rate = Decimal(priced.line.tax_rate)
        label, net, tax = groups.get(rate, (priced.line.tax_rate, 0, 0))
        groups[rate] = (label, net + priced.line_total, tax + priced.tax_amount)
    return [TaxGroup(*groups[rate]) for rate in sorted(groups, reverse=True)]
