"""kill -9 with LINE Pay approvals pending, then a restart on the same database: a request
the shopper approved (waiting for the merchant's confirm), one whose approval is still on
its way (a scenario's late approval) and one nobody touched all come back as they were;
confirms raced from several threads after the restart pay each exactly once (the others
1172), the late approval still lands, and a nonce used before the crash stays used."""

from __future__ import annotations

import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from paylab.suites.plugins.evidence import EvidenceSession, Figures
from paylab.suites.plugins.simulator import Control, start_simulator, stop_simulator
from paylab.suites.unit.linepay_merchant import Channel

#: Real time (no speed-up): time moves only when the test advances the clock.
FLAGS = ("--time-scale", "1")
LATE = 120  # the pending approval lands this many virtual seconds after the shopper's
RACERS = 6


def raced_confirms(channel: Channel, tid: int, amount: int) -> list[str]:
    """The same confirm from several threads at once (each with its own session)."""
    def one(_: int) -> str:
        mine = Channel(channel.base, requests.Session(), channel.channel_id, channel.secret)
        return mine.confirm(tid, amount)["returnCode"]

    with ThreadPoolExecutor(RACERS) as pool:
        return list(pool.map(one, range(RACERS)))


def test_pending_approvals_survive_kill_9_and_confirm_pays_once(
        tmp_path: Path, http: EvidenceSession, figures: Figures) -> None:
    sim = start_simulator(tmp_path, name="linepay", flags=FLAGS)
    channel = Channel.register(sim.url, http)
    approved = channel.request("K-approved", 900)
    page = http.post(approved["paymentUrl"]["web"], data={"action": "approve",
                                                          "funding": "balance"},
                     allow_redirects=False, timeout=10)
    assert page.status_code == 303
    requests.put(f"{sim.url}/_sim/scenario", params={"tenant": channel.tenant}, timeout=10,
                 json={"name": "late", "rules": [{
                     "name": "late", "match": {"gateway": "linepay", "path": "/web/payment/wait"},
                     "effects": [{"outcome": {"processing": {"seconds": LATE}}}]}]}
                 ).raise_for_status()
    late = channel.request("K-late", 700)
    channel.approve(late)  # through simulate: the rule matches the page only
    late_page = http.post(channel.request("K-late-page", 500)["paymentUrl"]["web"],
                          data={"action": "approve", "funding": "balance"},
                          allow_redirects=False, timeout=10)
    assert late_page.status_code == 303
    untouched = channel.request("K-untouched", 300)
    used = channel.send("GET", f"/v3/payments/requests/{untouched['transactionId']}/check",
                        nonce="nonce-before-the-crash")
    assert used.json()["returnCode"] == "0000"
    page_late_tid = int(late_page.headers["Location"].split("transactionId=")[1].split("&")[0])
    codes = [channel.check(t) for t in (approved["transactionId"], late["transactionId"],
                                        page_late_tid, untouched["transactionId"])]
    assert codes == ["0110", "0110", "0000", "0000"]
    sim.kill(signal.SIGKILL)

    again = start_simulator(tmp_path, db=sim.db, name="linepay-restart", flags=FLAGS)
    try:
        channel.base = again.url
        assert [channel.check(t) for t in (approved["transactionId"], late["transactionId"],
                                           page_late_tid, untouched["transactionId"])] == codes
        replay = channel.send("GET", f"/v3/payments/requests/{untouched['transactionId']}/check",
                              nonce="nonce-before-the-crash")
        assert replay.json()["returnCode"] == "1106", "a nonce used before the crash stays used"
        assert channel.confirm(page_late_tid, 500)["returnCode"] == "1145"
        first = raced_confirms(channel, approved["transactionId"], 900)
        assert sorted(first) == ["0000"] + ["1172"] * (RACERS - 1), first
        Control(again.url).clock.advance(LATE + 1)  # the late approval falls due
        assert channel.check(page_late_tid) == "0110"
        second = raced_confirms(channel, page_late_tid, 500)
        assert sorted(second) == ["0000"] + ["1172"] * (RACERS - 1), second
        for tid in (approved["transactionId"], page_late_tid):
            listed = channel.call("GET", "/v3/payments", query=f"transactionId={tid}")
            assert [e["payStatus"] for e in listed["info"]] == ["CAPTURE"]
        figures(f"kill -9 with 3 approvals pending; after the restart {RACERS} raced "
                f"confirms per payment paid each once (the others 1172), the late approval "
                "landed, a pre-crash nonce stayed used")
    finally:
        stop_simulator(again)
