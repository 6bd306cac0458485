"""The one request pipeline every Stripe operation runs through (as stripe-mock's
HandleRequest): authenticate, parse, claim the idempotency key, validate against the
operation's contract, run the thin handler, render, save for replays, commit, respond.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web
from paylab.simulator.contracts import Contracts, contract_id
from paylab.simulator.core import events as core_events
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import CoreError, InvalidRequest, StorageUnavailable
from paylab.simulator.core.idempotency import fingerprint
from paylab.simulator.gateways.spec import Operation
from paylab.simulator.gateways.stripe import form, wire
from paylab.simulator.gateways.stripe.facts import FACT_HEADERS
from paylab.simulator.gateways.stripe.render import _EXPANDABLE, Renderer
from paylab.simulator.headers import BadHeader, header
from paylab.simulator.middlewares import IDEMPOTENCY_HEADER, RUN_HEADER

log = logging.getLogger("paylab.stripe")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
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
        """Render one object with the call's `expand` paths."""
        check_expand(kind, call.expand)
        return self.renderer.render(kind, doc, call.tenant, call.expand)

    def listing(self, kind: str, page: tuple[list[dict[str, Any]], bool], url: str,
                call: Call) -> dict[str, Any]:
        """Render a page of objects; `data.` expand paths apply to each item."""
        check_expand("list", [p for p in call.expand if not p.startswith("data.")])
        expand = [p.removeprefix("data.") for p in call.expand]
        check_expand(kind, expand)
        docs, has_more = page
        items = [self.renderer.render(kind, d, call.tenant, expand) for d in docs]
        return self.renderer.listing(items, has_more, url)


@dataclass(frozen=True)
class Call:
    """A validated request as a handler sees it."""

    tenant: str
    params: dict[str, Any]
    path: Mapping[str, str]

    @property
    def expand(self) -> list[str]:
        """The `expand` paths asked for."""
        return list(self.params.get("expand") or ())


def check_expand(kind: str, paths: list[str]) -> None:
    """Refuse expand paths the object does not support, as Stripe does."""
    for path in paths:
        if path.partition(".")[0] not in _EXPANDABLE.get(kind, {}):
            raise InvalidRequest(
                "parameter_invalid_string", f"This property cannot be expanded ({path}).",
                param="expand",
            )


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
    """A Stripe JSON response with its request id."""
    headers = {"Request-Id": request_id, "Stripe-Version": "2026-10-28.endive"}
    if extra:
        headers.update(extra)
    return web.Response(status=status, body=body, content_type="application/json",
                        headers=headers)


def endpoint(op: Operation, ctx: StripeContext) -> Handler:
    """Wrap a thin handler in the Stripe pipeline."""
    contract = contract_id(op.request or op.query) if (op.request or op.query) else None

    async def handle(request: web.Request) -> web.StreamResponse:
        domain = ctx.domain
        request_id = "req_" + domain.rand.token(14)
        request["paylab.request_id"] = request_id
        try:
            tenant = wire.authenticate(_header(request, "Authorization"), domain.revoked)
        except CoreError as exc:
            return _error(ctx, exc, None, request_id)
        request["paylab.tenant"] = tenant
        domain.tenants.seen(tenant)  # the control API may name it from now on
        try:
            # every header read on the way (journal, scenario facts) must be text before
            # anything runs, so a bad one is refused here rather than failing afterwards
            for name in READ_HEADERS:
                _header(request, name)
            pairs = await _pairs(request)
        except CoreError as exc:
            return _error(ctx, exc, tenant, request_id)

        key = _header(request, "Idempotency-Key") if request.method == "POST" else None
        claimed = False
        if key is not None:
            request["paylab.idempotency_key"] = key
            where = f"{request.method} {request.path}"
            try:
                replay = domain.idempotency.begin(tenant, key, where, fingerprint(where, pairs))
            except CoreError as exc:
                return _error(ctx, exc, tenant, request_id)
            if replay is not None:
                return json_response(replay.status, replay.body, request_id,
                                     {"Idempotent-Replayed": "true", "Idempotency-Key": key})
            claimed = True

        try:
            params = form.decode(pairs)
            if contract is not None:
                params = ctx.contracts.coerce(contract, params)
                problem = ctx.contracts.problem(contract, params)
                if problem is not None:
                    raise wire.violation(problem)
        except CoreError as exc:
            if claimed:  # failed before executing: nothing is saved, the key may be retried
                domain.idempotency.forget(tenant, key)
            return _error(ctx, exc, tenant, request_id)

        token = core_events.current_request.set({"id": request_id, "idempotency_key": key})
        try:
            status, body = 200, op.handler(ctx, Call(tenant, params, request.match_info))
        except CoreError as exc:
            status, body = wire.error_body(exc, ctx.renderer, tenant)
        except Exception:
            log.exception("unhandled error in %s %s", request.method, request.path)
            status, body = 500, {"error": {
                "type": "api_error", "code": "internal_error",
                "message": "An unexpected error occurred in the simulator (see its log).",
            }}
        finally:
            core_events.current_request.reset(token)
        payload = orjson.dumps(body)
        if claimed:
            domain.idempotency.finish(tenant, key, status, payload)
        try:
            await domain.store.durable()
        except StorageUnavailable as exc:
            return _error(ctx, exc, tenant, request_id)
        extra = {"Idempotency-Key": key} if key is not None else None
        return json_response(status, payload, request_id, extra)

    handle.__name__ = op.operation_id
    return handle


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


def _error(ctx: StripeContext, exc: CoreError, tenant: str | None,
           request_id: str) -> web.Response:
    status, body = wire.error_body(exc, ctx.renderer, tenant)
    extra = {"Stripe-Should-Retry": "true"} if exc.kind == "storage_unavailable" else None
    return json_response(status, orjson.dumps(body), request_id, extra)
