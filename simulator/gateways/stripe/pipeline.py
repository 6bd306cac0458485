"""Stripe's parametrisation of the kit pipeline (simulator.gateways.kit.pipeline): its
wire format (Bearer keys, form bodies, JSON answers and error envelope) and the context
its handlers share."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from paylab.simulator.contracts import Contracts, Problem
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import CoreError, InvalidRequest
from paylab.simulator.gateways.kit import pipeline as kit
from paylab.simulator.gateways.kit.pipeline import Call, Handler
from paylab.simulator.gateways.spec import Operation
from paylab.simulator.gateways.stripe import form, versions, wire
from paylab.simulator.gateways.stripe import vocabulary as words
from paylab.simulator.gateways.stripe.facts import FACT_HEADERS
from paylab.simulator.gateways.stripe.render import _EXPANDABLE, Renderer, targets
from paylab.simulator.headers import BadHeader, header
from paylab.simulator.middlewares import IDEMPOTENCY_HEADER, RUN_HEADER

log = logging.getLogger("paylab.stripe")

#: Every header a Stripe request is read for, besides Authorization: by the pipeline, the
#: journal and the scenario facts.
READ_HEADERS = tuple(dict.fromkeys((IDEMPOTENCY_HEADER, RUN_HEADER, *FACT_HEADERS)))


@dataclass
class StripeContext:
    """Everything Stripe handlers need, built once per app."""

    domain: Domain
    contracts: Contracts
    renderer: Renderer

    def out(self, kind: str, doc: dict[str, Any], call: Call) -> dict[str, Any]:
        """Render one object with the call's `expand` paths (nested ones too)."""
        check_expand(words.OBJECT.get(kind, kind), call.expand)
        return self.renderer.render(kind, doc, call.tenant, call.expand,
                                    fresh=self.domain.balance.fresh)

    def listing(self, kind: str, page: tuple[list[dict[str, Any]], bool], url: str,
                call: Call) -> dict[str, Any]:
        """Render a page of objects; `data.` expand paths apply to each item."""
        check_expand("list:" + words.OBJECT.get(kind, kind), call.expand)
        expand = [p.removeprefix("data.") for p in call.expand]
        docs, has_more = page
        items = [self.renderer.render(kind, d, call.tenant, expand,
                                      fresh=self.domain.balance.fresh) for d in docs]
        return self.renderer.listing(items, has_more, url)


#: Stripe expands at most this many levels (a list's `data.` counts as one).
MAX_EXPAND_DEPTH = 4


def check_expand(kind: str, paths: list[str]) -> None:
    """Refuse expand paths the object does not support, as Stripe does: deeper than four
    levels, or with a field that is not expandable on the object it lands on (`kind`: a
    Stripe object name, or "list:<object>" for a list of them)."""
    for path in paths:
        fields = path.split(".")
        if len(fields) > MAX_EXPAND_DEPTH:
            raise InvalidRequest(
                "property_expansion_max_depth",
                f"You cannot expand more than {MAX_EXPAND_DEPTH} levels of a property. "
                f"Property: {path}", param="expand")
        if not _expandable((kind,), fields):
            raise InvalidRequest(
                "parameter_invalid_string", f"This property cannot be expanded ({path}).",
                param="expand",
            )


def expanding(op: Operation) -> Operation:
    """`op` with its `expand` paths checked before its handler runs when it changes
    something (a refused path must leave nothing behind); reads check them on render."""
    name = (op.response or "").partition("#")[0]
    kind, handler = name.removeprefix("stripe/"), op.handler
    if op.method == "GET" or not name.startswith("stripe/") or kind not in _EXPANDABLE:
        return op  # reads, lists, and objects whose handlers do not expand (as before)

    def checked(ctx: StripeContext, call: Call) -> Any:
        check_expand(kind, call.expand)
        return handler(ctx, call)

    return dataclasses.replace(op, handler=checked)


def _expandable(kinds: tuple[str, ...], fields: list[str]) -> bool:
    """Whether the path `fields` expands on one of `kinds` (a balance transaction's
    source may be a charge or a refund); a list's `data` alone expands nothing."""
    head, rest = fields[0], fields[1:]
    for kind in kinds:
        found = targets(kind, head)
        if found and (_expandable(found, rest) if rest
                      else not kind.startswith("list:")):
            return True
    return False


def paging(params: Mapping[str, Any]) -> dict[str, Any]:
    """List parameters in the core's terms."""
    created = params.get("created")
    if isinstance(created, int):
        created = {"gte": created, "lte": created}
    return {
        "limit": params.get("limit", 10),
        "starting_after": params.get("starting_after"),
        "ending_before": params.get("ending_before"),
        "created": created,
    }


