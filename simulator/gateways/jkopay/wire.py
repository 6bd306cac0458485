"""JKOPay's words: its result codes and messages, its `digest` signature, its JSON bodies,
its order status codes and its clock (Taiwan time, `YYYY-mm-dd HH:MM:SS`).

The core speaks neutral codes; everything here maps them to what JKOPay answers
(gateways.md 4). Which HTTP status goes with a refusal is not documented: JKOPay answers
business and parameter refusals with HTTP 200 and a `result` other than `000` (a reading
shared by the ys-cart-jkopay client, which treats only 401/403 as failed authentication),
so the simulator does the same, and answers a bad `api-key` with 401 and a bad `digest` or
a `store_id` that is not the key's store with 403.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

from paylab.simulator.contracts import Problem
from paylab.simulator.core.errors import CoreError, InvalidRequest, InvalidState, NotFound

GATEWAY = "jkopay"
TAIPEI = dt.timezone(dt.timedelta(hours=8))
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

#: API result codes (gateways.md 4) and the message JKOPay gives with each.
OK = "000"
NOT_FOUND = "100"
ALREADY_PAID = "101"
REFUND_AMOUNT = "103"
REFUND_INCONSISTENT = "105"
LIMIT = "108"
REFUND_OVER_UNSETTLED = "113"
BAD_PARAMS = "200"
VALIDATION = "201"
REFUND_OVER_ORIGINAL = "922"
OTHER = "999"
MESSAGES = {
    OK: "成功",
    NOT_FOUND: "查無此訂單",
    ALREADY_PAID: "訂單已付款",
    REFUND_AMOUNT: "退款金額錯誤",
    REFUND_INCONSISTENT: "退款單號已存在且金額不一致",
    LIMIT: "已達上限",
    REFUND_OVER_UNSETTLED: "退款金額大於未結算金額",
    BAD_PARAMS: "參數錯誤",
    VALIDATION: "驗證錯誤",
    REFUND_OVER_ORIGINAL: "退款總金額大於原訂單金額",
    OTHER: "其他錯誤",
}

#: Order status codes (inquiry and the result_url callback).
STATUS_SUCCESS, STATUS_PROCESSING, STATUS_NOT_PAID, STATUS_NOT_FOUND = 0, 1, 101, 102


class JkoError(CoreError):
    """A refusal in JKOPay's terms: `code` is the result, `status` the HTTP status."""

    kind = "invalid_request"

    def __init__(self, code: str, detail: str | None = None, *, status: int = 200,
                 param: str | None = None) -> None:
        message = MESSAGES.get(code, MESSAGES[OTHER])
        super().__init__(code, f"{message}: {detail}" if detail else message, param=param)
        self.status = status


def digest(secret: str, payload: bytes) -> str:
    """JKOPay's `digest`: lower-case hex HMAC-SHA256 of the raw bytes, keyed with the
    secret key (simulator.webhooks.signing.jkopay_digest, tested on the vector)."""
    return hmac.new(secret.encode("utf-8"), payload, hashlib.sha256).hexdigest()


def same_digest(expected: str, given: str | None) -> bool:
    """Whether `given` is `expected`, compared in constant time (any text accepted)."""
    if not given:
        return False
    return hmac.compare_digest(expected.encode(), given.strip().encode("utf-8", "replace"))


def parse_json(body: bytes) -> dict[str, Any]:
    """A UTF-8 JSON object; a key given twice, another type or broken JSON is refused with
    200 (what the digest covered must be what is read: no guessing between duplicates)."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in items]
        if len(keys) != len(set(keys)):
            raise JkoError(BAD_PARAMS, "a field is given more than once")
        return dict(items)

    try:
        value = json.loads(body.decode("utf-8"), object_pairs_hook=pairs)
    except (UnicodeDecodeError, ValueError) as exc:
        raise JkoError(BAD_PARAMS, "the body is not UTF-8 JSON") from exc
    if not isinstance(value, dict):
        raise JkoError(BAD_PARAMS, "the body must be a JSON object")
    return value


def to_json(value: Any) -> bytes:
    """Compact UTF-8 JSON, non-ASCII kept as is (as JKOPay's answers)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def answer(result_object: Any, code: str = OK, message: str | None = None) -> dict[str, Any]:
    """JKOPay's envelope: result, message, result_object."""
    return {"result": code, "message": message or MESSAGES[code],
            "result_object": result_object}


#: Contract keywords that mean a field is missing or mistyped (200) rather than a value
#: out of the accepted range (201).
_SHAPE = ("required", "type", "additionalProperties", "minLength", "maxLength", "maxItems",
          "minItems", "minProperties")


def violation(problem: Problem) -> JkoError:
    """A contract problem as JKOPay words it: 200 for a missing, unknown or mistyped field,
    201 for a value outside what is accepted, a fraction where a whole amount is due
    included (our reading of 參數錯誤 / 驗證錯誤)."""
    where = ".".join(str(p) for p in problem.path) or "body"
    code = BAD_PARAMS if problem.keyword in _SHAPE else VALIDATION
    if problem.keyword == "type" and isinstance(problem.value, int | float) and not isinstance(
            problem.value, bool):
        code = VALIDATION  # a number, but not one accepted there (12.5 for a whole amount)
    return JkoError(code, f"{where}: {problem.message}", param=where)


def refusal(error: CoreError) -> tuple[int, str, str]:
    """(HTTP status, result, message) for any core error a JKOPay operation raised."""
    if isinstance(error, JkoError):
        return error.status, error.code, error.message
    if error.kind == "storage_unavailable":
        return 503, OTHER, f"{MESSAGES[OTHER]}: the simulator's storage refused the write"
    if error.code == "refund_reference_reused":
        return 200, REFUND_INCONSISTENT, f"{MESSAGES[REFUND_INCONSISTENT]}: {error.message}"
    if isinstance(error, NotFound):
        return 200, NOT_FOUND, MESSAGES[NOT_FOUND]
    if isinstance(error, InvalidState | InvalidRequest):
        return 200, VALIDATION, f"{MESSAGES[VALIDATION]}: {error.message}"
    return 200, OTHER, f"{MESSAGES[OTHER]}: {error.message}"


def taiwan_time(epoch: float | None) -> str:
    """`YYYY-mm-dd HH:MM:SS` in Taiwan (UTC+8), or "" for no time."""
    if epoch is None:
        return ""
    return dt.datetime.fromtimestamp(epoch, TAIPEI).strftime(TIME_FORMAT)


def parse_taiwan_time(text: str) -> float:
    """The epoch of a `YYYY-mm-dd HH:MM:SS` Taiwan time (ValueError if malformed)."""
    return dt.datetime.strptime(text, TIME_FORMAT).replace(tzinfo=TAIPEI).timestamp()


def tenant_of(store_id: str) -> str:
    """The tenant a JKOPay store is (core.merchants.tenant_of)."""
    return f"{GATEWAY}-{store_id}"
