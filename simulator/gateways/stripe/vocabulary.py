"""Stripe's words for the core's neutral ones: statuses, object names, event types, error
codes and the exact English messages Stripe sends.

The core stores and emits neutral values (core/vocabulary.py); everything the Stripe wire
says about them is decided here, and names users write (event types in `enabled_events`,
`types` filters) are mapped back here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from paylab.simulator.core import vocabulary as v
from paylab.simulator.core.checkout import NOT_IN_MODE
from paylab.simulator.core.errors import CoreError
from paylab.simulator.core.money import format_amount
from paylab.simulator.core.setups import SETUP_AUTHENTICATION_FAILED as _SETUP_AUTH_FAILED
from paylab.simulator.core.setups import SETUP_INVALID_STATE
from paylab.simulator.gateways.stripe.form import param_name

#: PaymentIntent statuses.
STATUS = {
    v.NEEDS_METHOD: "requires_payment_method",
    v.NEEDS_CONFIRMATION: "requires_confirmation",
    v.NEEDS_ACTION: "requires_action",
    v.PENDING: "processing",
    v.AUTHORIZED: "requires_capture",
    v.SUCCEEDED: "succeeded",
    v.CANCELED: "canceled",
}

#: Core object kinds -> Stripe object names (and renderer methods); others are the same.
OBJECT = {v.PAYMENT: "payment_intent", v.SETUP: "setup_intent",
          v.BALANCE_ENTRY: "balance_transaction"}
#: Stripe object names -> core kinds.
KIND = {name: kind for kind, name in OBJECT.items()}

#: Event kinds -> Stripe event types, in the order Stripe's messages list them.
EVENT_TYPE = {
    v.PAYMENT_CREATED: "payment_intent.created",
    v.PAYMENT_NEEDS_ACTION: "payment_intent.requires_action",
    v.PAYMENT_PENDING: "payment_intent.processing",
    v.PAYMENT_SUCCEEDED: "payment_intent.succeeded",
    v.PAYMENT_FAILED: "payment_intent.payment_failed",
    v.PAYMENT_CANCELED: "payment_intent.canceled",
    v.PAYMENT_AUTHORIZED: "payment_intent.amount_capturable_updated",
    v.CHARGE_SUCCEEDED: "charge.succeeded",
    v.CHARGE_FAILED: "charge.failed",
    v.CHARGE_CAPTURED: "charge.captured",
    v.CHARGE_REFUNDED: "charge.refunded",
    v.REFUND_CREATED: "refund.created",
    v.REVIEW_OPENED: "review.opened",
    v.CHECKOUT_COMPLETED: "checkout.session.completed",
    v.CHECKOUT_EXPIRED: "checkout.session.expired",
    v.CUSTOMER_CREATED: "customer.created",
    v.CUSTOMER_UPDATED: "customer.updated",
    v.CUSTOMER_DELETED: "customer.deleted",
    v.METHOD_ATTACHED: "payment_method.attached",
    v.METHOD_DETACHED: "payment_method.detached",
    v.METHOD_UPDATED: "payment_method.updated",
    v.SETUP_CREATED: "setup_intent.created",
    v.SETUP_NEEDS_ACTION: "setup_intent.requires_action",
    v.SETUP_SUCCEEDED: "setup_intent.succeeded",
    v.SETUP_FAILED: "setup_intent.setup_failed",
    v.SETUP_CANCELED: "setup_intent.canceled",
    v.PRODUCT_CREATED: "product.created",
    v.PRODUCT_UPDATED: "product.updated",
    v.PRODUCT_DELETED: "product.deleted",
    v.PRICE_CREATED: "price.created",
    v.PRICE_UPDATED: "price.updated",
}
#: Every event type the simulator emits, as Stripe names them.
EVENT_TYPES = tuple(EVENT_TYPE.values())
EVENT_KIND = {name: kind for kind, name in EVENT_TYPE.items()}
#: How Stripe's webhook signing secrets begin.
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
#: What a Stripe name the simulator does not know maps to: a kind no event has.
_UNKNOWN = "unknown:"


def event_type(kind: str) -> str:
    """The Stripe event type of a core event kind."""
    return EVENT_TYPE.get(kind, kind)


def event_kinds(names: list[str]) -> list[str]:
    """`enabled_events` as the core stores them: `*` stays, unknown names stay unknown."""
    return [n if n == "*" else EVENT_KIND.get(n, _UNKNOWN + n) for n in names]


def endpoint_changes(params: dict[str, Any]) -> dict[str, Any]:
    """A webhook endpoint update with its `enabled_events` as core kinds."""
    if "enabled_events" not in params:
        return params
    return {**params, "enabled_events": event_kinds(params["enabled_events"])}


def enabled_events(kinds: list[str]) -> list[str]:
    """Stored `enabled_events` as Stripe shows them."""
    return [k if k == "*" else event_type(k) for k in kinds]


def type_filter(names: list[str]) -> list[str]:
    """A `types` filter on /v1/events as core kinds; a name may end in `.*`."""
    kinds: list[str] = []
    for name in names:
        if name.endswith(".*"):
            kinds.extend(EVENT_KIND[t] for t in EVENT_TYPES if t.startswith(name[:-1]))
        else:
            kinds.append(EVENT_KIND.get(name, _UNKNOWN + name))
    return kinds


# -- errors -------------------------------------------------------------------------------
#: Neutral codes -> Stripe error codes; codes not listed are Stripe's already.
CODE = {
    v.NOT_FOUND: "resource_missing",
    v.INVALID_STATE: "payment_intent_unexpected_state",
    v.MISSING_PARAMETER: "parameter_missing",
    v.CONFLICTING_PARAMETERS: "parameter_unknown",
    v.DECLINED: "card_declined",
    v.AUTHENTICATION_FAILED: "payment_intent_authentication_failure",
    v.ALREADY_REFUNDED: "charge_already_refunded",
    v.NOT_REFUNDABLE: "charge_not_refundable",
    v.CHECKOUT_UNPAID: "checkout_session_unpaid",
    v.CHECKOUT_NOT_OPEN: "checkout_session_not_open",
    v.CHECKOUT_EXPIRED_ERROR: "checkout_session_expired",
    v.INVALID_CHOICE: "parameter_invalid_string",
    v.UNSUPPORTED_CURRENCY: "parameter_invalid_string",
    v.INVALID_VALUE: "parameter_invalid_string",
    v.OUT_OF_RANGE: "parameter_invalid_integer",
    v.INVALID_URL: "url_invalid",
    v.AUTHENTICATION_REQUIRED: "authentication_required",
    SETUP_INVALID_STATE: "setup_intent_unexpected_state",
    NOT_IN_MODE: "parameter_invalid_string",
    _SETUP_AUTH_FAILED: "setup_intent_authentication_failure",
}
#: Neutral parameter names -> Stripe's.
PARAM = {"payment": "payment_intent", "payment_data": "payment_intent_data",
         "setup_data": "setup_intent_data"}
_CORE_PARAM = {name: neutral for neutral, name in PARAM.items()}

AUTHENTICATION_FAILED = (
    "The provided PaymentMethod has failed authentication. You can provide payment_method_data "
    "or a new PaymentMethod to attempt to fulfill this PaymentIntent again."
)
SETUP_AUTHENTICATION_FAILED = (
    "The latest attempt to set up the payment method has failed because authentication "
    "failed."
)
#: How Stripe names an object in "No such ..." where it differs from the object's name.
_MISSING_NAME = {v.SETUP: "setupintent"}
_PAST = {"confirm": "confirmed", "capture": "captured", "cancel": "canceled",
         "authenticate": "authenticated"}
_SELLER_MESSAGES = {
    "authorized": "Payment complete.",
    "issuer_declined": "The bank did not return any further details with this decline.",
    "blocked": "Stripe blocked this payment as too risky.",
    "manual_review": "Stripe evaluated this payment as having elevated risk, and placed it in "
                     "review.",
}


def seller_message(outcome_type: str) -> str:
    """Stripe's `outcome.seller_message` for an outcome type."""
    return _SELLER_MESSAGES[outcome_type]


