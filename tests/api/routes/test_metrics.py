"""GET /metrics: the checkout counters and the read-model gauges, with no ids in any label, for
the metrics token or the admin key only, the gauges read at most once per cache interval."""

import asyncio
import re

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ADMIN_KEY
from tests.utils.factories import checkout, create_buyer, create_merchant, open_invoice
from tests.utils.reports import statements_of

TOKEN = "metrics-token-for-the-tests"
SCRAPER = {"Authorization": f"Bearer {TOKEN}"}


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_count_decisions_and_read_model(api_factory) -> None:
    async with api_factory(metrics_token=TOKEN, metrics_cache_seconds=0) as api:
        await _count_decisions_and_read_model(api)


async def _count_decisions_and_read_model(api) -> None:
    before = _samples((await api.get("/metrics", headers=SCRAPER)).text)
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    invoice = await open_invoice(api, key, buyer["id"])
    repeat = await checkout(api, key, buyer["id"], order_id=invoice["order_id"])
    assert repeat.status_code == 200, repeat.text

    scraped = await api.get("/metrics", headers=SCRAPER)
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


@pytest.mark.parametrize(
    ("token", "authorization"),
    [
        (TOKEN, None),
        (TOKEN, "Bearer not-the-token"),
        (TOKEN, f"Basic {TOKEN}"),
        (None, None),
        (None, "Bearer "),
        (None, "Bearer not-the-admin-key"),
    ],
    ids=["no-key", "wrong-token", "not-bearer", "nothing-configured", "empty", "wrong-key-no-token"],
)
async def test_metrics_refuse_without_the_token_or_the_admin_key(api_factory, token, authorization) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    async with api_factory(metrics_token=token) as api:
        answer = await api.get("/metrics", headers=headers)
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"]["code"] == "unauthorized"
    assert "payinvoice_" not in answer.text


async def test_metrics_answer_the_token_and_the_admin_key(api_factory) -> None:
    async with api_factory(metrics_token=TOKEN) as api:
        for key in (TOKEN, ADMIN_KEY):
            answer = await api.get("/metrics", headers={"Authorization": f"Bearer {key}"})
            assert answer.status_code == 200, answer.text
            assert "payinvoice_invoices" in answer.text
    # Without a metrics token configured, the admin key still reads them.
    async with api_factory() as api:
        answer = await api.get("/metrics", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
        assert answer.status_code == 200, answer.text


async def test_metrics_are_not_in_the_schema(api) -> None:
    paths = (await api.get("/openapi.json")).json()["paths"]
    assert "/metrics" not in paths


async def test_a_storm_of_scrapes_reads_the_read_model_once_per_interval(api_factory, sessions) -> None:
    async with api_factory(metrics_token=TOKEN, metrics_cache_seconds=60) as api:
        with statements_of(api, sessions) as statements:
            first = await api.get("/metrics", headers=SCRAPER)
            read = len(statements)
            storm = await asyncio.gather(*(api.get("/metrics", headers=SCRAPER) for _ in range(20)))
        assert first.status_code == 200 and all(answer.status_code == 200 for answer in storm)
        assert read == 3  # the three aggregate queries, once
        assert len(statements) == read  # and not again within the interval
        gauges = api._transport.app.state.metrics_gauges  # type: ignore[attr-defined]
        assert gauges.reads == 1
        # The gauges served from the cache are the ones read.
        open_ = ("payinvoice_invoices", (("status", "open"),))
        assert all(_samples(answer.text)[open_] == _samples(first.text)[open_] for answer in storm)


async def test_the_read_model_is_read_again_after_the_interval(api_factory, sessions) -> None:
    async with api_factory(metrics_token=TOKEN, metrics_cache_seconds=0.2) as api:
        with statements_of(api, sessions) as statements:
            await api.get("/metrics", headers=SCRAPER)
            await api.get("/metrics", headers=SCRAPER)
            assert len(statements) == 3
            await asyncio.sleep(0.3)
            await api.get("/metrics", headers=SCRAPER)
            assert len(statements) == 6
