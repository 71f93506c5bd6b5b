"""The merchant's reminder ladder and a buyer's own over HTTP: the default, versions, every
validation rule answered 422 naming the stage, template sandboxing, and tenancy."""

from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_KEY
from tests.utils.credit import get_buyer, patch_buyer
from tests.utils.dunning import DEFAULT_STAGES, DUNNING, get_ladder, put_ladder, set_buyer_ladder, stage
from tests.utils.factories import auth, create_buyer, create_merchant, error_code

NO_EXTRAS = {
    "subject": None, "body": None, "late_fee": None, "suspend_credit": False, "mark_uncollectible": False,
}
DUE = 'stages[0] "due": '


def with_fee(**late_fee: str) -> list[dict[str, Any]]:
    return [stage("due", 0, late_fee=late_fee)]


def valid_stages() -> list[dict[str, Any]]:
    return [stage("due", 0), stage("overdue_1", 7), stage("overdue_2", 14)]


async def refused(api: httpx.AsyncClient, key: str, stages: list[dict[str, Any]]) -> str:
    response = await api.put(DUNNING, json={"stages": stages}, headers=auth(key))
    assert response.status_code == 422, response.text
    assert error_code(response) == "invalid_ladder", response.text
    return response.json()["error"]["message"]


# Reading and saving


async def test_before_any_put_get_answers_the_default_ladder_as_version_0(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)

    assert await get_ladder(api, key) == {"version": 0, "stages": DEFAULT_STAGES}


