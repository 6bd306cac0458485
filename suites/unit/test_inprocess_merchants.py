"""Gateway merchants: the published stage merchants seeded at start, registering more on
/_sim/merchants (keys shown once, then masked), refusals, each merchant a known tenant
that outlives resets, and keys that come from the CSPRNG and stay out of the journal."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import InvalidRequest
from paylab.simulator.core.merchants import mask
from paylab.suites.unit.inprocess import ClientFactory, Sim, start


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


def published(vectors: dict[str, Any]) -> dict[tuple[str, str], tuple[str, str]]:
    """The gateways' published stage merchants, as the held vectors record them."""
    ecpay = vectors["ecpay_check_mac_value"]
    newebpay = vectors["newebpay"]["credentials"]
    return {
        ("ecpay", ecpay[0]["params"]["MerchantID"]): (ecpay[0]["hash_key"], ecpay[0]["hash_iv"]),
        ("ecpay", ecpay[3]["params"]["MerchantID"]): (ecpay[3]["hash_key"], ecpay[3]["hash_iv"]),
        ("ecpay", "2000214"): (ecpay[3]["hash_key"], ecpay[3]["hash_iv"]),  # same as 2000132
        ("newebpay", newebpay["merchant_id"]): (newebpay["hash_key"], newebpay["hash_iv"]),
    }


async def listed(sim: Sim, **query: str) -> list[dict[str, Any]]:
    answer = await sim.control("GET", "/merchants", query=query)
    assert answer.status == 200, answer.body
    return answer.body["merchants"]


async def test_the_published_stage_merchants_are_there_from_the_start(
        sim: Sim, vectors: dict[str, Any]) -> None:
    shown = {(m["gateway"], m["merchant_id"]): m for m in await listed(sim)}
    expected = published(vectors)
    assert {key for key in shown if key[0] in ("ecpay", "newebpay")} == set(expected)
    for (gateway, merchant_id), (key, iv) in expected.items():
        merchant = shown[(gateway, merchant_id)]
        assert (merchant["hash_key"], merchant["hash_iv"]) == (key, iv)  # public: in full
        assert merchant["published"] is True
        assert merchant["tenant"] == f"{gateway}-{merchant_id}"
        assert sim.domain.tenants.known(merchant["tenant"])
        got = sim.domain.merchants.get(gateway, merchant_id)
        assert got is not None and (got.hash_key, got.hash_iv) == (key, iv)
    newebpay = vectors["newebpay"]["credentials"]["merchant_id"]
    assert [m["merchant_id"] for m in await listed(sim, gateway="newebpay")] == [newebpay]
    assert sim.domain.merchants.get("ecpay", newebpay) is None
    assert sim.domain.merchants.seed_published() == 0  # idempotent


