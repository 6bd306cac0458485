"""The verdict on one answer: did the probe reach the probed field's own handling, and was
the answer safe (no 5xx, no trace, the right content type, no markup, no evaluation, no
split response)?

Where a probe ended up ("reach"):
  handler     accepted (2xx/3xx), or refused by the operation's own logic about the field
  validation  refused by validation naming the probed field (`param` / `field` / its
              `<field>-error` on a page)
  unverified  refused, by an operation no valid request can be built for (the merchant's
              order pages and webhook): judged for safety only
  parsing     the whole request refused because the payload made it undecodable (bytes
              that are not UTF-8: no field can be read out of them)
A path segment the router cannot match (404, no field named) counts as validation: the
control probe proved the same path with a real id routes.
A refusal naming another field means the probe never reached its own field: a broken probe.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any

from paylab.simulator.contracts import contract_id
from paylab.suites.security.injection.markup import Page, injected_markup
from paylab.suites.security.injection.payloads import evaluates_to, text, undecodable
from paylab.suites.security.injection.shapes import Field, contracts
from paylab.suites.security.injection.surfaces import Errors, Operation, named
from paylab.suites.security.injection.wire import Answer

LEAKS = ("Traceback (most recent call last)", "sqlite3.", "OperationalError", 'File "/',
         "IntegrityError", "aiohttp/web_", "site-packages")
_INJECTED_HEADER = re.compile(r"(?:\r\n|\r|\n)([A-Za-z][A-Za-z0-9-]*):[ \t]*([^\r\n]*)")


@dataclass
class Verdict:
    """Pass or fail, where the probe ended up, and why, in one line."""

    ok: bool
    reach: str
    text: str


def judge(op: Operation, field: Field, payload: Any, answer: Answer, control: Answer | None
          ) -> Verdict:
    """The verdict on `answer` to `payload` (None: the control probe, which must be
    accepted); `control` is the answer to the control probe of the same field, if any."""
    if answer.status == 0:
        return Verdict(False, "none", f"no answer: {answer.error}"[:160])
    problems = [f"server error {answer.status}"] if answer.status >= 500 else []
    problems += [f"leaks {m!r}" for m in LEAKS if m in answer.text][:1]
    problems += _split(payload, answer)
    document, page = None, None
    if not 300 <= answer.status < 400:  # a redirect's body is never shown
        if op.answers == "html":
            page = Page.parse(answer.text)
            problems += _html(answer, page, payload)
        elif op.answers == "text":  # ECPay's `1|OK` protocol: plain text, never markup
            if answer.media_type not in ("text/plain", ""):
                problems.append(f"served as {answer.media_type}, not text/plain")
        elif op.answers == "csv" and answer.status < 400 and op.refusals is None:
            if answer.media_type != "text/csv":  # a file download: CSV, or a refusal
                problems.append(f"served as {answer.media_type}, not text/csv")
        elif op.answers == "csv" and op.refusals is not None:  # ECPay: refusals in text
            if answer.media_type not in ("text/csv", "text/plain", "text/html"):
                problems.append(f"served as {answer.media_type}, not text/csv")
        else:
            document, found = _json(answer, op.errors, payload)
            problems += found
    problems += _evaluated(payload, answer, control, op.answers)
    refusal = named(op.refusals)(answer) if op.refusals else None
    if refusal is not None:  # a gateway that refuses with HTTP 200 (ECPay, NewebPay)
        reach, why = _gateway_reach(op, field, payload, refusal)
    else:
        reach, why = _reach(op, field, payload, answer, document, page)
    if why:
        problems.append(why)
    if payload is None and (answer.status >= 400 or refusal is not None):
        problems.append("the harmless control value was refused: the valid request is "
                        "not valid, so no probe of this field can reach it"
                        + (f" ({refusal.code} {refusal.message[:80]})" if refusal else ""))
    if not problems:
        return Verdict(True, reach, _summary(answer, reach, payload))
    return Verdict(False, reach, "; ".join(problems))


def _summary(answer: Answer, reach: str, payload: Any) -> str:
    echoed = text(payload) is not None and text(payload) in answer.text
    if answer.status < 400 and reach == "handler":
        return f"reached the handler, accepted{', echoed safely' if echoed else ''}"
    where = {"handler": "refused by the handler", "validation": "refused by the field's "
             "validation", "parsing": "refused as undecodable",
             "unverified": "refused (reach unverified)"}[reach]
    return where + (", echoed safely" if echoed else "")


def dig(document: Any, pointer: str) -> Any:
    """`error.param` out of `{"error": {"param": ...}}` (None when absent)."""
    for step in pointer.split("."):
        document = document.get(step) if isinstance(document, dict) else None
    return document


def _json(answer: Answer, errors: Errors | None, payload: Any) -> tuple[Any, list[str]]:
    if answer.media_type != "application/json":
        return None, [f"served as {answer.media_type or 'no content type'}, not application/json"]
    try:
        document = json.loads(answer.body)
    except ValueError:
        return None, ["not JSON"]
    if _raw_quotes(text(payload), answer.text):  # it parsed: its quotes became syntax
        return document, ["echoed unescaped into the JSON"]
    if answer.status >= 400 and errors is not None:
        found = contracts().errors(contract_id(errors.contract), document)
        if found:
            return document, [f"not the error contract ({errors.contract}): {found[0]}"]
    return document, []


def _raw_quotes(value: str | None, body: str) -> bool:
    """The payload echoed with one of its `"` not escaped as `\\"` (JSON built by hand)."""
    if not value or '"' not in value:
        return False
    start = body.find(value)
    while start >= 0:
        if any(body[start + i - 1] != "\\" for i, c in enumerate(value) if c == '"'):
            return True
        start = body.find(value, start + 1)
    return False


def _html(answer: Answer, page: Page, payload: Any) -> list[str]:
    problems = []
    if answer.media_type != "text/html":
        problems.append(f"served as {answer.media_type or 'no content type'}, not text/html")
    if answer.media_type not in ("text/html", ""):
        return problems  # a browser renders no markup out of text/plain or JSON
    value = text(payload)
    if value and re.search(r"<[A-Za-z/!]", value) and value in answer.text:
        problems.append("echoed unescaped")
    problems += injected_markup(page, value)
    return problems


def _split(payload: Any, answer: Answer) -> list[str]:
    """A header smuggled in with CR/LF must not come back as a header of the answer."""
    value = text(payload)
    if value is None:
        return []
    decoded = urllib.parse.unquote(value)
    return [f"response splitting: the answer carries {name}: {answer.header(name)}"
            for name, sent in _INJECTED_HEADER.findall(decoded)
            if sent and sent.strip() in (answer.header(name) or "")]


def _evaluated(payload: Any, answer: Answer, control: Answer | None, kind: str) -> list[str]:
    """`{{7*7}}` and friends must not come back as 49 (more often than for the control)."""
    result = evaluates_to(payload)
    if result is None:
        return []
    token = re.compile(rf"(?<![\w.]){re.escape(result)}(?![\w.])")

    def count(one: Answer | None) -> int:
        if one is None:
            return 0
        shown = Page.parse(one.text).visible if kind == "html" else one.text
        return len(token.findall(shown))

    if count(answer) > count(control):
        return [f"evaluated the template: answered {result!r} for {payload!r}"]
    return []


def _named(field: Field, named: Any, message: str) -> bool:
    if field.where == "header":
        return field.name.lower() in message.lower() or named == field.name
    if not isinstance(named, str):
        return False
    if named in (field.name, field.key) or named.startswith((field.name + "[", field.name + "/")):
        return True
    # a lookup by path names the object id, or the object by Stripe's own path parameter
    # (`intent` for the SetupIntent that paylab routes as `{setup_intent}`)
    return field.where == "path" and (named == "id" or field.name.endswith("_" + named))


def _reach(op: Operation, field: Field, payload: Any, answer: Answer, document: Any,
           page: Page | None) -> tuple[str, str]:
    if answer.status < 400:
        return "handler", ""
    if not op.control:
        return "unverified", ""  # no accepted control proves what the refusal was about
    if undecodable(payload):  # no field can be read out of bytes that are not UTF-8
        return "parsing", ""
    if op.answers == "html":
        refused = page.field_errors() if page else []
        if field.name in refused or (not refused and not op.names_fields):
            return "validation", ""
        if refused:
            return "none", f"stopped before the handler: the page refused {refused}, not " \
                f"{field.name!r}"
        return "none", f"refused naming no field: {page.message() if page else ''}"[:160]
    errors = op.errors
    if errors is None:
        return "unverified", ""  # no error contract says what was refused
    named = dig(document, errors.param)
    code, message = str(dig(document, errors.code) or ""), str(dig(document, "error.message"))
    if _named(field, named, message):
        return ("validation" if code.startswith(errors.validation) else "handler"), ""
    if named:
        return "none", f"stopped before the handler: refused {named!r}, not {field.key!r} " \
            f"({message[:80]})"
    if field.where == "path" and answer.status == 404:  # the router refused the segment
        return "validation", ""
    return "none", f"refused naming no field, so not {field.key!r}: {code} {message[:80]}"


@dataclass(frozen=True)
class Refusal:
    """A refusal in a gateway's own shape, whatever its HTTP status: its code, the field
    it names (None: none; `A|B`: any of them, for a code shared by several fields), its
    message, and whether it is the field's validation."""

    code: str
    field: str | None
    message: str
    validation: bool = False


def _gateway_reach(op: Operation, field: Field, payload: Any, refusal: Refusal
                   ) -> tuple[str, str]:
    """Where a probe refused in the gateway's shape ended up (see `_reach`)."""
    if undecodable(payload):
        return "parsing", ""
    if any(_named(field, one, refusal.message) for one in (refusal.field or "").split("|")):
        return ("validation" if refusal.validation else "handler"), ""
    if refusal.field:
        return "none", f"stopped before the handler: refused {refusal.field!r}, not " \
            f"{field.key!r} ({refusal.code} {refusal.message[:80]})"
    return "none", f"refused naming no field, so not {field.key!r}: {refusal.code} " \
        f"{refusal.message[:80]}"
