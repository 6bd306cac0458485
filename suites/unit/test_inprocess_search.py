"""Search over HTTP (`/v1/payment_intents/search`, `/v1/charges/search`,
`/v1/customers/search`) on an in-process simulator: matches, order, pages, cursors,
`total_count`, `expand` and every refusal in Stripe's error shape."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from paylab.suites.unit.inprocess import OTHER_KEY, Answer, ClientFactory, Sim, start

PI_SEARCH = "/v1/payment_intents/search"


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


async def search(sim: Sim, path: str, query: str, **params: Any) -> dict[str, Any]:
    answer = await sim.stripe("GET", path, {"query": query, **params})
    assert answer.status == 200, answer.body
    return answer.body


def refusal(answer: Answer, param: str = "query") -> str:
    """Stripe's 400 for bad input: invalid_request_error naming the parameter."""
    assert answer.status == 400, answer.body
    assert answer.error["type"] == "invalid_request_error" and answer.error["param"] == param
    return answer.error["message"]


async def paid(sim: Sim, amount: int, **extra: Any) -> dict[str, Any]:
    answer = await sim.pay(amount, **extra)
    assert answer.status == 200, answer.body
    return answer.body


def ids(result: dict[str, Any]) -> list[str]:
    return [d["id"] for d in result["data"]]


# -- PaymentIntents --------------------------------------------------------------------------
async def test_matches_come_newest_first_in_a_search_result(sim: Sim) -> None:
    small = await paid(sim, 1000, metadata={"order": "A1"})
    big = await paid(sim, 5000, currency="eur")
    bigger = await paid(sim, 7000, metadata={"order": "A3"})
    found = await search(sim, PI_SEARCH, "amount>1000")
    assert found["object"] == "search_result" and found["url"] == PI_SEARCH
    assert ids(found) == [bigger["id"], big["id"]]
    assert found["has_more"] is False and found["next_page"] is None
    assert "total_count" not in found
    assert ids(await search(sim, PI_SEARCH, 'currency:"EUR"')) == [big["id"]]
    assert ids(await search(sim, PI_SEARCH, '-metadata["order"]:null')) == [
        bigger["id"], small["id"]]
    assert ids(await search(sim, PI_SEARCH, 'metadata["order"]:"A1" OR amount:5000')) == [
        big["id"], small["id"]]
    assert ids(await search(sim, PI_SEARCH, 'status:"succeeded" AND amount<=1000')) == [
        small["id"]]
    assert found["data"][0] == (await sim.stripe("GET", f"/v1/payment_intents/{bigger['id']}")
                                ).body


async def test_status_words_are_stripes(sim: Sim) -> None:
    created = await sim.stripe("POST", "/v1/payment_intents", {"amount": 900, "currency": "usd"})
    assert created.status == 200, created.body
    await paid(sim, 800)
    found = await search(sim, PI_SEARCH, 'status:"requires_payment_method"')
    assert ids(found) == [created.body["id"]]
    assert ids(await search(sim, PI_SEARCH, "-status:succeeded")) == [created.body["id"]]


async def test_pages_follow_next_page_to_the_end(sim: Sim) -> None:
    made = [await paid(sim, 100 + i) for i in range(7)]
    seen: list[str] = []
    page: dict[str, Any] = {}
    for _ in range(3):
        extra = {"page": page["next_page"]} if page else {}
        page = await search(sim, PI_SEARCH, "amount>=100", limit=3, **extra)
        seen += ids(page)
    assert seen == [p["id"] for p in reversed(made)]
    assert page["has_more"] is False and page["next_page"] is None and len(page["data"]) == 1


async def test_a_last_page_that_is_exactly_full_has_no_more(sim: Sim) -> None:
    made = [await paid(sim, 100 + i) for i in range(4)]
    first = await search(sim, PI_SEARCH, "amount>1", limit=2)
    assert first["has_more"] and first["next_page"]
    last = await search(sim, PI_SEARCH, "amount>1", limit=2, page=first["next_page"])
    assert ids(last) == [made[1]["id"], made[0]["id"]]
    assert last["has_more"] is False and last["next_page"] is None
    exact = await search(sim, PI_SEARCH, "amount>1", limit=4)
    assert len(exact["data"]) == 4 and exact["has_more"] is False


