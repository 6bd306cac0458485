"""ECPay's and NewebPay's own resend rules, on a simulator of this test's own with the default
schedule and a standing clock (the layer's shared simulator runs the suites' short
--retry-schedule for every gateway): ECPay resends a notice not answered `1|OK` four times
(gateways.md 1.5, every 10 minutes here), NewebPay retries a NotifyURL not answered 200 three
times (2.4) and then gives up. Delays are read from the due times the outbox records."""

from __future__ import annotations

from pathlib import Path

from paylab.suites.contract.ecpay_merchant import Acknowledger, EcpayMerchant, form_of
from paylab.suites.contract.newebpay_merchant import NewebPayMerchant
from paylab.suites.plugins.evidence import EvidenceSession
from paylab.suites.plugins.simulator import stop_simulator
from paylab.suites.plugins.standing_clock import (
    StandingClock,
    assert_delays,
    start_with_standing_clock,
)
from paylab.suites.plugins.webhook_sink import WebhookSink

from paylab.testing.sink import WebhookSink as Sink

#: ECPay: 5 to 15 minutes between resends (1.5), 10 here; NewebPay: our reading (notify.py).
ECPAY_DELAYS = [600, 600, 600, 600]
NEWEBPAY_DELAYS = [60, 300, 900]


def register(http: EvidenceSession, url: str, gateway: str) -> dict[str, str]:
    answer = http.post(f"{url}/_sim/merchants", json={"gateway": gateway}, timeout=10)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_each_gateway_resends_as_often_and_as_late_as_it_documents(
        tmp_path: Path, http: EvidenceSession, webhook_sink: WebhookSink) -> None:
    simulator = start_with_standing_clock(tmp_path, name="taiwan-schedules")
    newebpay_sink = Sink().start()
    try:
        made = register(http, simulator.url, "ecpay")
        ecpay = EcpayMerchant(simulator.url, http, made["merchant_id"], made["hash_key"],
                              made["hash_iv"], made["tenant"])
        Acknowledger(webhook_sink, [(200, "OK")] * 10).install()
        ecpay.pay_card(ecpay.choose(ecpay.checkout(ReturnURL=f"{webhook_sink.url}/r"),
                                    "Credit"))
        ecpay_recorded = StandingClock(simulator, ecpay.tenant, http).record(1, 6)

        made = register(http, simulator.url, "newebpay")
        newebpay = NewebPayMerchant(simulator.url, http, made["merchant_id"],
                                    made["hash_key"], made["hash_iv"], made["tenant"])
        newebpay_sink.respond_with([500] * 10)
        newebpay.pay(newebpay.start(NotifyURL=f"{newebpay_sink.url}/notify"))
        newebpay_recorded = StandingClock(simulator, newebpay.tenant, http).record(1, 5)
    finally:
        stop_simulator(simulator)
        newebpay_sink.stop()
    (ecpay_row,) = ecpay_recorded.deliveries
    assert (ecpay_row["status"], ecpay_row["attempt_count"]) == ("failed", 5)
    assert_delays(ecpay_recorded, ECPAY_DELAYS)
    notices = [form_of(r) for r in webhook_sink.received]
    assert [n["RtnMsg"] for n in notices] == ["交易成功", "paid", "paid", "paid", "paid"]
    assert all(ecpay.genuine(n) for n in notices)
    (newebpay_row,) = newebpay_recorded.deliveries
    assert (newebpay_row["status"], newebpay_row["attempt_count"]) == ("failed", 4)
    assert_delays(newebpay_recorded, NEWEBPAY_DELAYS)
    assert len(newebpay_sink.received) == 4
