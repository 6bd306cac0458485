"""kill -9 with ECPay and NewebPay code payments pending and their notices owed, then a
restart on the same database: every acknowledged order and settlement is there, the codes
still expire on the virtual clock and `simulate` still settles them, each owed ReturnURL,
PaymentInfoURL and NotifyURL notice arrives once acknowledged, and nothing is sent more
often than the gateway's own resend rule says (a resend only after an unacknowledged try)."""

from __future__ import annotations

import signal
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from paylab.load.common import formpost as fp
from paylab.suites.plugins.evidence import Figures
from paylab.suites.plugins.simulator import (
    Control,
    start_simulator,
    stop_simulator,
    wait_for,
)
from paylab.suites.plugins.webhook_sink import WebhookSink
from paylab.suites.reliability.taiwan_rails import NoticeReceiver, Opened, Post, Rails

#: Real time (no --time-scale speed-up) and the gateways' own resend schedules (no
#: --retry-schedule): ECPay resends every 600 s, NewebPay retries after 60 s. Time moves
#: only when the test advances the clock. A 5 s answer timeout: a receiver slowed by a busy
#: machine must not count as a failed try (the test counts tries exactly).
FLAGS = ("--time-scale", "1", "--webhook-timeout", "5")
ECPAY_RESEND = 600


def by_order(posts: list[Post], key: str = "MerchantTradeNo") -> dict[str, list[Post]]:
    grouped: dict[str, list[Post]] = defaultdict(list)
    for post in posts:
        grouped[post.fields.get(key, "?")].append(post)
    return grouped


def attempts(rows: list[dict], status: str) -> list[int] | None:
    """Each delivery's attempt count when all of them reached `status`, else None."""
    if rows and all(d["status"] == status for d in rows):
        return sorted(d["attempt_count"] for d in rows)
    return None


def test_code_payments_and_owed_notices_survive_kill_9(tmp_path: Path,
                                                        webhook_sink: WebhookSink,
                                                        figures: Figures) -> None:
    sim = start_simulator(tmp_path, name="rails", flags=FLAGS)
    receiver = NoticeReceiver(webhook_sink)
    ret, info = receiver.url("/ecpay/return"), receiver.url("/ecpay/info")
    notify = receiver.url("/newebpay/notify")
    ecpay, newebpay = Rails(sim.url, "ecpay"), Rails(sim.url, "newebpay")
    receiver.up = False  # the merchant's receiver refuses everything until the crash
    tomorrow = (datetime.now(UTC) + timedelta(hours=8, days=1)).strftime("%Y%m%d")

    expiring = ecpay.ecpay_order("CVS", 310, ret, StoreExpireDate=10, PaymentInfoURL=info)
    payable = ecpay.ecpay_order("ATM", 320, ret, PaymentInfoURL=info)
    paid = ecpay.ecpay_order("CVS", 330, ret, PaymentInfoURL=info)
    n_payable = newebpay.newebpay_order("VACC", 340, NotifyURL=notify)
    n_expiring = newebpay.newebpay_order("CVS", 350, NotifyURL=notify, ExpireDate=tomorrow)
    n_paid = newebpay.newebpay_order("CVS", 360, NotifyURL=notify)
    assert fp.shown(expiring.page.text, "payment-no") and fp.shown(payable.page.text,
                                                                   "virtual-account")
    for rails, order in ((ecpay, paid), (newebpay, n_paid)):
        answer = rails.simulate(order)
        assert answer.status_code == 200 and answer.json()["status"] == "paid", answer.text
    # each owed notice was tried once and refused, and the simulator recorded it: 3
    # PaymentInfoURL and 1 ReturnURL of ECPay, 1 NotifyURL of NewebPay
    receiver.wait(5)

    for rails, owed in ((ecpay, 4), (newebpay, 1)):
        rows = wait_for(rails.deliveries, lambda r, n=owed: attempts(r, "pending") == [1] * n)
        assert attempts(rows, "pending") == [1] * owed, rows
    sim.kill(signal.SIGKILL)
    receiver.up = True  # the merchant recovers while the simulator is down

    again = start_simulator(tmp_path, db=sim.db, name="rails-restart", flags=FLAGS)
    try:
        ecpay.url = newebpay.url = again.url
        # everything acknowledged before the crash is there: orders, codes, settlements
        assert [ecpay.ecpay_status(o)["TradeStatus"] for o in (expiring, payable, paid)] == [
            "0", "0", "1"]
        assert [newebpay.newebpay_status(o)["TradeStatus"]
                for o in (n_payable, n_expiring, n_paid)] == ["0", "0", "1"]
        assert len(receiver.posts()) == 5, "a restart resends nothing before it is due"

        for rails, order in ((ecpay, payable), (newebpay, n_payable)):
            answer = rails.simulate(order)
            assert answer.status_code == 200 and answer.json()["status"] == "paid"
        receiver.wait(7)  # the two new payment notices, at once
        clock = Control(again.url).clock
        clock.advance(ECPAY_RESEND + 1)  # every resend falls due; the CVS code expires
        clock.advance(2 * 86400)  # the NewebPay store code's ExpireDate passes
        # one try for the notices sent after the restart, two for those owed at the crash
        for rails, expected in ((ecpay, [1, 2, 2, 2, 2]), (newebpay, [1, 2])):
            rows = wait_for(rails.deliveries, lambda r, e=expected: attempts(
                r, "delivered") == e)
            assert attempts(rows, "delivered") == expected, rows

        # expiries fire on the scheduler just after an advance (not within the call): poll
        expired = wait_for(lambda: ecpay.ecpay_status(expiring)["TradeStatus"],
                           lambda s: s == "10200095")
        assert expired == "10200095"
        assert [ecpay.ecpay_status(o)["TradeStatus"] for o in (payable, paid)] == ["1", "1"]
        expired = wait_for(lambda: newebpay.newebpay_status(n_expiring)["TradeStatus"],
                           lambda s: s == "2")
        assert expired == "2"  # NewebPay's TradeStatus for an expired code
        assert newebpay.newebpay_status(n_payable)["TradeStatus"] == "1"
        for rails, order in ((ecpay, expiring), (newebpay, n_expiring)):
            assert rails.simulate(order).status_code == 409, "an expired code cannot be paid"

        check_ecpay_notices(receiver, ecpay, expiring, payable, paid)
        check_newebpay_notices(receiver, newebpay, n_expiring, n_payable, n_paid)
        figures(f"kill -9 with 6 code payments pending and 5 notices owed; after the "
                f"restart {len(receiver.posts())} posts in all, each notice acknowledged "
                "once, resent only after an unacknowledged try")
    finally:
        stop_simulator(again)