async def test_registering_generates_what_is_missing_and_masks_it_afterwards(
        sim: Sim, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for gateway, key_length, id_pattern in (("ecpay", 16, r"\d{7}"),
                                            ("newebpay", 32, r"MS\d{9}")):
        answer = await sim.control("POST", "/merchants", {"gateway": gateway})
        assert answer.status == 201, answer.body
        made = answer.body
        assert re.fullmatch(id_pattern, made["merchant_id"])
        assert re.fullmatch(rf"[A-Za-z0-9]{{{key_length}}}", made["hash_key"])
        assert re.fullmatch(r"[A-Za-z0-9]{16}", made["hash_iv"])
        assert made["tenant"] == f"{gateway}-{made['merchant_id']}"
        assert made["published"] is False
        assert sim.domain.tenants.known(made["tenant"])
        again = next(m for m in await listed(sim, gateway=gateway)
                     if m["merchant_id"] == made["merchant_id"])
        assert again["hash_key"] == "*" * (key_length - 4) + made["hash_key"][-4:]
        assert again["hash_iv"] == "*" * 12 + made["hash_iv"][-4:]
        stored = sim.domain.merchants.for_tenant(made["tenant"])
        assert stored is not None and stored.hash_key == made["hash_key"]
        assert made["hash_key"] not in repr(stored) and made["hash_key"] not in caplog.text
        journal = str(sim.domain.store.all("SELECT * FROM journal"))
        assert made["hash_key"] not in journal and made["hash_iv"] not in journal


async def test_given_ids_and_keys_are_kept_and_checked(sim: Sim,
                                                       vectors: dict[str, Any]) -> None:
    stage = vectors["ecpay_check_mac_value"][0]["params"]["MerchantID"]
    key, iv = "A" * 28 + "wxyz", "B" * 12 + "1234"
    answer = await sim.control("POST", "/merchants", {
        "gateway": "newebpay", "merchant_id": "MS000000001", "hash_key": key, "hash_iv": iv})
    assert answer.status == 201
    assert answer.body == {"gateway": "newebpay", "merchant_id": "MS000000001",
                           "tenant": "newebpay-MS000000001", "published": False,
                           "created": answer.body["created"], "hash_key": key, "hash_iv": iv}
    refusals = [
        ({"gateway": "newebpay", "merchant_id": "MS000000001"}, "merchant_exists",
         "merchant_id", "The newebpay merchant MS000000001 already exists."),
        ({"gateway": "ecpay", "merchant_id": stage}, "merchant_exists", "merchant_id",
         f"The ecpay merchant {stage} already exists."),
        ({"gateway": "ecpay", "hash_key": key}, "key_invalid", "hash_key",
         "A ecpay hash_key is 16 letters and digits."),
        ({"gateway": "newebpay", "hash_iv": "short"}, "key_invalid", "hash_iv",
         "A newebpay hash_iv is 16 letters and digits."),
        ({"gateway": "ecpay", "hash_iv": "B" * 15 + "!"}, "key_invalid", "hash_iv",
         "A ecpay hash_iv is 16 letters and digits."),
        ({"gateway": "ecpay", "merchant_id": "12345678901"}, "merchant_id_invalid",
         "merchant_id", "A ecpay merchant id is 1 to 10 letters and digits."),
        ({"gateway": "stripe"}, "gateway_unknown", "gateway",
         "No gateway 'stripe' keeps merchants; one of: ecpay, newebpay, linepay, jkopay, paypal."),
    ]
    for body, code, where, message in refusals:
        refused = await sim.control("POST", "/merchants", body)
        assert refused.status == 400, body
        assert refused.body == {"error": {"code": code, "message": message, "field": where}}
    missing = await sim.control("POST", "/merchants", {})
    assert missing.status == 400 and missing.body["error"]["code"] == "invalid_parameter"
    assert (await sim.control("GET", "/merchants", query={"gateway": "nope"})).status == 400
    assert len(await listed(sim)) == 8  # the 7 published and the one registered


async def test_merchants_and_their_tenants_outlive_resets(sim: Sim,
                                                         vectors: dict[str, Any]) -> None:
    stage = vectors["ecpay_check_mac_value"][0]["params"]["MerchantID"]
    made = (await sim.control("POST", "/merchants", {"gateway": "ecpay"})).body
    assert (await sim.control("POST", "/reset", {"tenant": made["tenant"]})).status == 200
    assert sim.domain.tenants.known(made["tenant"])
    assert (await sim.control("POST", "/reset", {})).body == {"reset": "all"}
    assert sim.domain.tenants.known(made["tenant"])
    assert sim.domain.tenants.known(f"ecpay-{stage}")
    assert len(await listed(sim)) == 8
    scoped = await sim.control("GET", "/scenario", query={"tenant": made["tenant"]})
    assert scoped.status == 200, scoped.body


async def test_keys_come_from_the_csprng_not_the_seed(aiohttp_client: ClientFactory) -> None:
    made = []
    for _ in range(2):
        sim = await start(aiohttp_client)  # the same seed each time
        made.append((await sim.control("POST", "/merchants", {"gateway": "ecpay"})).body)
    assert made[0]["merchant_id"] == made[1]["merchant_id"]  # ids are seeded
    assert made[0]["hash_key"] != made[1]["hash_key"]
    assert made[0]["hash_iv"] != made[1]["hash_iv"]


async def test_a_restart_keeps_registered_merchants_and_seeds_nothing_twice(
        aiohttp_client: ClientFactory, tmp_path: Path) -> None:
    db = str(tmp_path / "paylab.db")
    before = await start(aiohttp_client, db=db)
    made = (await before.control("POST", "/merchants", {"gateway": "newebpay"})).body
    await before.client.close()
    after = await start(aiohttp_client, db=db)
    kept = after.domain.merchants.get("newebpay", made["merchant_id"])
    assert kept is not None and (kept.hash_key, kept.hash_iv) == (made["hash_key"],
                                                                   made["hash_iv"])
    assert len(await listed(after)) == 8


def test_mask_hides_all_but_the_last_four() -> None:
    assert mask("pwFHCqoQZGmho4w6") == "************o4w6"
    assert mask("abc") == "abc"


def test_a_merchant_registered_meanwhile_by_another_process_is_refused(
        domain: Domain, vectors: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    stage = vectors["ecpay_check_mac_value"][0]["params"]["MerchantID"]
    monkeypatch.setattr(domain.merchants, "get", lambda gateway, merchant_id: None)
    with pytest.raises(InvalidRequest) as taken:
        domain.merchants.register("ecpay", stage)
    assert taken.value.code == "merchant_exists" and taken.value.param == "merchant_id"
    assert domain.merchants.for_tenant(f"ecpay-{stage}").hash_key == (  # type: ignore[union-attr]
        vectors["ecpay_check_mac_value"][0]["hash_key"])


async def test_the_wallets_stage_merchants_show_their_own_names(sim: Sim) -> None:
    shown = {m["gateway"]: m for m in await listed(sim) if m["published"]}
    line, jko, paypal = shown["linepay"], shown["jkopay"], shown["paypal"]
    assert line["credentials"] == {"channel_id": line["merchant_id"],
                                   "channel_secret": line["hash_key"]}
    assert len(line["hash_key"]) == 32 and line["hash_iv"] == ""
    assert jko["credentials"] == {"store_id": "35f12dff-1581-11e9-a054-00505684fd45",
                                  "secret_key": jko["hash_key"], "api_key": jko["hash_iv"]}
    assert paypal["credentials"]["client_id"] == paypal["merchant_id"]
    assert "credentials" not in shown["ecpay"]


async def test_a_wallet_merchant_is_registered_with_one_key(sim: Sim) -> None:
    answer = await sim.control("POST", "/merchants", body={"gateway": "paypal"})
    assert answer.status == 201, answer.body
    assert len(answer.body["hash_key"]) == 80 and answer.body["hash_iv"] == ""
    assert answer.body["credentials"]["client_secret"] == answer.body["hash_key"]
    bad = await sim.control("POST", "/merchants", body={"gateway": "linepay",
                                                         "merchant_id": "not-digits"})
    assert (bad.status, bad.body["error"]["code"]) == (400, "merchant_id_invalid"), bad.body