def core_params(params: dict[str, Any]) -> dict[str, Any]:
    """Request parameters with the core's names for Stripe's (`payment_intent` -> `payment`)."""
    return {_CORE_PARAM.get(k, k): value for k, value in params.items()}


def code(neutral: str) -> str:
    """Stripe's error (or failure) code for a core code."""
    return CODE.get(neutral, neutral)


def param(name: str | tuple[str | int, ...] | None) -> str | tuple[str | int, ...] | None:
    """An error's `param` with Stripe's parameter names."""
    if isinstance(name, tuple):
        return (PARAM.get(str(name[0]), name[0]), *name[1:]) if name else name
    return PARAM.get(name, name) if name else name


def status(neutral: str) -> str:
    """The PaymentIntent status of a core payment status."""
    return STATUS.get(neutral, neutral)


def _statuses(names: tuple[str, ...] | list[str]) -> str:
    return ", ".join(status(s) for s in names)


def _not_found(c: dict[str, Any]) -> str:
    if c.get("by") == "reference":
        return f"No such PaymentMethod: '{c['id']}'"
    name = _MISSING_NAME.get(c["object"]) or OBJECT.get(c["object"], c["object"])
    return f"No such {name}: '{c['id']}'"


def _invalid_state(c: dict[str, Any], noun: str = "PaymentIntent") -> str:
    """An operation on a PaymentIntent (or SetupIntent) from a status it may not start from."""
    now = status(c["status"])
    if "target" in c:
        return f"A {noun} cannot move from {now} to {status(c['target'])}."
    if "field" in c:
        return f"You cannot update {c['field']} on a {noun} with a status of {now}."
    if c.get("missing") == "payment_method":
        return (f"You cannot confirm this {noun} because it's missing a payment method. "
                f"You can either update the {noun} with a payment method and then "
                "confirm it again, or confirm it again directly with a payment method.")
    verb = c["verb"]
    return (f"You cannot {verb} this {noun} because it has a status of {now}. "
            f"Only a {noun} with one of the following statuses may be {_PAST[verb]}: "
            f"{_statuses(c['allowed'])}.")


