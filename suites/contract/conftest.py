"""Contract layer fixtures: the server's timing settings, for tests that depend on them;
ECPay and NewebPay merchants of their own (fresh tenants) and their receivers."""

from __future__ import annotations

import pytest
from paylab.suites.contract.ecpay_merchant import Acknowledger, EcpayMerchant
from paylab.suites.contract.newebpay_merchant import NewebPayMerchant
from paylab.suites.plugins.evidence import EvidenceSession
from paylab.suites.plugins.server_settings import ServerSettings, read_settings
from paylab.suites.plugins.simulator import Control, LiveSimulator
from paylab.suites.plugins.webhook_sink import WebhookSink


@pytest.fixture
def server_settings(control: Control) -> ServerSettings:
    """Retry schedule, webhook timeout and clock speed of the simulator under test."""
    return read_settings(control)


@pytest.fixture
def ecpay(simulator: LiveSimulator, http: EvidenceSession, control: Control) -> EcpayMerchant:
    """A fresh ECPay merchant (its own tenant), registered through /_sim/merchants."""
    made = control.post("merchants", {"gateway": "ecpay"})
    return EcpayMerchant(simulator.url, http, made["merchant_id"], made["hash_key"],
                         made["hash_iv"], made["tenant"])


@pytest.fixture
def ecpay_shop(webhook_sink: WebhookSink) -> Acknowledger:
    """The webhook sink as an ECPay merchant's ReturnURL / PaymentInfoURL (`1|OK`)."""
    return Acknowledger(webhook_sink).install()


@pytest.fixture
def newebpay(simulator: LiveSimulator, http: EvidenceSession, control: Control
             ) -> NewebPayMerchant:
    """A fresh NewebPay merchant (its own tenant), registered through /_sim/merchants."""
    made = control.post("merchants", {"gateway": "newebpay"})
    return NewebPayMerchant(simulator.url, http, made["merchant_id"], made["hash_key"],
                            made["hash_iv"], made["tenant"])