async def test_put_saves_version_1_and_answers_the_whole_ladder(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    stages = [
        stage("heads_up", -2, subject="{{ invoice_number }} soon", body="Hi {{ buyer_name }}"),
        stage("late", 5, late_fee={"fixed": "10"}),
        stage("later", 12, late_fee={"percent": "1.50", "cap": "50"}, suspend_credit=True),
        stage("write_off", 60, mark_uncollectible=True),
    ]

    saved = await put_ladder(api, key, stages)

    assert saved == {"version": 1, "stages": [
        NO_EXTRAS | {"name": "heads_up", "offset_days": -2, "subject": "{{ invoice_number }} soon",
                     "body": "Hi {{ buyer_name }}"},
        NO_EXTRAS | {"name": "late", "offset_days": 5,
                     "late_fee": {"fixed": "10.00", "percent": None, "cap": None}},
        NO_EXTRAS | {"name": "later", "offset_days": 12, "suspend_credit": True,
                     "late_fee": {"fixed": None, "percent": "1.5", "cap": "50.00"}},
        NO_EXTRAS | {"name": "write_off", "offset_days": 60, "mark_uncollectible": True},
    ]}  # fmt: skip
    assert await get_ladder(api, key) == saved


async def test_each_put_makes_a_new_version_and_get_answers_the_newest(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)

    versions = [(await put_ladder(api, key, [stage("due", offset)]))["version"] for offset in (0, 1, 2)]

    assert versions == [1, 2, 3]
    assert (await get_ladder(api, key))["stages"][0]["offset_days"] == 2


async def test_what_get_answers_can_be_put_back_unchanged(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)

    saved = await put_ladder(api, key, (await get_ladder(api, key))["stages"])

    assert saved == {"version": 1, "stages": DEFAULT_STAGES}


async def test_an_empty_ladder_is_saved(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)

    assert await put_ladder(api, key, []) == {"version": 1, "stages": []}


async def test_a_merchant_in_yen_gives_fees_in_whole_yen(api: httpx.AsyncClient) -> None:
    created = await api.post("/v1/merchants", json={"name": "Kaisha KK", "currency": "JPY"},
                             headers=auth(ADMIN_KEY))
    key = created.json()["api_key"]

    saved = await put_ladder(api, key, [stage("late", 5, late_fee={"fixed": "1000"})])
    cents = await api.put(DUNNING, json={"stages": [stage("late", 5, late_fee={"fixed": "10.50"})]},
                          headers=auth(key))

    assert saved["stages"][0]["late_fee"]["fixed"] == "1000"
    assert cents.status_code == 422
    assert "more than 0 decimals for JPY" in cents.json()["error"]["message"]


# Validation


@pytest.mark.parametrize(
    ("stages", "message"),
    [
        (
            [stage("upcoming", -3), stage("due", 0), stage("overdue_2", 0)],
            'stages[2] "overdue_2": offset_days must be greater than the previous stage\'s',
        ),
        ([stage("late", 9), stage("early", 1)], 'stages[1] "early": offset_days must be greater'),
        ([stage("due", 0), stage("due", 3)], 'stages[1] "due": name is already used by an earlier stage'),
        ([stage("Due Date", 0)], 'stages[0] "Due Date": name must be 1 to 40 lower-case letters'),
        ([stage("due\r\nX-Evil: 1", 0)], 'stages[0] "due\\r\\nX-Evil: 1": name must be'),
        ([stage("overdue", 1)], 'stages[0] "overdue": name \'overdue\' is reserved'),
        ([stage("far", 4000)], 'stages[0] "far": offset_days must be between -365 and 3650'),
        (
            [stage("gone", 30, mark_uncollectible=True), stage("after", 40)],
            'stages[0] "gone": a mark_uncollectible stage must be the last stage',
        ),
        (
            [stage("a", 30, mark_uncollectible=True), stage("b", 40, mark_uncollectible=True)],
            'stages[1] "b": only one stage may mark_uncollectible',
        ),
        (
            [stage("due", 0), stage("gone", 40, mark_uncollectible=True, subject="Bye")],
            'stages[1] "gone": a mark_uncollectible stage sends no email',
        ),
        ([stage("due", 0, subject="Pay\nBcc: x@evil.example")], 'stages[0] "due": subject must be one line'),
        ([stage("due", 0, subject="x" * 201)], 'stages[0] "due": subject has at most 200 characters'),
        ([stage("due", 0, body="x" * 5001)], 'stages[0] "due": body has at most 5000 characters'),
        (with_fee(), DUE + "late_fee is either"),
        (with_fee(fixed="1.00", percent="1"), DUE + "late_fee is either"),
        (with_fee(fixed="1.00", cap="5.00"), DUE + "late_fee.cap goes with a percent fee"),
        (with_fee(fixed="-1.00"), DUE + "late_fee.fixed must be greater than 0"),
        (with_fee(fixed="1.001"), DUE + "late_fee.fixed '1.001' has more than 2 decimals"),
        (with_fee(percent="150"), DUE + "late_fee.percent must be greater than 0 and at most 100"),
        (with_fee(percent="1", cap="lots"), DUE + "late_fee.cap 'lots' is not a plain decimal"),
        (
            [stage(f"s{i}", i) for i in range(21)],
            "a ladder has at most 20 stages, not 21",
        ),
    ],
)
async def test_a_bad_ladder_is_refused_with_422_naming_the_stage_and_saves_nothing(
    api: httpx.AsyncClient, stages: list[dict[str, Any]], message: str
) -> None:
    key = await create_merchant(api)
    await put_ladder(api, key, valid_stages())

    assert message in await refused(api, key, stages)
    assert (await get_ladder(api, key))["version"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"stages": [{"name": "due", "offset_days": "3"}]}, "offset_days"),
        ({"stages": [{"name": "due", "offset_days": 1.5}]}, "offset_days"),
        ({"stages": [{"name": "due"}]}, "offset_days"),
        ({"stages": [{"name": "due", "offset_days": 0, "tone": "angry"}]}, "tone"),
        ({"stages": [{"name": "due", "offset_days": 0, "late_fee": {"fixed": 10}}]}, "fixed"),
        ({"ladder": []}, "stages"),
    ],
)
async def test_a_malformed_body_is_refused_as_an_invalid_request(
    api: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    key = await create_merchant(api)

    response = await api.put(DUNNING, json=body, headers=auth(key))

    assert response.status_code == 422, response.text
    assert error_code(response) == "invalid_request"
    assert field in response.json()["error"]["message"]
    assert (await get_ladder(api, key))["version"] == 0


# Templates


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("{{ buyer_name.__class__ }}", "attribute access (.x) is not allowed"),
        ("{{ buyer_name.__class__.__mro__[1].__subclasses__() }}", "not allowed"),
        ("{{ cycler.__init__.__globals__.os.system('id') }}", "not allowed"),
        ("{{ self.__init__.__globals__ }}", "attribute access (.x) is not allowed"),
        ("{{ buyer_name|attr('__class__') }}", "filter 'attr' is not allowed"),
        ("{{ 'x' * 100000000 }}", "arithmetic is not allowed"),
        ("{% for i in range(100000) %}x{% endfor %}", "loops are not allowed"),
        ("{{ customer_secret }}", "unknown variable 'customer_secret'"),
        ("Dear {{ buyer_name }", "has a syntax error on line 1"),
    ],
)
@pytest.mark.parametrize("field", ["subject", "body"])
async def test_a_template_that_could_escape_the_sandbox_or_fail_later_is_refused_at_save_time(
    api: httpx.AsyncClient, field: str, template: str, problem: str
) -> None:
    key = await create_merchant(api)

    message = await refused(api, key, [stage("due", 0), stage("nudge", 3, **{field: template})])

    assert message.startswith(f'stages[1] "nudge": {field} '), message
    assert problem in message, message
    assert (await get_ladder(api, key))["version"] == 0


