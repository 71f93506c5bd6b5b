"""GET /metrics: the checkout counters and the read-model gauges, with no ids in any label."""

import re

from prometheus_client.parser import text_string_to_metric_families

from tests.utils.factories import checkout, create_buyer, create_merchant, open_invoice


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_count_decisions_and_read_model(api) -> None:
    before = _samples((await api.get("/metrics")).text)
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    invoice = await open_invoice(api, key, buyer["id"])
    repeat = await checkout(api, key, buyer["id"], order_id=invoice["order_id"])
    assert repeat.status_code == 200, repeat.text

    scraped = await api.get("/metrics")
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    text = scraped.text
    after = _samples(text)

    # One new decision, counted once although the order came twice.
    opened = "payinvoice_decisions_total"
    assert _value(after, opened, outcome="open") == _value(before, opened, outcome="open") + 1
    count = "payinvoice_decision_seconds_count"
    assert _value(after, count) == _value(before, count) + 1
    assert _value(after, "payinvoice_decision_seconds_bucket", le="10.0") >= 1
    for outcome in ("declined", "pending_review", "pending"):
        assert (opened, (("outcome", outcome),)) in after

    # The read model at scrape time.
    assert _value(after, "payinvoice_invoices", status="open") >= 1
    assert ("payinvoice_invoices", (("status", "paid"),)) in after
    assert _value(after, "payinvoice_amount_outstanding", currency="EUR") >= 119.0
    assert "# TYPE payinvoice_reminders_sent_total counter" in text
    for result in ("pending", "retrying", "delivered", "failed"):
        assert ("payinvoice_webhook_deliveries", (("status", result),)) in after

    # No label value is an id of any kind.
    ids = {invoice["id"], invoice["order_id"], invoice["buyer_id"], buyer["id"], buyer["external_id"]}
    uuid_like = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")
    for _, labels in after:
        for _, value in labels:
            assert value not in ids
            assert not uuid_like.search(value), value


async def test_metrics_need_no_key_and_are_not_in_the_schema(api) -> None:
    assert (await api.get("/metrics")).status_code == 200
    paths = (await api.get("/openapi.json")).json()["paths"]
    assert "/metrics" not in paths
