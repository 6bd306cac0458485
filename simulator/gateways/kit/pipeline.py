"""The one request pipeline every gateway operation runs through (as stripe-mock's
HandleRequest): authenticate, read, claim the idempotency key, decode, validate against the
operation's contract, run the thin handler, render, save for replays, commit, respond.

A gateway parametrises it with a `WireFormat`: how its requests are read and its answers
and errors written. The order of the steps is fixed here, so every gateway refuses a bad
credential before a bad body, and never runs a handler behind a refused request.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web
from paylab.simulator.contracts import Contracts, Problem, contract_id
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import CoreError, StorageUnavailable
from paylab.simulator.core.idempotency import fingerprint
from paylab.simulator.core.origin import Origin
from paylab.simulator.core.overrides import Client
from paylab.simulator.gateways.spec import Operation
from paylab.simulator.request_keys import CLIENT, OUTCOME

log = logging.getLogger("paylab.gateways")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Reply:
    """An answer before it becomes a response: status, body bytes and extra headers."""

    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


class WireFormat(Protocol):
    """A gateway's way of reading requests and writing answers (its error builder too)."""

    def request_id(self, domain: Domain) -> str:
        """A fresh id for this request (journal, events, the answer's headers)."""
        ...

    async def authenticate(self, request: web.Request, domain: Domain) -> str:
        """The tenant behind the request's credential; raises `CoreError` if none."""
        ...

    async def read(self, request: web.Request) -> list[tuple[str, str]]:
        """The request's parameters as ordered pairs; raises `CoreError` if unreadable."""
        ...

    def idempotency_key(self, request: web.Request) -> str | None:
        """The request's idempotency key, if this gateway has them."""
        ...

    def decode(self, pairs: list[tuple[str, str]]) -> dict[str, Any]:
        """Pairs to the nested parameters the contracts describe."""
        ...

    def violation(self, problem: Problem) -> CoreError:
        """A contract violation, phrased as this gateway phrases bad input."""
        ...

    def success(self, result: Any) -> tuple[int, bytes]:
        """A handler's result as this gateway's answer."""
        ...

    def failure(self, error: CoreError, tenant: str | None) -> tuple[int, bytes]:
        """A core error as this gateway's error answer."""
        ...

    def crash(self) -> tuple[int, bytes]:
        """The answer to a bug in the simulator (logged; never a bare 500 page)."""
        ...

    def respond(self, status: int, body: bytes, request_id: str,
                extra: Mapping[str, str] | None = None) -> web.Response:
        """The HTTP response: content type, the request id header and `extra`."""
        ...

    def refused(self, error: CoreError, tenant: str | None, request_id: str) -> web.Response:
        """A request refused before its handler ran (nothing was saved or changed)."""
        ...

    def replayed(self, status: int, body: bytes, request_id: str, key: str) -> web.Response:
        """The saved answer of an earlier request with the same idempotency key."""
        ...


class PlainRefusals:
    """`refused` and `replayed` for a wire format whose refusals are its failures as they
    are and which has no idempotency keys (a saved answer is never replayed, but if it
    were, it would be sent as it was). A gateway with more to say overrides them."""

    def respond(self, status: int, body: bytes, request_id: str,
                extra: Mapping[str, str] | None = None) -> web.Response:
        raise NotImplementedError

    def failure(self, error: CoreError, tenant: str | None) -> tuple[int, bytes]:
        raise NotImplementedError

    def refused(self, error: CoreError, tenant: str | None, request_id: str) -> web.Response:
        """The refusal in the gateway's shape; nothing changed."""
        return self.respond(*self.failure(error, tenant), request_id)

    def replayed(self, status: int, body: bytes, request_id: str, key: str) -> web.Response:
        """The saved answer, as it was."""
        return self.respond(status, body, request_id)


@dataclass(frozen=True)
class Call:
    """A validated request as a handler sees it: whose, what, and where it came from."""

    tenant: str
    params: dict[str, Any]
    path: Mapping[str, str]
    origin: Origin = field(default_factory=Origin)

    @property
    def expand(self) -> list[str]:
        """The `expand` paths asked for (gateways without expansion never send one)."""
        return list(self.params.get("expand") or ())


def origin_of(request: web.Request, request_id: str | None = None,
              key: str | None = None) -> Origin:
    """The core's view of where this request came from (a browser page's requests carry
    no API request id)."""
    return Origin(request_id=request_id, idempotency_key=key,
                  client=request.get(CLIENT) or Client(), override=request.get(OUTCOME))


def endpoint(op: Operation, wire: WireFormat, ctx: Any, domain: Domain,
             contracts: Contracts) -> Handler:
    """Wrap a thin handler `op.handler(ctx, call)` in the pipeline."""
    contract = contract_id(op.request or op.query) if (op.request or op.query) else None

    async def handle(request: web.Request) -> web.StreamResponse:
        request_id = wire.request_id(domain)
        request["paylab.request_id"] = request_id
        try:
            tenant = await wire.authenticate(request, domain)
        except CoreError as exc:
            return wire.refused(exc, None, request_id)
        request["paylab.tenant"] = tenant
        domain.tenants.seen(tenant)  # the control API may name it from now on
        try:
            pairs = await wire.read(request)
        except CoreError as exc:
            return wire.refused(exc, tenant, request_id)

        key = wire.idempotency_key(request) if request.method == "POST" else None
        claimed = False
        if key is not None:
            request["paylab.idempotency_key"] = key
            where = f"{request.method} {request.path}"
            try:
                replay = domain.idempotency.begin(tenant, key, where, fingerprint(where, pairs))
            except CoreError as exc:
                return wire.refused(exc, tenant, request_id)
            if replay is not None:
                return wire.replayed(replay.status, replay.body, request_id, key)
            claimed = True

        try:
            params = wire.decode(pairs)
            if contract is not None:
                params = contracts.coerce(contract, params)
                problem = contracts.problem(contract, params)
                if problem is not None:
                    raise wire.violation(problem)
        except CoreError as exc:
            if claimed:  # failed before executing: nothing is saved, the key may be retried
                domain.idempotency.forget(tenant, key)
            return wire.refused(exc, tenant, request_id)

        origin = origin_of(request, request_id, key)
        try:
            status, payload = wire.success(op.handler(ctx, Call(tenant, params,
                                                                request.match_info, origin)))
        except CoreError as exc:
            status, payload = wire.failure(exc, tenant)
        except Exception:
            log.exception("unhandled error in %s %s", request.method, request.path)
            status, payload = wire.crash()
        if claimed:
            domain.idempotency.finish(tenant, key, status, payload)
        try:
            await domain.store.durable()
        except StorageUnavailable as exc:
            return wire.refused(exc, tenant, request_id)
        extra = {"Idempotency-Key": key} if key is not None else None
        return wire.respond(status, payload, request_id, extra)

    handle.__name__ = op.operation_id
    return handle


def routes(operations: tuple[Operation, ...], wire: WireFormat, ctx: Any, domain: Domain,
           contracts: Contracts) -> list[web.RouteDef]:
    """One route per operation, each through the pipeline."""
    return [web.route(op.method, op.path, endpoint(op, wire, ctx, domain, contracts))
            for op in operations]
