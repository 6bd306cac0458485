"""Stripe's wire conventions: API keys, HTTP statuses and the error envelope."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any

import orjson
from paylab.simulator.contracts import Problem
from paylab.simulator.core import vocabulary as v
from paylab.simulator.core.errors import CoreError, InvalidRequest, Unauthenticated
from paylab.simulator.gateways.stripe import versions, vocabulary
from paylab.simulator.gateways.stripe.form import param_name
from paylab.simulator.gateways.stripe.render import Renderer, doc_url

_KEY = re.compile(r"(sk|rk)_test_[A-Za-z0-9_]{1,247}")

STATUS = {
    "invalid_request": 400,
    "not_found": 404,
    "invalid_state": 400,
    "declined": 402,
    "idempotency_mismatch": 400,
    "idempotency_in_flight": 409,
    "unauthenticated": 401,
    "forbidden": 403,
    "storage_unavailable": 503,
}
ERROR_TYPE = {
    "declined": "card_error",
    "idempotency_mismatch": "idempotency_error",
    "storage_unavailable": "api_error",
}

#: Said after Stripe's own "Invalid API Key provided" sentence: Stripe knows which keys
#: exist, the simulator accepts any key of the right shape, so say the shape.
KEY_HINT = (
    "Keys for this simulator start with sk_test_ (or rk_test_ for a restricted key) "
    "followed by letters, digits or underscores, e.g. sk_test_my_ci_run_42; any such key "
    "works and is its own tenant."
)

NO_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization "
    "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
    "https://stripe.com/docs/api#authentication for details."
)


class AccountInaccessible(CoreError):
    """A `Stripe-Account` the key cannot act for (the simulator emulates no connected
    accounts, so every one)."""

    kind = "forbidden"


def dumps(answer: Any) -> bytes:
    """A Stripe JSON body: two-space indented, no trailing newline, as Stripe sends them."""
    return orjson.dumps(answer, option=orjson.OPT_INDENT_2)


def tenant_for_key(api_key: str) -> str:
    """The tenant an API key owns: a digest, so keys never appear in state or logs."""
    return "acct_" + hashlib.sha256(api_key.encode()).hexdigest()[:16]


def mask_key(api_key: str) -> str:
    """`sk_test_****abcd`, as Stripe shows keys in messages."""
    prefix = api_key[:8] if api_key.startswith(("sk_", "rk_", "pk_")) else ""
    return f"{prefix}****{api_key[-4:]}" if len(api_key) > 12 else "****"


def api_key_from(authorization: str | None) -> str:
    """The API key in a Bearer or Basic `Authorization` header."""
    if not authorization:
        raise Unauthenticated("api_key_missing", NO_KEY)
    scheme, _, credential = authorization.strip().partition(" ")
    credential = credential.strip()
    if scheme.lower() == "bearer" and credential:
        return credential
    if scheme.lower() == "basic" and credential:
        try:
            user = base64.b64decode(credential, validate=True).decode("utf-8").partition(":")[0]
        except (binascii.Error, ValueError):  # not base64 (or not ASCII at all), not UTF-8
            user = ""
        if user:
            return user
    raise Unauthenticated(
        "api_key_invalid",
        "Invalid Authorization header. Use 'Authorization: Bearer YOUR_SECRET_KEY'.",
    )


def bad_header(name: str) -> InvalidRequest:
    """A header whose bytes are not UTF-8, refused before anything runs."""
    return InvalidRequest(
        "parameter_invalid_string",
        f"Invalid {name} header: its value must be valid UTF-8 text.", param=name,
    )


def api_version(requested: str | None) -> str:
    """The API version a request's `Stripe-Version` header is served, or Stripe's refusal."""
    version = versions.served(requested)
    if version is None:
        raise InvalidRequest("parameter_invalid_string",
                             f"Invalid Stripe API version: {_shown(requested or '')}",
                             param="Stripe-Version")
    return version


def account_refused(authorization: str | None, account: str) -> AccountInaccessible:
    """Stripe's answer to a `Stripe-Account` header the key has no access to."""
    key = api_key_from(authorization)
    return AccountInaccessible(
        v.ACCOUNT_INVALID,
        f"The provided key '{mask_key(key)}' does not have access to account "
        f"'{_shown(account)}' (or that account does not exist). Application access may "
        "have been revoked.")