def _setup_state(c: dict[str, Any]) -> str:
    """A SetupIntent operation from a status it may not start from."""
    return _invalid_state(c, "SetupIntent")


def _missing(c: dict[str, Any], err: CoreError) -> str:
    names = [PARAM.get(n, n) for n in c["names"]]
    if len(names) > 1:
        return ("One of the following params should be provided for this request: "
                f"{' or '.join(names)}.")
    return f"Missing required param: {param_name(param(err.param)) or names[0]}."


def _too_large(c: dict[str, Any]) -> str:
    if c.get("of") == "capturable":
        return ("The amount to capture must be less than or equal to the amount capturable "
                f"({c['limit']}).")
    cur = c["currency"]
    if c.get("of") == "unrefunded":
        return (f"Refund amount ({format_amount(c['amount'], cur)}) is greater than unrefunded "
                f"amount on charge ({format_amount(c['limit'], cur)})")
    return f"Amount must be no more than {format_amount(c['limit'], cur)}"


def _checkout_not_open(c: dict[str, Any]) -> str:
    return ("Only Checkout Sessions with a status in ['open'] can be expired. This Checkout "
            f"Session has a status of '{c['status']}'.")


def _invalid_choice(c: dict[str, Any], err: CoreError) -> str:
    if c.get("field") == "enabled_events":
        return (f"Invalid enabled_events[{c['index']}]: must be one of *, "
                f"{', '.join(EVENT_TYPES)}")
    return err.message


def _currency(c: dict[str, Any]) -> str:
    return (f"Invalid currency: {c['currency']}. Stripe currently supports these currencies: "
            f"{', '.join(sorted(c['supported']))}")


def _not_emulated(c: dict[str, Any], err: CoreError) -> str:
    """A known test card whose behaviour paylab does not emulate (or an operation not yet
    built, which keeps the core's message)."""
    if "card" not in c:
        return err.message
    name = f" ({c['token']})" if c.get("token") else ""
    return (f"paylab knows the test card {c['card']}{name}: {c['behaviour']}; "
            f"paylab does not emulate {c['feature']}.")


