"""The merchant's credit policy over HTTP: the default, versions, validation, and how it sets the
limit of buyers created without one."""

from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_KEY
from tests.utils.credit import (
    DEFAULT_POLICY,
    POLICY,
    create_policy_buyer,
    credit_history,
    get_buyer,
    get_policy,
    patch_buyer,
    policy_body,
    policy_buyer_body,
    put_policy,
)
from tests.utils.factories import auth, create_buyer, create_merchant, error_code

# Reading and saving


async def test_before_any_put_get_answers_the_documented_default_as_version_0(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)

    assert await get_policy(api, key) == DEFAULT_POLICY


async def test_a_merchant_in_yen_gets_the_default_in_whole_yen(api: httpx.AsyncClient) -> None:
    created = await api.post("/v1/merchants", json={"name": "Kaisha KK", "currency": "JPY"},
                             headers=auth(ADMIN_KEY))
    assert created.status_code == 201, created.text

    policy = await get_policy(api, created.json()["api_key"])

    assert (policy["currency"], policy["new_buyer_limit"], policy["max_limit"]) == ("JPY", "1000", "10000")
    assert policy["growth"] == {"after_on_time_payments": 3, "step": "500", "cap": "5000"}


async def test_put_saves_version_1_and_answers_the_whole_policy(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    body = policy_body(
        new_buyer_limit="2000", max_limit="20000.00", auto_approve_up_to="750.5",
        max_total_exposure="100000.00",
        growth={"after_on_time_payments": 2, "step": "250.00", "cap": "8000.00"},
        reduction={"on_days_late_over": 10, "factor": "0.75"},
        suspend_after_days_overdue=20, review_days=5,
    )

    response = await api.put(POLICY, json=body, headers=auth(key))

    assert response.status_code == 200, response.text
    assert response.json() == {
        "version": 1, "currency": "EUR", "new_buyer_limit": "2000.00", "max_limit": "20000.00",
        "auto_approve_up_to": "750.50", "max_total_exposure": "100000.00",
        "growth": {"after_on_time_payments": 2, "step": "250.00", "cap": "8000.00"},
        "reduction": {"on_days_late_over": 10, "factor": "0.75"},
        "suspend_after_days_overdue": 20, "review_days": 5,
    }  # fmt: skip
    assert await get_policy(api, key) == response.json()


async def test_each_put_makes_a_new_version_and_get_answers_the_newest(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)

    first = await put_policy(api, key, new_buyer_limit="100.00")
    second = await put_policy(api, key, new_buyer_limit="200.00")
    third = await put_policy(api, key, new_buyer_limit="300.00")

    assert [p["version"] for p in (first, second, third)] == [1, 2, 3]
    current = await get_policy(api, key)
    assert (current["version"], current["new_buyer_limit"]) == (3, "300.00")


async def test_a_policy_without_growth_or_reduction_has_neither(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)

    saved = await put_policy(api, key)

    assert (saved["growth"], saved["reduction"], saved["auto_approve_up_to"]) == (None, None, None)
    assert (saved["max_total_exposure"], saved["suspend_after_days_overdue"]) == (None, None)


async def test_one_merchants_policy_never_applies_to_another(api: httpx.AsyncClient) -> None:
    mine = await create_merchant(api)
    theirs = await create_merchant(api, name="Other GmbH")
    await put_policy(api, mine, new_buyer_limit="50.00")

    assert await get_policy(api, theirs) == DEFAULT_POLICY
    assert (await create_policy_buyer(api, theirs))["credit_limit"] == "1000.00"


@pytest.mark.parametrize("method", ["get", "put"])
async def test_the_policy_without_an_api_key_is_unauthorized(api: httpx.AsyncClient, method: str) -> None:
    kwargs: dict[str, Any] = {"json": policy_body()} if method == "put" else {}

    response = await api.request(method.upper(), POLICY, **kwargs)

    assert response.status_code == 401
    assert error_code(response) == "unauthorized"


# Validation


@pytest.mark.parametrize(
    ("fields", "codes", "field"),
    [
        ({"new_buyer_limit": "20000.00"}, {"invalid_policy"}, "new_buyer_limit"),
        ({"new_buyer_limit": "-1.00"}, {"invalid_policy", "invalid_amount"}, "new_buyer_limit"),
        ({"max_limit": "lots"}, {"invalid_policy", "invalid_amount"}, "max_limit"),
        ({"max_limit": "100.001"}, {"invalid_policy", "invalid_amount"}, "max_limit"),
        ({"auto_approve_up_to": "-5.00"}, {"invalid_policy", "invalid_amount"}, "auto_approve_up_to"),
        ({"max_total_exposure": "1e6"}, {"invalid_policy", "invalid_amount"}, "max_total_exposure"),
        (
            {"growth": {"after_on_time_payments": 3, "step": "0.00", "cap": "5000.00"}},
            {"invalid_policy"}, "growth.step",
        ),
        (
            {"growth": {"after_on_time_payments": 3, "step": "500.00", "cap": "-1.00"}},
            {"invalid_policy", "invalid_amount"}, "growth.cap",
        ),
        (
            {"growth": {"after_on_time_payments": 0, "step": "500.00", "cap": "5000.00"}},
            {"invalid_policy", "invalid_request"}, "after_on_time_payments",
        ),
        ({"reduction": {"on_days_late_over": 15, "factor": "1.5"}}, {"invalid_policy"}, "reduction.factor"),
        ({"reduction": {"on_days_late_over": 15, "factor": "-0.1"}}, {"invalid_policy"}, "reduction.factor"),
        (
            {"reduction": {"on_days_late_over": 15, "factor": "half"}},
            {"invalid_policy", "invalid_amount"}, "reduction.factor",
        ),
        (
            {"reduction": {"on_days_late_over": -1, "factor": "0.5"}},
            {"invalid_policy", "invalid_request"}, "on_days_late_over",
        ),
        (
            {"suspend_after_days_overdue": 0},
            {"invalid_policy", "invalid_request"}, "suspend_after_days_overdue",
        ),
        ({"review_days": 0}, {"invalid_policy", "invalid_request"}, "review_days"),
        ({"new_buyer_limit": 1000}, {"invalid_policy", "invalid_request"}, "new_buyer_limit"),
        ({"surprise": True}, {"invalid_request"}, "surprise"),
    ],
)
async def test_a_bad_policy_is_refused_with_422_naming_the_field_and_saves_nothing(
    api: httpx.AsyncClient, fields: dict[str, Any], codes: set[str], field: str
) -> None:
    key = await create_merchant(api)
    await put_policy(api, key)

    response = await api.put(POLICY, json=policy_body(**fields), headers=auth(key))

    assert response.status_code == 422, response.text
    assert error_code(response) in codes, response.text
    assert field in response.json()["error"]["message"], response.text
    assert (await get_policy(api, key))["version"] == 1


@pytest.mark.parametrize("missing", ["new_buyer_limit", "max_limit"])
async def test_a_policy_without_a_required_limit_is_refused(api: httpx.AsyncClient, missing: str) -> None:
    key = await create_merchant(api)
    body = policy_body()
    del body[missing]

    response = await api.put(POLICY, json=body, headers=auth(key))

    assert response.status_code == 422, response.text
    assert error_code(response) == "invalid_request"
    assert missing in response.json()["error"]["message"]
    assert (await get_policy(api, key))["version"] == 0


async def test_a_policy_in_an_unknown_currency_is_refused_naming_the_currency(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)

    response = await api.put(POLICY, json=policy_body(currency="XXZ"), headers=auth(key))

    assert response.status_code == 422, response.text
    # unsupported_currency is the service-wide code for a currency it does not know.
    assert error_code(response) in {"invalid_policy", "invalid_request", "unsupported_currency"}
    assert "currency" in response.json()["error"]["message"]
    assert (await get_policy(api, key))["version"] == 0


# Buyers' limits


async def test_a_buyer_created_without_a_limit_gets_the_policys_new_buyer_limit(
    api: httpx.AsyncClient,
) -> None:
    key = await create_merchant(api)
    await put_policy(api, key, new_buyer_limit="750.00")

    buyer = await create_policy_buyer(api, key)

    assert (buyer["credit_limit"], buyer["limit_source"]) == ("750.00", "policy")
    assert buyer["credit"] == {
        "limit": "750.00", "exposure": "0.00", "available": "750.00", "status": "active",
    }


async def test_a_buyer_created_before_any_policy_gets_the_default_new_buyer_limit(
    api: httpx.AsyncClient,
) -> None:
    key = await create_merchant(api)

    buyer = await create_policy_buyer(api, key)

    assert (buyer["credit_limit"], buyer["limit_source"]) == ("1000.00", "policy")


async def test_a_new_buyers_payment_record_starts_empty(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)

    buyer = await create_policy_buyer(api, key)

    assert buyer["payment_record"] == {
        "invoices_paid": 0, "paid_on_time": 0, "on_time_streak": 0, "average_days_late": "0",
        "worst_days_late": 0, "overdue_amount": "0.00",
    }  # fmt: skip


async def test_a_buyer_created_with_a_limit_is_manual(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    await put_policy(api, key, new_buyer_limit="750.00")

    buyer = await create_buyer(api, key, credit_limit="300.00")

    assert (buyer["credit_limit"], buyer["limit_source"]) == ("300.00", "manual")


async def test_a_manual_limit_above_the_policys_max_limit_is_kept(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    await put_policy(api, key, new_buyer_limit="100.00", max_limit="1000.00")

    buyer = await create_buyer(api, key, credit_limit="5000.00")

    assert (buyer["credit_limit"], buyer["limit_source"]) == ("5000.00", "manual")


async def test_a_new_policy_version_leaves_an_existing_manual_limit_alone(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key, credit_limit="300.00")

    await put_policy(api, key, new_buyer_limit="900.00")

    got = await get_buyer(api, key, buyer["id"])
    assert (got["credit_limit"], got["limit_source"]) == ("300.00", "manual")


async def test_the_first_credit_event_records_the_policy_limit_and_its_version(
    api: httpx.AsyncClient,
) -> None:
    key = await create_merchant(api)
    await put_policy(api, key, new_buyer_limit="750.00")

    buyer = await create_policy_buyer(api, key)

    [event] = await credit_history(api, key, buyer["id"])
    assert (event["kind"], event["new_limit"], event["invoice_id"]) == ("limit_set", "750.00", None)
    assert "v1" in event["reason"]


async def test_a_buyer_in_another_currency_than_the_policy_needs_a_credit_limit(
    api: httpx.AsyncClient,
) -> None:
    key = await create_merchant(api)

    response = await api.post("/v1/buyers", json=policy_buyer_body(currency="USD"), headers=auth(key))

    assert response.status_code == 422, response.text
    assert error_code(response) == "credit_limit_required"
    assert (await create_buyer(api, key, currency="USD", credit_limit="500.00"))["limit_source"] == "manual"


async def test_under_a_policy_in_another_currency_only_its_buyers_get_a_policy_limit(
    api: httpx.AsyncClient,
) -> None:
    key = await create_merchant(api)
    await put_policy(api, key, currency="USD", new_buyer_limit="400.00")

    in_euro = await api.post("/v1/buyers", json=policy_buyer_body(currency="EUR"), headers=auth(key))
    in_dollars = await create_policy_buyer(api, key, currency="USD")

    assert in_euro.status_code == 422, in_euro.text
    assert error_code(in_euro) == "credit_limit_required"
    assert (in_dollars["credit_limit"], in_dollars["limit_source"]) == ("400.00", "policy")


async def test_patching_limit_source_policy_puts_a_manual_buyer_back_on_the_policy(
    api: httpx.AsyncClient,
) -> None:
    key = await create_merchant(api)
    await put_policy(api, key, new_buyer_limit="750.00")
    buyer = await create_buyer(api, key, credit_limit="300.00")

    patched = await patch_buyer(api, key, buyer["id"], limit_source="policy")

    assert (patched["credit_limit"], patched["limit_source"]) == ("750.00", "policy")
    assert patched["credit"]["available"] == "750.00"
    newest = (await credit_history(api, key, buyer["id"]))[0]
    assert (newest["kind"], newest["old_limit"], newest["new_limit"]) == ("limit_changed", "300.00", "750.00")


async def test_patching_a_credit_limit_makes_a_policy_buyer_manual(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_policy_buyer(api, key)

    patched = await patch_buyer(api, key, buyer["id"], credit_limit="2500.00")

    assert (patched["credit_limit"], patched["limit_source"]) == ("2500.00", "manual")
    newest = (await credit_history(api, key, buyer["id"]))[0]
    assert (newest["kind"], newest["old_limit"], newest["new_limit"]) == (
        "limit_changed", "1000.00", "2500.00"
    )


async def test_patching_a_buyer_in_another_currency_onto_the_policy_needs_a_credit_limit(
    api: httpx.AsyncClient,
) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key, currency="USD", credit_limit="500.00")

    response = await api.patch(
        f"/v1/buyers/{buyer['id']}", json={"limit_source": "policy"}, headers=auth(key)
    )

    assert response.status_code == 422, response.text
    assert error_code(response) == "credit_limit_required"
    got = await get_buyer(api, key, buyer["id"])
    assert (got["credit_limit"], got["limit_source"]) == ("500.00", "manual")


async def test_review_all_is_set_at_create_and_by_patch(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_policy_buyer(api, key, review_all=True)
    assert buyer["review_all"] is True

    patched = await patch_buyer(api, key, buyer["id"], review_all=False)

    assert patched["review_all"] is False
    assert (await get_buyer(api, key, buyer["id"]))["review_all"] is False


async def test_the_credit_history_of_another_merchants_buyer_is_not_found(api: httpx.AsyncClient) -> None:
    mine = await create_merchant(api)
    theirs = await create_merchant(api, name="Other GmbH")
    buyer = await create_policy_buyer(api, theirs)

    response = await api.get(f"/v1/buyers/{buyer['id']}/credit/history", headers=auth(mine))

    assert response.status_code == 404
    assert error_code(response) == "buyer_not_found"