async def test_a_page_keeps_its_place_when_newer_objects_arrive(sim: Sim) -> None:
    made = [await paid(sim, 100 + i) for i in range(4)]
    first = await search(sim, PI_SEARCH, "amount>1", limit=2)
    await paid(sim, 999)
    second = await search(sim, PI_SEARCH, "amount>1", limit=2, page=first["next_page"])
    assert ids(second) == [made[1]["id"], made[0]["id"]]


async def test_total_count_only_when_expanded(sim: Sim) -> None:
    for amount in (100, 200, 300):
        await paid(sim, amount)
    found = await search(sim, PI_SEARCH, "amount>100", limit=1, **{"expand[]": "total_count"})
    assert found["total_count"] == 2 and len(found["data"]) == 1 and found["has_more"]
    none = await search(sim, PI_SEARCH, "amount>5000", **{"expand[]": "total_count"})
    assert (none["total_count"], none["data"], none["next_page"]) == (0, [], None)


async def test_expand_reaches_into_data_and_is_checked(sim: Sim) -> None:
    pi = await paid(sim, 4200)
    found = await search(sim, PI_SEARCH, "amount:4200",
                         expand=["data.latest_charge", "total_count"])
    assert found["data"][0]["latest_charge"]["id"] == pi["latest_charge"]
    assert found["total_count"] == 1
    bad = await sim.stripe("GET", PI_SEARCH, {"query": "amount:1", "expand[]": "data.nothing"})
    message = refusal(bad, "expand")  # pipeline.check_expand's words, on the list's path
    assert message.startswith("This property cannot be expanded (") and "nothing)" in message


async def test_a_search_sees_only_its_own_tenant(sim: Sim) -> None:
    await paid(sim, 1234)
    theirs = await sim.stripe("GET", PI_SEARCH, {"query": "amount:1234"}, key=OTHER_KEY)
    assert theirs.status == 200 and theirs.body["data"] == []


# -- refusals ---------------------------------------------------------------------------------
async def test_bad_queries_get_stripes_error_and_change_nothing(sim: Sim) -> None:
    await paid(sim, 100)
    before = len(await sim.events())
    parse = refusal(await sim.stripe("GET", PI_SEARCH, {"query": "asdf"}))
    assert parse.startswith("We were unable to parse your search query.")
    unknown = refusal(await sim.stripe("GET", PI_SEARCH, {"query": 'email:"a@b.c"'}))
    assert unknown.startswith("Field `email` is an unsupported search field for resource "
                              "`payment_intents`.")
    mixed = refusal(await sim.stripe("GET", PI_SEARCH, {"query": "amount:1 OR a:1 AND b:2"}))
    assert "cannot combine" in mixed
    missing = await sim.stripe("GET", PI_SEARCH, {"limit": 1})
    assert refusal(missing) == "Missing required param: query."
    assert len(await sim.events()) == before


@pytest.mark.parametrize(("params", "param"), [
    ({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"limit": "many"}, "limit"),
    ({"query": "x" * 5001}, "query"), ({"starting_after": "pi_1"}, "starting_after"),
])
async def test_parameters_are_checked(sim: Sim, params: dict[str, Any], param: str) -> None:
    answer = await sim.stripe("GET", PI_SEARCH, {"query": "amount>1", **params})
    refusal(answer, param)


async def test_a_page_from_elsewhere_or_changed_is_refused(sim: Sim) -> None:
    for amount in (100, 200, 300):
        await paid(sim, amount)
    cursor = (await search(sim, PI_SEARCH, "amount>1", limit=1))["next_page"]
    assert cursor
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    forged = base64.urlsafe_b64encode(raw.replace(b"[", b"[9", 1)).decode().rstrip("=")
    for query, page, key in (("amount>2", cursor, None),            # another query
                             ("amount>1", forged, None),            # changed
                             ("amount>1", "garbage", None),
                             ("amount>1", "é", None),
                             ("amount>1", cursor, OTHER_KEY)):      # another tenant
        answer = await sim.stripe("GET", PI_SEARCH, {"query": query, "page": page}, key=key)
        assert refusal(answer, "page").startswith("Invalid page:")
    other = await sim.stripe("GET", "/v1/charges/search", {"query": "amount>1", "page": cursor})
    refusal(other, "page")  # a PaymentIntent cursor is no charge cursor