async def test_a_template_nested_too_deeply_for_the_parser_is_refused(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    body = "{{ " + "not " * 1200 + "stage }}"

    message = await refused(api, key, [stage("due", 0, body=body)])

    assert message == DUE + "body is nested too deeply"


async def test_templates_using_the_documented_variables_are_accepted(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    body = (
        "Dear {{ buyer_name }},\n\n{{ invoice_number }} of {{ total }} ({{ currency }}),"
        " issued {{ issue_date }}, was due {{ due_date }}: {{ amount_due }} is open."
        " Reference {{ payment_reference }}, {{ pay_link }}."
        "\n\n{{ merchant_name|upper }}{% if stage == 'nudge' %} (nudge){% endif %}"
    )

    saved = await put_ladder(api, key, [stage("nudge", 3, subject="{{ invoice_number }} is open", body=body)])

    assert saved["stages"][0]["body"] == body


# Tenancy and auth


async def test_one_merchants_ladder_never_applies_to_another(api: httpx.AsyncClient) -> None:
    mine = await create_merchant(api)
    theirs = await create_merchant(api, name="Other GmbH")
    await put_ladder(api, mine, valid_stages())

    assert await get_ladder(api, theirs) == {"version": 0, "stages": DEFAULT_STAGES}


@pytest.mark.parametrize("method", ["GET", "PUT"])
async def test_the_ladder_without_an_api_key_is_unauthorized(api: httpx.AsyncClient, method: str) -> None:
    kwargs: dict[str, Any] = {"json": {"stages": valid_stages()}} if method == "PUT" else {}

    response = await api.request(method, DUNNING, **kwargs)

    assert response.status_code == 401
    assert error_code(response) == "unauthorized"


# A buyer's own ladder


async def test_a_buyer_has_no_ladder_of_its_own_until_one_is_set(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)

    buyer = await create_buyer(api, key)

    assert buyer["dunning_ladder"] is None


async def test_patching_a_buyers_ladder_shows_it_on_the_buyer(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)

    response = await set_buyer_ladder(api, key, buyer["id"], [stage("due", 0, subject="Due: {{ total }}")])

    assert response.status_code == 200, response.text
    expected = {"stages": [NO_EXTRAS | {"name": "due", "offset_days": 0, "subject": "Due: {{ total }}"}]}
    assert response.json()["dunning_ladder"] == expected
    assert (await get_buyer(api, key, buyer["id"]))["dunning_ladder"] == expected


async def test_patching_null_hands_the_buyer_back_to_the_merchants_ladder(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    await set_buyer_ladder(api, key, buyer["id"], valid_stages())

    response = await set_buyer_ladder(api, key, buyer["id"], None)

    assert response.status_code == 200, response.text
    assert (await get_buyer(api, key, buyer["id"]))["dunning_ladder"] is None


async def test_patching_other_fields_leaves_the_buyers_ladder_alone(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    await set_buyer_ladder(api, key, buyer["id"], valid_stages())

    patched = await patch_buyer(api, key, buyer["id"], payment_terms_days=10)

    assert [s["name"] for s in patched["dunning_ladder"]["stages"]] == ["due", "overdue_1", "overdue_2"]


async def test_a_buyers_fees_are_in_the_buyers_currency(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key, currency="JPY", credit_limit="100000")

    cents = await set_buyer_ladder(api, key, buyer["id"], [stage("late", 5, late_fee={"fixed": "9.99"})])
    yen = await set_buyer_ladder(api, key, buyer["id"], [stage("late", 5, late_fee={"fixed": "999"})])

    assert cents.status_code == 422 and "for JPY" in cents.json()["error"]["message"]
    assert yen.json()["dunning_ladder"]["stages"][0]["late_fee"]["fixed"] == "999"


async def test_a_bad_buyer_ladder_is_refused_naming_the_stage_and_changes_nothing(
    api: httpx.AsyncClient,
) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    body = {"payment_terms_days": 5, "dunning_ladder": {"stages": [stage("due", 0), stage("due", 9)]}}

    response = await api.patch(f"/v1/buyers/{buyer['id']}", json=body, headers=auth(key))

    assert response.status_code == 422, response.text
    assert error_code(response) == "invalid_ladder"
    assert response.json()["error"]["message"].startswith('stages[1] "due": name is already used')
    unchanged = await get_buyer(api, key, buyer["id"])
    assert (unchanged["dunning_ladder"], unchanged["payment_terms_days"]) == (None, 30)


async def test_a_buyers_ladder_template_is_sandboxed_too(api: httpx.AsyncClient) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)

    escape = [stage("due", 0, body="{{ pay_link.__class__ }}")]

    response = await set_buyer_ladder(api, key, buyer["id"], escape)

    assert response.status_code == 422, response.text
    assert response.json()["error"]["message"] == 'stages[0] "due": body attribute access (.x) is not allowed'


async def test_another_merchants_buyer_ladder_cannot_be_set(api: httpx.AsyncClient) -> None:
    mine = await create_merchant(api)
    theirs = await create_merchant(api, name="Other GmbH")
    buyer = await create_buyer(api, theirs)

    response = await set_buyer_ladder(api, mine, buyer["id"], valid_stages())

    assert response.status_code == 404
    assert error_code(response) == "buyer_not_found"
    assert (await get_buyer(api, theirs, buyer["id"]))["dunning_ladder"] is None
