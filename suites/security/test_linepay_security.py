"""LINE Pay under attack, against the live simulator: a bad signature, a body changed after
signing, another channel's secret, a reused nonce (a replayed confirm with its headers
changes nothing), a confirm repeated with a fresh nonce (1172, paid once), an amount
changed at confirm (1153, nothing changed), another channel's transaction id (1150 on every
operation, nothing leaks), and the injection catalogue in every body field, query
parameter, path segment and header, each request signed with a fresh nonce so the payload
reaches its field (the generic bench does so for request, payment details and check-status
through its `seal` hook, but not for confirm/capture/void/refund, which need a transaction in
a given state per probe: suites/security/injection/linepay_rail.py).
Every refusal is LINE Pay's JSON envelope and changes nothing.

Each test registers its own channels on /_sim/merchants."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from paylab.suites.plugins.simulator import LiveSimulator
from paylab.suites.security.injection.payloads import as_bytes, json_literal, payloads, text
from paylab.suites.unit.linepay_merchant import Channel, request_body

SENTINEL = "__paylab_probe__"
CHOSEN = [p for ps in payloads().values() for p in ps[:2]]


@pytest.fixture
def channel(simulator: LiveSimulator) -> Channel:
    return Channel.register(simulator.url, requests.Session())


@pytest.fixture
def other(simulator: LiveSimulator) -> Channel:
    return Channel.register(simulator.url, requests.Session())


def approved(channel: Channel, order_id: str, amount: int = 1000, **options: Any) -> int:
    info = channel.request(order_id, amount, **options)
    channel.approve(info)
    return info["transactionId"]


def paid_once(channel: Channel, tid: int) -> dict[str, Any]:
    listed = channel.call("GET", "/v3/payments", query=f"transactionId={tid}")
    assert listed["returnCode"] == "0000" and len(listed["info"]) == 1, listed
    return listed["info"][0]


def test_a_bad_signature_a_changed_body_and_a_foreign_secret_are_1106(
        channel: Channel, other: Channel) -> None:
    raw = json.dumps(request_body("S-1", 1000)).encode()
    good = channel.send("POST", "/v3/payments/request", raw=raw)
    assert good.json()["returnCode"] == "0000"
    signed = good.request.headers
    for headers, body in (
            ({**signed, "X-LINE-Authorization-Nonce": "fresh-1",
              "X-LINE-Authorization": signed["X-LINE-Authorization"][:-2] + "A="}, raw),
            ({**signed, "X-LINE-Authorization-Nonce": "fresh-2"}, raw.replace(b"S-1", b"S-2")),
    ):
        answer = requests.post(good.request.url, data=body, headers=dict(headers), timeout=10)
        assert (answer.status_code, answer.json()["returnCode"]) == (200, "1106")
    foreign = Channel(channel.base, channel.http, channel.channel_id, other.secret)
    assert foreign.call("POST", "/v3/payments/request", request_body("S-3", 1000)
                        )["returnCode"] == "1106"
    assert channel.call("GET", "/v3/payments", query="orderId=S-2")["returnCode"] == "1150"
    assert channel.call("POST", "/v3/payments/request", request_body("S-3", 10)
                        )["returnCode"] == "0000", "the refused S-3 left nothing behind"


def test_a_replayed_confirm_is_refused_and_pays_once(channel: Channel) -> None:
    tid = approved(channel, "S-confirm")
    first = channel.send("POST", f"/v3/payments/{tid}/confirm",
                         {"amount": 1000, "currency": "TWD"})
    assert first.json()["returnCode"] == "0000"
    replay = requests.post(first.request.url, data=first.request.body,
                           headers=dict(first.request.headers), timeout=10)
    assert replay.json()["returnCode"] == "1106" and "Nonce" in replay.json()["returnMessage"]
    assert channel.confirm(tid, 1000)["returnCode"] == "1172"
    assert paid_once(channel, tid)["payStatus"] == "CAPTURE"
    refund = channel.call("POST", f"/v3/payments/{tid}/refund", {})
    assert refund["returnCode"] == "0000"
    assert channel.call("POST", f"/v3/payments/{tid}/refund", {})["returnCode"] == "1165"


def test_an_amount_changed_at_confirm_is_1153_and_changes_nothing(channel: Channel) -> None:
    tid = approved(channel, "S-amount")
    for amount, currency in ((1, "TWD"), (999.0, "TWD"), (1000, "USD"), (100000, "TWD")):
        answer = channel.call("POST", f"/v3/payments/{tid}/confirm",
                              {"amount": amount, "currency": currency})
        assert answer == {"returnCode": "1153", "returnMessage": answer["returnMessage"]}
    assert channel.check(tid) == "0110"
    assert channel.confirm(tid, 1000)["returnCode"] == "0000"


def test_another_channels_transaction_id_is_1150_everywhere(channel: Channel,
                                                            other: Channel) -> None:
    paid = approved(channel, "S-mine")
    assert channel.confirm(paid, 1000)["returnCode"] == "0000"
    held = approved(channel, "S-held", capture=False)
    assert channel.confirm(held, 1000)["returnCode"] == "0000"
    waiting = approved(channel, "S-wait")
    twd = {"amount": 1000, "currency": "TWD"}
    for method, path, body, query in (
            ("POST", f"/v3/payments/{waiting}/confirm", twd, ""),
            ("POST", f"/v3/payments/{paid}/refund", {}, ""),
            ("POST", f"/v3/payments/authorizations/{held}/capture", twd, ""),
            ("POST", f"/v3/payments/authorizations/{held}/void", {}, ""),
            ("GET", "/v3/payments", None, f"transactionId={paid}"),
            ("GET", "/v3/payments", None, "orderId=S-mine"),
            ("GET", f"/v3/payments/requests/{waiting}/check", None, "")):
        answer = other.send(method, path, body, query)
        assert answer.json()["returnCode"] == "1150", (path, answer.text)
        assert "S-mine" not in answer.text and "S-held" not in answer.text
    assert channel.check(waiting) == "0110"
    assert paid_once(channel, paid).get("refundList") is None
    assert paid_once(channel, held)["payStatus"] == "AUTHORIZATION"


def _body(valid: dict[str, Any], field: str, payload: Any) -> bytes:
    raw = json.dumps({**valid, field: SENTINEL}, ensure_ascii=False).encode()
    return raw.replace(json.dumps(SENTINEL).encode(), json_literal(payload))


def _judge(where: str, field: str, answer: requests.Response, problems: list[str]) -> None:
    if answer.status_code >= 500 or not answer.headers.get("Content-Type", "").startswith(
            "application/json"):
        problems.append(f"{where}: {answer.status_code} {answer.text[:120]}")
        return
    body = answer.json()
    if set(body) - {"returnCode", "returnMessage", "info"} or len(body["returnCode"]) != 4:
        problems.append(f"{where}: not LINE Pay's envelope: {answer.text[:120]}")
    elif body["returnCode"] == "2101" and field not in body["returnMessage"] \
            and "(body " not in body["returnMessage"]:
        problems.append(f"{where}: refused naming another field: {body['returnMessage']}")
    elif body["returnCode"] == "1106" and field.startswith("X-LINE") is False:
        problems.append(f"{where}: stopped by authentication: {body['returnMessage']}")


def test_hostile_values_in_every_body_field_reach_it_and_are_answered_safely(
        channel: Channel) -> None:
    paid = approved(channel, "P-paid", 1_000_000)
    channel.confirm(paid, 1_000_000)
    problems: list[str] = []
    for n, (path, valid) in enumerate((
            ("/v3/payments/request", request_body("P-new", 100)),
            (f"/v3/payments/{paid}/confirm", {"amount": 1_000_000, "currency": "TWD"}),
            (f"/v3/payments/{paid}/refund", {"refundAmount": 1}),
            (f"/v3/payments/authorizations/{paid}/capture", {"amount": 1, "currency": "TWD"}),
    )):
        for field in valid:
            for i, payload in enumerate(CHOSEN):
                sent = {**valid, "orderId": f"P-{n}-{i}"} if "orderId" in valid else valid
                answer = channel.send("POST", path, raw=_body(sent, field, payload))
                _judge(f"{path} {field} {text(payload) or payload!r:.40}", field, answer,
                       problems)
    assert not problems, "\n".join(problems[:15])
    refunded = sum(-r["refundAmount"] for r in paid_once(channel, paid).get("refundList", []))
    assert refunded <= 1_000_000


def test_hostile_path_segments_queries_and_headers_are_answered_safely(
        channel: Channel) -> None:
    problems: list[str] = []
    for payload in CHOSEN:
        segment = as_bytes(payload).decode("utf-8", "replace")
        where = f"{text(payload) or payload!r:.40}"
        quoted = requests.utils.quote(segment, safe="")[:3000]
        for path in (f"/v3/payments/{quoted}/confirm", f"/v3/payments/requests/{quoted}/check"):
            answer = channel.send("POST" if path.endswith("confirm") else "GET", path,
                                  {"amount": 1, "currency": "TWD"})
            if answer.status_code >= 500 or answer.json()["returnCode"] not in ("2101", "1150",
                                                                                "1106"):
                problems.append(f"{path[:60]} {where}: {answer.status_code} {answer.text[:80]}")
        for name in ("transactionId", "orderId", "fields"):
            answer = channel.send("GET", "/v3/payments", query=f"{name}={quoted}")
            _judge(f"query {name} {where}", name, answer, problems)
        for header in ("X-LINE-ChannelId", "X-LINE-Authorization-Nonce", "X-LINE-Authorization"):
            value = as_bytes(payload)[:2000].decode("latin-1")
            try:
                answer = requests.post(f"{channel.base}/linepay/v3/payments/request",
                                       data=b"{}", headers={
                                           "X-LINE-ChannelId": channel.channel_id,
                                           "X-LINE-Authorization-Nonce": "n",
                                           "X-LINE-Authorization": "x", header: value},
                                       timeout=10)
            except (ValueError, requests.exceptions.InvalidHeader):
                continue  # the client itself refuses to send it (CR/LF in a header)
            if answer.status_code >= 500 or answer.json()["returnCode"] != "1106":
                problems.append(f"header {header} {where}: {answer.status_code}")
    assert not problems, "\n".join(problems[:15])
