"""Stripe's Customers and the saving of PaymentMethods to them (attach, detach, list).

Handlers: parse -> one core call -> render, as in ../handlers.py.
"""

from __future__ import annotations

from typing import Any

from paylab.simulator.gateways.stripe.pipeline import Call, StripeContext
from paylab.simulator.gateways.stripe.resources.scaffold import NotBuilt

Result = dict[str, Any]
GATEWAY = "stripe"


def create_customer(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/customers"""
    raise NotBuilt("CreateCustomer")


def list_customers(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/customers"""
    raise NotBuilt("ListCustomers")


def retrieve_customer(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/customers/{customer}"""
    raise NotBuilt("RetrieveCustomer")


def update_customer(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/customers/{customer}"""
    raise NotBuilt("UpdateCustomer")


def delete_customer(ctx: StripeContext, call: Call) -> Result:
    """DELETE /v1/customers/{customer}"""
    raise NotBuilt("DeleteCustomer")


def list_customer_payment_methods(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/customers/{customer}/payment_methods"""
    raise NotBuilt("ListCustomerPaymentMethods")


def list_payment_methods(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/payment_methods"""
    raise NotBuilt("ListPaymentMethods")


def update_payment_method(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/payment_methods/{payment_method}"""
    raise NotBuilt("UpdatePaymentMethod")


def attach_payment_method(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/payment_methods/{payment_method}/attach"""
    raise NotBuilt("AttachPaymentMethod")


def detach_payment_method(ctx: StripeContext, call: Call) -> Result:
    """POST /v1/payment_methods/{payment_method}/detach"""
    raise NotBuilt("DetachPaymentMethod")