# -- Charges ----------------------------------------------------------------------------------
async def test_charges_by_card_status_refund_and_postal_code(sim: Sim) -> None:
    visa = await paid(sim, 3000)
    master = await paid(sim, 3100, card="pm_card_mastercard")
    declined = await sim.pay(3200, card="pm_card_chargeDeclined")
    assert declined.status == 402, declined.body
    refund = await sim.stripe("POST", "/v1/refunds", {"payment_intent": visa["id"]})
    assert refund.status == 200, refund.body
    path = "/v1/charges/search"
    assert ids(await search(sim, path, 'payment_method_details.card.last4:"4444"')) == [
        master["latest_charge"]]
    assert ids(await search(sim, path, 'payment_method_details.card.brand:"visa" '
                                       'AND refunded:"true"')) == [visa["latest_charge"]]
    failed = await search(sim, path, 'status:"failed"')
    assert [c["payment_intent"] for c in failed["data"]] == [declined.error["payment_intent"]["id"]]
    assert (await search(sim, path, "disputed:false", **{"expand[]": "total_count"})
            )["total_count"] == 3
    assert ids(await search(sim, path, 'billing_details.address.postal_code:"10001"')) == []
    assert (await search(sim, path, "amount>0"))["url"] == path
    assert refusal(await sim.stripe("GET", path, {"query": 'email~"abc"'})).startswith(
        "Field `email` is an unsupported search field for resource `charges`.")


# -- Customers --------------------------------------------------------------------------------
async def test_customers_by_email_name_phone_and_metadata(sim: Sim) -> None:
    made = [sim.domain.customers.create(sim.tenant, "stripe", params) for params in (
        {"email": "amy@rocketrides.io", "name": "Amy Tan", "metadata": {"tier": "gold"}},
        {"email": "bo@example.com", "name": "Bo Chen", "phone": "+886912345678"},
        {"email": "cy@rocketrides.io", "name": "Cy Amyson"},
    )]
    path = "/v1/customers/search"
    assert ids(await search(sim, path, 'email:"AMY@rocketrides.io"')) == [made[0]["id"]]
    assert ids(await search(sim, path, 'email~"rocketrides"')) == [made[2]["id"], made[0]["id"]]
    assert ids(await search(sim, path, 'name~"amy"')) == [made[2]["id"], made[0]["id"]]
    assert ids(await search(sim, path, 'phone~"912345"')) == [made[1]["id"]]
    assert ids(await search(sim, path, 'metadata["tier"]:"gold"')) == [made[0]["id"]]
    assert ids(await search(sim, path, "-phone:null")) == [made[1]["id"]]
    found = await search(sim, path, 'email~"rocketrides" -name~"amyson"')
    assert found["url"] == path and found["data"][0]["object"] == "customer"
    assert ids(found) == [made[0]["id"]]
    assert refusal(await sim.stripe("GET", path, {"query": 'email~"ro"'})).endswith(
        "needs a value of at least 3 characters.")


async def test_a_page_carries_on_when_its_last_customer_was_deleted(sim: Sim) -> None:
    made = [sim.domain.customers.create(sim.tenant, "stripe", {"email": f"c{i}@shop.example"})
            for i in range(5)]
    path = "/v1/customers/search"
    first = await search(sim, path, 'email~"shop.example"', limit=2)
    assert ids(first) == [made[4]["id"], made[3]["id"]]
    sim.domain.customers.delete(sim.tenant, made[3]["id"])
    sim.domain.customers.create(sim.tenant, "stripe", {"email": "new@shop.example"})
    rest = await search(sim, path, 'email~"shop.example"', limit=5, page=first["next_page"])
    assert ids(rest) == [made[2]["id"], made[1]["id"], made[0]["id"]]
