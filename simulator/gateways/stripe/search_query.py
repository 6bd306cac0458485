"""Stripe's search query language (`GET /v1/.../search?query=...`): parse a query, check it
against the fields a resource documents, and match it against rendered Stripe objects.

A query is up to 10 clauses `field<op>value`, joined by spaces or `AND`, or all by `OR`
(never both). Operators: `:` exact match (case-insensitive), `~` substring match (only
on the fields that allow it, 3 characters or more), `>`, `>=`, `<`, `<=` on numeric
fields. A clause may be negated with a leading `-`; `null` (unquoted) matches a field that
has no value; `metadata["key"]` reads one metadata key. Values are quoted with `"` or `'`
(a backslash escapes the quote or itself); numbers, `true`, `false` and `null` may go
unquoted. Matching reads the object as Stripe renders it, so field names and status words
are Stripe's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from paylab.simulator.core.errors import InvalidRequest

#: The most clauses one query may hold.
MAX_CLAUSES = 10
#: The shortest value a substring match (`~`) accepts.
MIN_SUBSTRING = 3

NUMERIC, STRING, SUBSTRING, TOKEN, BOOLEAN = "numeric", "string", "substring", "token", "boolean"

_CARD = "payment_method_details.{}.{}"
#: Resource (as Stripe names it in messages) -> its documented query fields and their types.
FIELDS: dict[str, dict[str, str]] = {
    "payment_intents": {"amount": NUMERIC, "created": NUMERIC, "currency": STRING,
                        "customer": STRING, "status": TOKEN},
    "charges": {
        "amount": NUMERIC, "billing_details.address.postal_code": STRING, "created": NUMERIC,
        "currency": STRING, "customer": STRING, "disputed": BOOLEAN, "refunded": BOOLEAN,
        "status": TOKEN,
        **{_CARD.format(source, part): STRING for source in ("card", "card_present")
           for part in ("brand", "exp_month", "exp_year", "fingerprint", "last4")},
    },
    "customers": {"created": NUMERIC, "email": SUBSTRING, "name": SUBSTRING,
                  "phone": SUBSTRING},
}
#: Where Stripe documents each resource's fields.
DOCS = {"payment_intents": "paymentintents", "charges": "charges", "customers": "customers"}

PARSE_ERROR = (
    "We were unable to parse your search query. Try using the format "
    '`metadata["key"]:"value"` to query for metadata or `key:"value"` to query for other '
    "fields."
)
_COMPARATORS = (">=", "<=", ">", "<")
_OPERATOR = re.compile(r">=|<=|>|<|:|~")
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_BARE = re.compile(r"[^\s\"'()\[\]]+")
_JOINER = re.compile(r"(AND|OR)(?=\s)", re.IGNORECASE)
_INTEGER = re.compile(r"-?\d{1,18}")


@dataclass(frozen=True)
class Clause:
    """One `field<op>value`; `value` None is `null`; `key` is a metadata key."""

    field: str
    op: str
    value: str | None
    negated: bool = False
    key: str | None = None
    quoted: bool = False


@dataclass(frozen=True)
class Query:
    """The clauses of a query and how they combine (`any_of`: joined by OR)."""

    clauses: tuple[Clause, ...]
    any_of: bool = False


def query_error(message: str) -> InvalidRequest:
    """A query Stripe would refuse: 400 invalid_request_error on `query`."""
    return InvalidRequest("parameter_invalid_string", message, param="query")


class _Reader:
    """A cursor over the query text; every refusal names the character it stopped at."""

    def __init__(self, text: str) -> None:
        self.text, self.pos = text, 0

    def fail(self, at: int | None = None) -> InvalidRequest:
        where = self.pos if at is None else at
        return query_error(f"{PARSE_ERROR} (The query could not be read from character "
                           f"{where + 1}.)")

    def spaces(self) -> bool:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1
        return self.pos > start

    def done(self) -> bool:
        return self.pos >= len(self.text)

    def take(self, pattern: re.Pattern[str]) -> str | None:
        found = pattern.match(self.text, self.pos)
        if found is None:
            return None
        self.pos = found.end()
        return found.group(0)

    def char(self, expected: str) -> bool:
        if self.text.startswith(expected, self.pos):
            self.pos += len(expected)
            return True
        return False

    def quoted(self) -> str:
        """A `"..."` or `'...'` string; a backslash escapes the next character."""
        quote, start, out = self.text[self.pos], self.pos, []
        self.pos += 1
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == "\\" and self.pos + 1 < len(self.text):
                out.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            self.pos += 1
            if ch == quote:
                return "".join(out)
            out.append(ch)
        raise self.fail(start)  # the quote is never closed


def parse(text: str) -> Query:
    """The clauses of a query, or a parse error naming where reading stopped."""
    reader = _Reader(text)
    reader.spaces()
    clauses = [_clause(reader)]
    joiners: set[str] = set()
    while True:
        spaced = reader.spaces()
        if reader.done():
            break
        if not spaced:
            raise reader.fail()
        joiner = reader.take(_JOINER)
        if joiner is not None:
            joiners.add(joiner.upper())
            reader.spaces()
        else:
            joiners.add("AND")  # clauses side by side are ANDed
        clauses.append(_clause(reader))
    if len(joiners) > 1:
        raise query_error("A search query cannot combine `AND` and `OR` (and there are no "
                          "parentheses): join every clause with the same one.")
    if len(clauses) > MAX_CLAUSES:
        raise query_error(f"A search query can have at most {MAX_CLAUSES} clauses; this one "
                          f"has {len(clauses)}.")
    return Query(tuple(clauses), any_of=joiners == {"OR"})


def _clause(reader: _Reader) -> Clause:
    negated = reader.char("-")
    start = reader.pos
    name = reader.take(_FIELD)
    if name is None:
        raise reader.fail()
    key = None
    if reader.char("["):
        if name != "metadata" or reader.done() or reader.text[reader.pos] not in "\"'":
            raise reader.fail(start if name != "metadata" else None)
        key = reader.quoted()
        if not reader.char("]"):
            raise reader.fail()
    reader.spaces()
    op = reader.take(_OPERATOR)
    if op is None:
        raise reader.fail()
    reader.spaces()
    if not reader.done() and reader.text[reader.pos] in "\"'":
        return Clause(name, op, reader.quoted(), negated, key, quoted=True)
    bare = reader.take(_BARE)
    if bare is None:
        raise reader.fail()
    value = None if bare.lower() == "null" else bare
    return Clause(name, op, value, negated, key)


# -- checking a query against a resource's fields -------------------------------------------
def check(query: Query, resource: str) -> None:
    """Refuse fields the resource does not document and operators its fields do not take."""
    fields = FIELDS[resource]
    for c in query.clauses:
        if c.field == "metadata":
            if c.key is None:
                raise query_error(PARSE_ERROR)
            if c.op != ":":
                raise _operator_error(c, "metadata")
            continue
        kind = fields.get(c.field)
        if kind is None:
            raise query_error(
                f"Field `{c.field}` is an unsupported search field for resource `{resource}`. "
                f"See https://docs.stripe.com/search#query-fields-for-{DOCS[resource]} for a "
                "list of supported fields.")
        _check_value(c, kind)


def _check_value(c: Clause, kind: str) -> None:
    if c.op == "~":
        if kind != SUBSTRING:
            raise _operator_error(c, kind)
        if c.value is None or len(c.value) < MIN_SUBSTRING:
            raise query_error(f"Substring matching (`~`) on `{c.field}` needs a value of at "
                              f"least {MIN_SUBSTRING} characters.")
    elif c.op in _COMPARATORS and kind != NUMERIC:
        raise _operator_error(c, kind)
    if c.value is None:
        if c.op != ":":
            raise query_error(f"`null` only goes with the `:` operator (`{c.field}:null`).")
    elif kind == NUMERIC and not _INTEGER.fullmatch(c.value):
        raise query_error(f"`{c.field}` is a numeric field: `{c.value}` is not an integer.")
    elif kind == BOOLEAN and c.value.lower() not in ("true", "false"):
        raise query_error(f"`{c.field}` is a boolean field: use `{c.field}:\"true\"` or "
                          f"`{c.field}:\"false\"`.")


def _operator_error(c: Clause, kind: str) -> InvalidRequest:
    allowed = {NUMERIC: "`:`, `>`, `>=`, `<` and `<=`", SUBSTRING: "`:` and `~`"}
    return query_error(f"The `{c.op}` operator is not supported on `{c.field}` (a {kind} "
                       f"field): it takes {allowed.get(kind, '`:` only')}.")


def compile_query(text: str, resource: str) -> Callable[[Mapping[str, Any]], bool]:
    """Parse and check `text` for `resource`: a predicate over rendered objects."""
    query = parse(text)
    check(query, resource)
    combine = any if query.any_of else all
    return lambda obj: combine(matches(c, obj) for c in query.clauses)


# -- matching ------------------------------------------------------------------------------
def lookup(obj: Mapping[str, Any], c: Clause) -> Any:
    """The value a clause reads: a dotted path, or one metadata key."""
    if c.key is not None:
        return (obj.get("metadata") or {}).get(c.key)
    value: Any = obj
    for part in c.field.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def matches(c: Clause, obj: Mapping[str, Any]) -> bool:
    """Whether one (checked) clause holds for a rendered object."""
    return _holds(c, lookup(obj, c)) != c.negated


def _holds(c: Clause, actual: Any) -> bool:
    if c.value is None:
        return actual is None or actual == ""
    if actual is None:
        return False
    if c.op == "~":
        return c.value.lower() in str(actual).lower()
    if c.op in _COMPARATORS:
        if isinstance(actual, bool) or not isinstance(actual, int):
            return False
        wanted = int(c.value)
        return {">": actual > wanted, ">=": actual >= wanted, "<": actual < wanted,
                "<=": actual <= wanted}[c.op]
    if isinstance(actual, bool):
        return actual == (c.value.lower() == "true")
    return _text(actual) == c.value.lower()


def _text(value: Any) -> str:
    return str(value).lower()
