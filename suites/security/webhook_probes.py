"""Webhook replay and forgery probes, and their verdict, shared by the probe tests and the
test that proves a careless receiver fails them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import allure
import requests
from paylab.suites.plugins.simulator import LiveSimulator

ATTACKS = ("replay", "stale", "future", "tampered", "wrong_secret", "v0_only",
           "missing_signature")
DESCRIPTIONS = {
    "replay": "the exact bytes and signature of the real delivery, sent again",
    "stale": "correctly signed, but an hour old (outside the 300 s tolerance)",
    "future": "correctly signed, but an hour in the future",
    "tampered": "the real signature over a body whose amount was changed",
    "wrong_secret": "signed with another endpoint's secret",
    "v0_only": "a valid signature offered only under the v0 scheme (a downgrade)",
    "missing_signature": "no Stripe-Signature header at all",
}


@dataclass
class Verdict:
    """What one probe found."""

    attack: str
    status: int | None
    fulfilled_before: int
    fulfilled_after: int
    ok: bool
    reason: str


def judge(attack: str, status: int | None, before: int, after: int) -> Verdict:
    """A forged or stale delivery must be refused (4xx); a replay must be answered cleanly
    (acknowledged with a 2xx, or refused with a 4xx: a 5xx or no answer makes the gateway
    retry it for days); neither may fulfil the order again."""
    if after > before:
        return Verdict(attack, status, before, after, False, "the order was fulfilled again")
    if attack == "replay" and (status is None or not 200 <= status < 500):
        return Verdict(attack, status, before, after, False,
                       f"a replayed delivery got no clean answer ({status}): the gateway "
                       "would keep retrying it")
    if attack != "replay" and (status is None or not 400 <= status < 500):
        return Verdict(attack, status, before, after, False,
                       f"accepted ({status})" if status and status < 400
                       else f"no clean refusal ({status})")
    return Verdict(attack, status, before, after, True,
                   "refused" if status and status >= 400 else "acknowledged, not applied twice")


def run_probe(simulator: LiveSimulator, delivery_id: int, attack: str,
              fulfilments: Callable[[], int]) -> Verdict:
    """Send one attack through the simulator and judge the receiver's answer."""
    before = fulfilments()
    result = requests.post(f"{simulator.url}/_sim/webhooks/{delivery_id}/probe",
                           json={"attack": attack}, timeout=30).json()
    verdict = judge(attack, result["status_code"], before, fulfilments())
    allure.attach(
        f"attack:   {attack}: {DESCRIPTIONS[attack]}\n"
        f"answer:   {result['status_code']} {result['response'] or result['error'] or ''}\n"
        f"fulfilled before/after: {verdict.fulfilled_before}/{verdict.fulfilled_after}\n"
        f"verdict:  {'PASS' if verdict.ok else 'FAIL'} - {verdict.reason}",
        name=f"webhook probe {attack}", attachment_type=allure.attachment_type.TEXT)
    return verdict


def completed_delivery(simulator: LiveSimulator, api_key: str, reference: str) -> int:
    """The id of the delivery that told the receiver `reference` was paid."""
    headers = {"Authorization": f"Bearer {api_key}"}
    deliveries = requests.get(f"{simulator.url}/_sim/webhooks", params={"tenant": api_key},
                              timeout=10).json()["deliveries"]
    for delivery in deliveries:
        event = requests.get(f"{simulator.stripe_url}/v1/events/{delivery['event_id']}",
                             headers=headers, timeout=10).json()
        obj = event["data"]["object"]
        if event["type"] == "checkout.session.completed" \
                and obj.get("client_reference_id") == reference \
                and delivery["status"] == "delivered":
            return delivery["id"]
    raise AssertionError(f"no delivered checkout.session.completed for {reference}")
