"""Applying a plan to an HTTP exchange: latency, gateway-shaped errors, network faults.

This is the only part of the scenario engine that sees aiohttp. It runs as a root
middleware inside the journal middleware, so the journal records each request's
latency with the injected part included, and the effect applied.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Awaitable, Callable

from aiohttp import web
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.overrides import Client
from paylab.simulator.core.rand import bind_tenant, unbind_tenant
from paylab.simulator.request_keys import CLIENT, OUTCOME
from paylab.simulator.scenarios.effects import Plan
from paylab.simulator.scenarios.engine import ScenarioEngine
from paylab.simulator.scenarios.facts import Facts

EFFECT_HEADER = "Paylab-Effect"
FactsReader = Callable[[web.Request, Domain], Awaitable[Facts]]
FaultRenderer = Callable[[web.Request, int, str | None], web.Response]


def _drop(request: web.Request, *, reset: bool) -> None:
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if reset and sock is not None:  # RST instead of FIN: the client sees "connection reset"
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort() if reset else transport.close()


async def _connection_fault(request: web.Request, fault: str, seconds: float) -> web.Response:
    """reset, empty_reply or hang: the client never gets an answer."""
    request["paylab.fault"] = fault
    if fault == "hang":
        await asyncio.sleep(seconds)
    _drop(request, reset=fault == "reset")
    return web.Response(status=504)  # never reaches the client; aiohttp discards it


async def _body_fault(request: web.Request, response: web.Response, fault: str,
                      seconds: float) -> web.StreamResponse:
    """truncate, malformed, slow_drip or wrong_content_type on a real answer."""
    body = response.body if isinstance(response.body, bytes) else b""
    headers = {k: v for k, v in response.headers.items()
               if k.lower() not in ("content-length", "content-type")}
    if fault == "wrong_content_type":
        return web.Response(status=response.status, body=body, headers=headers,
                            content_type="text/html")
    if fault == "malformed":
        broken = body[: max(1, len(body) // 2)] + b'\x00<!-- upstream error -->{"'
        return web.Response(status=response.status, body=broken, headers=headers,
                            content_type="application/json")
    stream = web.StreamResponse(status=response.status, headers={
        **headers, "Content-Type": response.content_type or "application/json",
        "Content-Length": str(len(body))})
    await stream.prepare(request)
    if fault == "truncate":
        await stream.write(body[: len(body) // 2])
        request["paylab.fault"] = fault
        _drop(request, reset=True)
        return stream
    size = max(1, -(-len(body) // 20))  # slow_drip: the whole body in ~20 pieces
    pieces = [body[start:start + size] for start in range(0, len(body), size)]
    for piece in pieces:
        await stream.write(piece)
        await asyncio.sleep(seconds / len(pieces))
    await stream.write_eof()
    return stream


def scenario_middleware(engine: ScenarioEngine, domain: Domain,
                        gateways: dict[str, tuple[FactsReader, FaultRenderer]]
                        ) -> web.Middleware:
    """Evaluate the active scenario for each gateway request and apply its plan. Also
    binds the request's seeded draws to its tenant (core/rand.py), so a tenant's ids are
    the same whichever worker process serves it."""

    @web.middleware
    async def apply(request: web.Request, handler: web.Handler) -> web.StreamResponse:
        token = bind_tenant(lambda: request.get("paylab.tenant"))
        try:
            return await evaluate(request, handler)
        finally:
            unbind_tenant(token)

    async def evaluate(request: web.Request, handler: web.Handler) -> web.StreamResponse:
        if engine.idle:  # also takes other workers' changes (clock, keys, scenarios)
            return await handler(request)
        entry = gateways.get("/" + request.path.split("/", 2)[1])
        if entry is None:
            return await handler(request)
        read_facts, render_fault = entry
        arrived = asyncio.get_running_loop().time()
        facts = await read_facts(request, domain)
        request["paylab.tenant"] = facts.tenant  # journaled even when a fault pre-empts auth
        plan = engine.evaluate(facts)
        request[CLIENT] = Client(facts.ip, facts.country, facts.device, facts.gateway,
                                 facts.run, facts.card)
        if plan is None:
            return await handler(request)
        request["paylab.effect"] = plan.describe()
        if plan.latency_ms:
            # Let the other requests that came in with this one take their arrival
            # time too before any of them does its work, so the latency of the last
            # in a burst is not counted from when the first finished.
            await asyncio.sleep(0)
        return await _apply(request, handler, plan, render_fault,
                            answer_at=arrived + plan.latency_ms / 1000)

    return apply


async def _until(moment: float) -> None:
    delay = moment - asyncio.get_running_loop().time()
    if delay > 0:
        await asyncio.sleep(delay)  # only this request waits


async def _apply(request: web.Request, handler: web.Handler, plan: Plan,
                 render_fault: FaultRenderer, *, answer_at: float) -> web.StreamResponse:
    """Apply `plan`: injected latency means the answer leaves `answer_at` (arrival plus
    the latency), with the gateway's own work done inside that time, as a slow gateway
    behaves: a client that gives up early may still have paid. A request refused or lost
    *before* it reaches the gateway does no work at all."""
    network, error = plan.network or {}, plan.error or {}
    connection = network.get("fault") in ("reset", "empty_reply", "hang")
    if connection and network.get("when", "after") == "before":
        await _until(answer_at)
        return await _connection_fault(request, network["fault"], network.get("seconds", 30))
    if error and error.get("when", "before") == "before":
        await _until(answer_at)
        return _fault(request, render_fault, error, plan)
    if plan.outcome is not None:
        request[OUTCOME] = plan.outcome
    redirect: web.HTTPException | None = None
    try:
        response: web.StreamResponse = await handler(request)
    except web.HTTPException as exc:  # hosted pages answer a POST with a redirect
        response = redirect = exc
    await _until(answer_at)
    if error:
        return _fault(request, render_fault, error, plan)
    if connection:
        return await _connection_fault(request, network["fault"], network.get("seconds", 30))
    response.headers[EFFECT_HEADER] = plan.describe()
    if redirect is not None:
        raise redirect
    if network and isinstance(response, web.Response):
        return await _body_fault(request, response, network["fault"], network.get("seconds", 5))
    return response


def _fault(request: web.Request, render: FaultRenderer, error: dict, plan: Plan
           ) -> web.Response:
    response = render(request, error["status"], error.get("message"))
    if "retry_after" in error:
        response.headers["Retry-After"] = str(error["retry_after"])
    response.headers[EFFECT_HEADER] = plan.describe()
    return response