def check_ecpay_notices(receiver: NoticeReceiver, ecpay: Rails, expiring: Opened,
                        payable: Opened, paid: Opened) -> None:
    """PaymentInfoURL: refused before the crash, resent and acknowledged after it, for each
    code; ReturnURL: the pre-crash payment resent once with RtnMsg=paid, the post-crash one
    acknowledged on its first try, the expired code never announced as paid."""
    info = by_order(receiver.posts("/ecpay/info"))
    assert {n: [p.acked for p in posts] for n, posts in info.items()} == {
        o.number: [False, True] for o in (expiring, payable, paid)}
    assert all(fp.ecpay_genuine(p.fields, ecpay.merchant) for ps in info.values() for p in ps)
    assert [p.fields["RtnCode"] for p in info[payable.number]] == ["2", "2"]  # ATM account
    assert [p.fields["RtnCode"] for p in info[paid.number]] == ["10100073"] * 2  # CVS code
    results = by_order(receiver.posts("/ecpay/return"))
    assert {n: [(p.fields["RtnMsg"], p.acked) for p in posts]
            for n, posts in results.items()} == {
        paid.number: [("交易成功", False), ("paid", True)],
        payable.number: [("交易成功", True)]}
    for post in (p for posts in results.values() for p in posts):
        assert fp.ecpay_genuine(post.fields, ecpay.merchant)
        assert (post.fields["RtnCode"], post.fields["SimulatePaid"]) == ("1", "1")


def check_newebpay_notices(receiver: NoticeReceiver, newebpay: Rails, n_expiring: Opened,
                           n_payable: Opened, n_paid: Opened) -> None:
    """NotifyURL: the pre-crash payment retried once after the receiver's 500, the
    post-crash one received on its first try, nothing for the expired code."""
    seen: dict[str, list[bool]] = defaultdict(list)
    for post in receiver.posts("/newebpay/notify"):
        notice = fp.newebpay_notice(post.fields, newebpay.merchant)
        assert notice is not None, "TradeSha does not verify"
        assert notice["Status"] == "SUCCESS"
        seen[notice["Result"]["MerchantOrderNo"]].append(post.acked)
    assert dict(seen) == {n_paid.number: [False, True], n_payable.number: [True]}
    assert n_expiring.number not in seen
