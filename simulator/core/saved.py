"""Paying with saved methods: who may use a saved method, what a payment without the
shopper (off-session) meets, and the request rules around both."""

from __future__ import annotations

from typing import Any

from paylab.simulator.core import vocabulary as v
from paylab.simulator.core.cards import Behaviour
from paylab.simulator.core.customers import not_attached
from paylab.simulator.core.errors import InvalidRequest
from paylab.simulator.core.objects import Doc

#: What a payment without the shopper meets when the card asks for 3-D Secure.
AUTHENTICATION_REQUIRED = Behaviour(
    outcome="decline", code=v.AUTHENTICATION_REQUIRED, decline_code=v.AUTHENTICATION_REQUIRED,
    message="Your card was declined. This transaction requires authentication.",
)
_ASKS = ("authenticate", "authenticate_then")


def is_off_session(params: dict[str, Any]) -> bool:
    """Whether a request says the shopper is absent: true, or the kind of absence
    (`one_off`, `recurring`); form values may arrive as the strings true and false."""
    return params.get("off_session") not in (None, False, "false")


def check_create(params: dict[str, Any]) -> None:
    """Refuse automatic payment methods next to explicit method types, and off-session
    without confirming in the same call."""
    if params.get("automatic_payment_methods") is not None and params.get(
            "payment_method_types"):
        raise InvalidRequest(
            v.CONFLICTING_PARAMETERS, "Only one of automatic payment methods and payment "
            "method types may be given.", param="automatic_payment_methods",
            names=("automatic_payment_methods", "payment_method_types"))
    if params.get("automatic_payment_methods") is not None and params.get(
            "confirmation_method"):
        raise InvalidRequest(
            v.CONFLICTING_PARAMETERS, "Only one of automatic payment methods and a "
            "confirmation method may be given.", param="automatic_payment_methods",
            names=("automatic_payment_methods", "confirmation_method"))
    if is_off_session(params) and not params.get("confirm"):
        raise InvalidRequest(
            v.INVALID_VALUE, "off_session may only be used together with confirm=true.",
            param="off_session", reason="off_session_without_confirm")


def automatic(params: dict[str, Any] | None) -> dict[str, Any] | None:
    """The stored automatic-payment-methods setting: whether redirecting methods may be
    offered (`always` unless the merchant said `never`), and enabled."""
    if params is None:
        return None
    enabled = bool(params.get("enabled"))
    return {"allow_redirects": params.get("allow_redirects", "always") if enabled else None,
            "enabled": enabled}


def check_return_url(payment: Doc) -> None:
    """Confirming a payment whose automatic payment methods may redirect the shopper
    (`allow_redirects` is not `never`) needs a return URL."""
    automatic_methods = payment.get("automatic_payment_methods") or {}
    if (automatic_methods.get("enabled") and automatic_methods.get("allow_redirects") != "never"
            and not payment.get("return_url")):
        raise InvalidRequest(
            v.INVALID_VALUE, "A payment whose methods may redirect the shopper needs a "
            "return_url to be confirmed.", reason="return_url_required")


def check_reusable(method: Doc) -> None:
    """A method detached from its customer may not be used again (to pay or to save)."""
    if method.get("detached"):
        raise InvalidRequest(
            v.INVALID_VALUE, f"The payment method {method['id']} was detached from its "
            "customer and may not be used again.", param="payment_method", id=method["id"],
            reason="detached")


def check_owner(payment: Doc, method: Doc) -> None:
    """A method saved to a customer pays only for that customer (named on the payment);
    a method saved to nobody pays for anyone, off-session too; a detached one for nobody."""
    check_reusable(method)
    owner, customer = method.get("customer"), payment.get("customer")
    if owner is None or owner == customer:
        return
    if customer is None:
        raise InvalidRequest(
            v.INVALID_VALUE, f"The payment method {method['id']} belongs to the customer "
            f"{owner}; name that customer on the payment.", param="customer",
            id=method["id"], customer=owner, reason="owner_not_named")
    raise not_attached(method["id"], "payment_method")


def without_shopper(behaviour: Behaviour, method: Doc) -> Behaviour:
    """What an off-session attempt does with this card: AUTHENTICATION_REQUIRED when the
    issuer would ask for 3-D Secure (always, or until the card was set up), else the
    outcome without a challenge (a 3-D Secure card's `then`, or success)."""
    asks = behaviour.outcome in _ASKS
    mode = behaviour.off_session
    allowed = (bool(method.get("set_up")) if mode == "succeed_if_set_up"
               else mode == "succeed" or not asks)
    if not allowed:
        return AUTHENTICATION_REQUIRED
    return (behaviour.then or Behaviour()) if asks else behaviour