def json_response(status: int, body: bytes, request_id: str,
                  extra: Mapping[str, str] | None = None) -> web.Response:
    """A Stripe JSON response with its request id (and the latest API version, which the
    gateway's version middleware replaces with the one the request was served)."""
    headers = {"Request-Id": request_id, "Stripe-Version": versions.LATEST}
    if extra:
        headers.update(extra)
    return web.Response(status=status, body=body, content_type="application/json",
                        headers=headers)


class StripeWire:
    """Stripe's side of the kit pipeline: Bearer keys, form bodies, JSON answers."""

    def __init__(self, ctx: StripeContext) -> None:
        self.ctx = ctx

    def request_id(self, domain: Domain) -> str:
        """`req_` and 14 characters from the seeded stream."""
        return "req_" + domain.rand.request_token(14)

    async def authenticate(self, request: web.Request, domain: Domain) -> str:
        """The tenant of the request's test-mode secret key."""
        return wire.authenticate(_header(request, "Authorization"), domain.revoked)

    async def read(self, request: web.Request) -> list[tuple[str, str]]:
        """The form pairs (the query string of a GET or DELETE), once the request's
        `Stripe-Account` (refused: no connected accounts) and `Stripe-Version` (kept on
        the request for the version middleware) passed."""
        # every header read on the way (journal, scenario facts) must be text before
        # anything runs, so a bad one is refused here rather than failing afterwards
        for name in READ_HEADERS:
            _header(request, name)
        account = _header(request, "Stripe-Account")
        if account:
            raise wire.account_refused(_header(request, "Authorization"), account)
        request[versions.REQUEST_KEY] = wire.api_version(_header(request, "Stripe-Version"))
        return await _pairs(request)

    def idempotency_key(self, request: web.Request) -> str | None:
        """The `Idempotency-Key` header."""
        return _header(request, "Idempotency-Key")

    def decode(self, pairs: list[tuple[str, str]]) -> dict[str, Any]:
        """Bracket notation to nested parameters."""
        return form.decode(pairs)

    def violation(self, problem: Problem) -> CoreError:
        """A contract problem in Stripe's parameter-error wording."""
        return wire.violation(problem)

    def success(self, result: Any) -> tuple[int, bytes]:
        """The rendered object as Stripe's indented JSON."""
        return 200, wire.dumps(result)

    def failure(self, error: CoreError, tenant: str | None) -> tuple[int, bytes]:
        """Stripe's error envelope."""
        status, body = wire.error_body(error, self.ctx.renderer, tenant)
        return status, wire.dumps(body)

    def crash(self) -> tuple[int, bytes]:
        """An `api_error` pointing at the simulator's log."""
        return 500, wire.dumps(wire.envelope(
            "api_error", "An unexpected error occurred in the simulator (see its log).",
            "internal_error"))

    def respond(self, status: int, body: bytes, request_id: str,
                extra: Mapping[str, str] | None = None) -> web.Response:
        """A JSON response with Stripe's headers."""
        return json_response(status, body, request_id, extra)

    def refused(self, error: CoreError, tenant: str | None, request_id: str) -> web.Response:
        """The error envelope; a storage refusal says the request may be retried."""
        status, body = self.failure(error, tenant)
        extra = {"Stripe-Should-Retry": "true"} if error.kind == "storage_unavailable" else None
        return json_response(status, body, request_id, extra)

    def replayed(self, status: int, body: bytes, request_id: str, key: str) -> web.Response:
        """The saved answer, marked as a replay."""
        return json_response(status, body, request_id,
                             {"Idempotent-Replayed": "true", "Idempotency-Key": key})


def endpoint(op: Operation, ctx: StripeContext) -> Handler:
    """Wrap a thin Stripe handler in the kit pipeline."""
    return kit.endpoint(expanding(op), StripeWire(ctx), ctx, ctx.domain, ctx.contracts)


def _header(request: web.Request, name: str) -> str | None:
    try:
        return header(request.headers, name)
    except BadHeader as exc:
        raise wire.bad_header(exc.name) from exc


async def _pairs(request: web.Request) -> list[tuple[str, str]]:
    if request.method in ("GET", "DELETE"):
        return form.parse_pairs(request.query_string)
    body = await request.read()
    if body and request.content_type == "application/json":
        raise InvalidRequest(
            "parameter_invalid_string",
            "Invalid request: this API takes application/x-www-form-urlencoded bodies "
            "(as the Stripe libraries send them), not application/json.",
        )
    return form.parse_pairs(body)
