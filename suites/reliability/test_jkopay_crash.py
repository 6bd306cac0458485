"""kill -9 with a JKOPay approval pending (a scenario's late approval) and a result_url
callback owed (the merchant refused the first try), then a restart on the same database:
the late approval still lands, each callback is acknowledged exactly once, and a refund
(repeated with the same refund_order_id) is applied once."""

from __future__ import annotations

import json
import signal
from collections import Counter
from pathlib import Path

import requests
from paylab.suites.plugins.evidence import EvidenceSession, Figures
from paylab.suites.plugins.simulator import Control, start_simulator, stop_simulator, wait_for
from paylab.suites.plugins.webhook_sink import WebhookSink
from paylab.suites.unit.jkopay_store import JkoStore

#: Real time (no speed-up) and JKOPay's own retry schedule (first retry after 60 s): time
#: moves only when the test advances the clock. A 5 s answer timeout, so a slow machine's
#: receiver does not count as a failed try.
FLAGS = ("--time-scale", "1", "--webhook-timeout", "5")
LATE = 120  # the pending approval lands this many virtual seconds after the shopper's


def statuses(jko: JkoStore, *ids: str) -> list[int]:
    rows = jko.inquiry_get(*ids)["result_object"]["transactions"]
    return [r["status"] for r in rows]


def test_a_pending_approval_and_an_owed_callback_survive_kill_9(
        tmp_path: Path, webhook_sink: WebhookSink, http: EvidenceSession,
        figures: Figures) -> None:
    sim = start_simulator(tmp_path, name="jkopay", flags=FLAGS)
    jko = JkoStore.register(sim.url, http)
    result_url = f"{webhook_sink.url}/jko/result"
    webhook_sink.respond_with([500])  # the paid order's first callback is refused
    owed = jko.entry("K-owed", 500, result_url=result_url)["result_object"]["payment_url"]
    assert jko.press(owed, "approve").status_code == 303
    assert webhook_sink.wait_for(1)[0].answered == 500
    requests.put(f"{sim.url}/_sim/scenario", params={"tenant": jko.tenant}, timeout=10, json={
        "name": "late", "rules": [{"name": "late", "match": {"gateway": "jkopay"},
                                   "effects": [{"outcome": {"processing": {
                                       "seconds": LATE}}}]}]}).raise_for_status()
    pending = jko.entry("K-pending", 700, result_url=result_url)["result_object"][
        "payment_url"]
    assert jko.press(pending, "approve").status_code == 303
    assert statuses(jko, "K-owed", "K-pending") == [0, 1]
    control = Control(sim.url)
    wait_for(lambda: control.deliveries(jko.tenant),
             lambda rows: [d["attempt_count"] for d in rows] == [1])
    sim.kill(signal.SIGKILL)

    again = start_simulator(tmp_path, db=sim.db, name="jkopay-restart", flags=FLAGS)
    try:
        jko.base = again.url
        assert statuses(jko, "K-owed", "K-pending") == [0, 1]
        assert len(webhook_sink.received) == 1, "a restart resends nothing before it is due"
        Control(again.url).clock.advance(LATE + 1)  # the retry and the approval fall due
        rows = wait_for(lambda: Control(again.url).deliveries(jko.tenant), lambda rows: (
            len(rows) == 2 and all(d["status"] == "delivered" for d in rows)))
        assert sorted(d["attempt_count"] for d in rows) == [1, 2], rows
        assert statuses(jko, "K-owed", "K-pending") == [0, 0]
        acknowledged = Counter(json.loads(r.body)["transaction"]["platform_order_id"]
                               for r in webhook_sink.received if r.answered == 200)
        assert acknowledged == {"K-owed": 1, "K-pending": 1}

        first = jko.refund("K-pending", "KR-1", 300)
        assert first["result"] == "000", first
        assert jko.refund("K-pending", "KR-1", 300) == first
        history = jko.inquiry_get("K-pending")["result_object"]["transactions"][0][
            "refund_history"]
        assert [(h["refund_order_id"], h["debit_amount"]) for h in history] == [("KR-1", 300)]
        figures(f"kill -9 with 1 approval pending and 1 callback owed; after the restart "
                f"{len(webhook_sink.received)} callbacks in all, each acknowledged once; "
                "the refund applied once")
    finally:
        stop_simulator(again)