def authenticate(authorization: str | None, revoked: set[str] | frozenset[str] = frozenset()
                 ) -> str:
    """The tenant of a valid test-mode secret key, or `Unauthenticated`."""
    key = api_key_from(authorization)
    if key.startswith(("sk_live_", "rk_live_")):
        raise Unauthenticated(
            "api_key_live_mode",
            "This simulator only runs in test mode; live mode keys (sk_live_...) are refused. "
            "Use a key starting with sk_test_.",
        )
    if key.startswith("pk_"):
        raise Unauthenticated(
            "secret_key_required",
            "This API call cannot be made with a publishable API key. Please use a secret API "
            "key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys.",
        )
    if not _KEY.fullmatch(key):
        raise Unauthenticated("api_key_invalid",
                              f"Invalid API Key provided: {mask_key(key)}. {KEY_HINT}")
    tenant = tenant_for_key(key)
    if tenant in revoked:
        raise Unauthenticated("api_key_expired", f"Expired API Key provided: {mask_key(key)}")
    return tenant


def envelope(error_type: str, message: str, code: str | None = None,
             **fields: Any) -> dict[str, Any]:
    """Stripe's error envelope: the one place a Stripe error body is built."""
    body: dict[str, Any] = {"type": error_type}
    if code:
        body["code"] = code
    body["message"] = message
    body.update(fields)
    return {"error": body}


def error_body(
    error: CoreError, renderer: Renderer, tenant: str | None = None
) -> tuple[int, dict[str, Any]]:
    """Status and Stripe error envelope for a core error (its neutral code in Stripe's words)."""
    code = vocabulary.code(error.code)
    body: dict[str, Any] = {"doc_url": doc_url(code)}
    param = param_name(vocabulary.param(error.param))
    if param:
        body["param"] = param
    context = error.context
    if context.get("decline_code"):
        body["decline_code"] = context["decline_code"]
    if context.get("charge"):
        body["charge"] = context["charge"]
    if context.get("payment") is not None:
        body["payment_intent"] = renderer.payment_intent(context["payment"])
    if context.get("setup") is not None:
        body["setup_intent"] = renderer.setup_intent(context["setup"])
    if context.get("method") is not None:
        body["payment_method"] = renderer.payment_method(context["method"])
    return STATUS[error.kind], envelope(ERROR_TYPE.get(error.kind, "invalid_request_error"),
                                        vocabulary.message(error), code, **body)


_INJECTED = {
    429: ("invalid_request_error", "rate_limit",
          "Too many requests hit the API too quickly. We recommend an exponential backoff of "
          "your requests."),
    500: ("api_error", "api_error", "An unknown error occurred while processing the request."),
    502: ("api_error", "bad_gateway", "The gateway received an invalid response upstream."),
    503: ("api_error", "service_unavailable",
          "The payment gateway is temporarily unavailable. Please retry later."),
    504: ("api_error", "gateway_timeout", "The gateway timed out waiting for an upstream."),
}


def injected_error(status: int, message: str | None = None) -> dict[str, Any]:
    """The error body Stripe sends for a 429 or a 5xx (used by scenario effects)."""
    error_type, code, default = _INJECTED[status]
    return envelope(error_type, message or default, code)


def violation(problem: Problem, prefix: tuple[str, ...] = ()) -> InvalidRequest:
    """A contract violation phrased the way Stripe phrases parameter errors."""
    path = (*prefix, *problem.path)
    param = param_name(path) or "request"
    value = _shown(problem.value)
    keyword, expected = problem.keyword, problem.expected
    if keyword == "required":
        return InvalidRequest("parameter_missing", f"Missing required param: {param}.", param=path)
    if keyword == "additionalProperties":
        return InvalidRequest("parameter_unknown", f"Received unknown parameter: {param}",
                              param=path)
    if keyword == "type":
        kind = expected[0] if isinstance(expected, list) else expected
        noun = {"integer": "integer", "boolean": "boolean", "object": "hash",
                "array": "array", "string": "string", "number": "number"}.get(kind, kind)
        return InvalidRequest(f"parameter_invalid_{noun}", f"Invalid {noun}: {value}", param=path)
    if keyword in ("enum", "const"):
        allowed = expected if isinstance(expected, list) else [expected]
        return InvalidRequest(
            "parameter_invalid_string",
            f"Invalid {param}: must be one of {', '.join(map(str, allowed))}", param=path,
        )
    if keyword == "minimum":
        return InvalidRequest("parameter_invalid_integer",
                              f"This value must be greater than or equal to {expected}.",
                              param=path)
    if keyword == "maximum":
        return InvalidRequest("parameter_invalid_integer",
                              f"This value must be less than or equal to {expected}.", param=path)
    if keyword in ("maxLength", "minLength"):
        limit = "at most" if keyword == "maxLength" else "at least"
        return InvalidRequest("parameter_invalid_string_length",
                              f"Invalid string: {value}; must be {limit} {expected} characters",
                              param=path)
    if keyword in ("maxItems", "minItems", "maxProperties"):
        return InvalidRequest("parameter_invalid_array",
                              f"Invalid {param}: {keyword} is {expected}", param=path)
    return InvalidRequest("parameter_invalid", f"Invalid {param}: {value}", param=path)


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
