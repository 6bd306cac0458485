"""Stripe's SetupIntents: saving a card for later payments, with 3-D Secure when asked.

Handlers: parse -> one core call -> render, as in ../handlers.py.
"""

from __future__ import annotations

from typing import Any

from paylab.simulator.gateways.stripe.pipeline import Call, StripeContext
from paylab.simulator.gateways.stripe.resources.scaffold import NotBuilt

Result = dict[str, Any]
GATEWAY = "stripe"


def create_setup_intent(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/setup_intents"""
    raise NotBuilt("CreateSetupIntent")


def list_setup_intents(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/setup_intents"""
    raise NotBuilt("ListSetupIntents")


def retrieve_setup_intent(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/setup_intents/{intent}"""
    raise NotBuilt("RetrieveSetupIntent")


def update_setup_intent(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/setup_intents/{intent}"""
    raise NotBuilt("UpdateSetupIntent")


def confirm_setup_intent(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/setup_intents/{intent}/confirm"""
    raise NotBuilt("ConfirmSetupIntent")


def cancel_setup_intent(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/setup_intents/{intent}/cancel"""
    raise NotBuilt("CancelSetupIntent")