#: Saved-card and PaymentIntent refusals (core INVALID_VALUE errors, told apart by their
#: `reason`).
_SAVED_CARD: dict[str, Callable[[dict[str, Any]], str]] = {
    "attached_elsewhere": lambda c: (
        "The payment method you provided has already been attached to a customer."),
    "not_attached": lambda c: (
        "The payment method you provided is not attached to a customer so detachment is "
        "impossible."),
    "update_unattached": lambda c: (
        "You must save this PaymentMethod to a customer before you can update it."),
    "owner_not_named": lambda c: (
        f"The payment method supplied ({c['id']}) belongs to the Customer {c['customer']}. "
        "Please include the Customer in the `customer` parameter on the PaymentIntent."),
    "off_session_without_confirm": lambda c: (
        "You may only specify `off_session` when `confirm` is true."),
    "detached": lambda c: (
        "The provided PaymentMethod was previously used with a PaymentIntent without "
        "Customer attachment, shared with a connected account without Customer attachment, "
        "or was detached from a Customer. It may not be used again. To use a PaymentMethod "
        "multiple times, you must attach it to a Customer first."),
    "return_url_required": lambda c: (
        "This PaymentIntent is configured to accept payment methods enabled in your "
        "Dashboard. Because some of these payment methods might redirect your customer off "
        "of your page, you must provide a `return_url`. If you don't want to accept "
        "redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` "
        "and `automatic_payment_methods[allow_redirects]` to `never` when creating Setup "
        "Intents and Payment Intents."),
}
#: What an off-session payment meets when the card asks for 3-D Secure.
AUTHENTICATION_REQUIRED = "Your card was declined. This transaction requires authentication."


def _invalid_value(c: dict[str, Any], err: CoreError) -> str:
    wording = _SAVED_CARD.get(c.get("reason", ""))
    return wording(c) if wording is not None else err.message


_Wording = Callable[[dict[str, Any], CoreError], str]
#: Neutral code -> how Stripe words it, from the error's context; codes not listed keep
#: the core's message.
_MESSAGES: dict[str, _Wording] = {
    v.NOT_FOUND: lambda c, _: _not_found(c),
    v.INVALID_STATE: lambda c, _: _invalid_state(c),
    v.MISSING_PARAMETER: _missing,
    v.CONFLICTING_PARAMETERS: lambda c, _: (
        "You may only specify one of these parameters: "
        f"{', '.join(PARAM.get(n, n) for n in c['names'])}."),
    v.AMOUNT_TOO_SMALL: lambda c, _: (
        f"Amount must be at least {format_amount(c['limit'], c['currency'])}"),
    v.AMOUNT_TOO_LARGE: lambda c, _: _too_large(c),
    v.ALREADY_REFUNDED: lambda c, _: f"Charge {c['charge_id']} has already been refunded.",
    v.NOT_REFUNDABLE: lambda c, _: (
        f"This PaymentIntent ({c['id']}) does not have a successful charge to refund."),
    v.CHECKOUT_UNPAID: lambda c, _: "This Checkout Session has not been paid.",
    v.CHECKOUT_NOT_OPEN: lambda c, _: _checkout_not_open(c),
    v.CHECKOUT_EXPIRED_ERROR: lambda c, _: "This Checkout Session has expired.",
    v.INVALID_CHOICE: _invalid_choice,
    v.UNSUPPORTED_CURRENCY: lambda c, _: _currency(c),
    v.AUTHENTICATION_FAILED: lambda c, _: AUTHENTICATION_FAILED,
    v.AUTHENTICATION_REQUIRED: lambda c, _: AUTHENTICATION_REQUIRED,
    v.INVALID_VALUE: _invalid_value,
    v.NOT_EMULATED: _not_emulated,
    SETUP_INVALID_STATE: lambda c, _: _setup_state(c),
    NOT_IN_MODE: lambda c, _: (
        f"You can not pass `{PARAM.get(c['field'], c['field'])}` in `{c['mode']}` mode."),
    _SETUP_AUTH_FAILED: lambda c, _: SETUP_AUTHENTICATION_FAILED,
}


def message(err: CoreError) -> str:
    """The English message Stripe sends for a core error."""
    wording = _MESSAGES.get(err.code)
    return wording(err.context, err) if wording is not None else err.message
