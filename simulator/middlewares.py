"""Root middlewares: the request journal."""

from __future__ import annotations

import logging
import time

from aiohttp import web
from paylab.simulator.core.errors import StorageUnavailable
from paylab.simulator.core.journal import Entry, Journal
from paylab.simulator.headers import recorded_header
from paylab.simulator.journal_bodies import JournalBodies, masked_body
from paylab.simulator.metrics import Metrics

log = logging.getLogger("paylab.journal")

RUN_HEADER = "X-Paylab-Run"
IDEMPOTENCY_HEADER = "Idempotency-Key"
#: Scenario faults after which the client got no HTTP answer at all (journal status 0).
NO_ANSWER = frozenset({"reset", "empty_reply", "hang"})


def journal_middleware(journal: Journal, prefixes: dict[str, str],
                       metrics: Metrics) -> web.Middleware:
    """Record every request under a gateway prefix: who, what, status, latency, effect,
    and a masked, bounded copy of the bodies for the dashboard."""
    bodies = JournalBodies(journal.store)

    @web.middleware
    async def record(request: web.Request, handler: web.Handler) -> web.StreamResponse:
        segment = "/" + request.path.split("/", 2)[1]
        gateway = prefixes.get(segment)
        if gateway is None:
            return await handler(request)
        started = time.perf_counter()
        status = 500
        response: web.StreamResponse | None = None
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            if request.get("paylab.fault") in NO_ANSWER:
                status = 0
            latency_ms = (time.perf_counter() - started) * 1000
            metrics.request(gateway, status, latency_ms, request.get("paylab.effect"),
                            method=request.method, route=_route(request, segment),
                            tenant=request.get("paylab.tenant"))
            at = time.time()
            stored = _append(journal, Entry(
                at=at,
                gateway=gateway,
                tenant=request.get("paylab.tenant"),
                method=request.method,
                path=request.path,
                status=status,
                latency_ms=latency_ms,
                request_id=request.get("paylab.request_id"),
                # as sent, bytes that are not UTF-8 escaped: the gateway refused them, and
                # the row must still be written
                run_id=recorded_header(request.headers, RUN_HEADER),
                idempotency_key=request.get("paylab.idempotency_key")
                or recorded_header(request.headers, IDEMPOTENCY_HEADER),
                effect=request.get("paylab.effect"),
            ))
            if stored:
                _keep_bodies(bodies, at, request, response if status else None)

    return record


def _route(request: web.Request, prefix: str) -> str:
    """The route template a request matched inside its gateway (`/v1/payment_intents/
    {intent}`), or `unmatched`: a label that ids and typos cannot multiply."""
    resource = request.match_info.route.resource
    if resource is None or request.match_info.http_exception is not None:
        return "unmatched"
    return resource.canonical.removeprefix(prefix) or "/"


def _append(journal: Journal, entry: Entry) -> bool:
    # The answer has been decided already; a full or read-only disk must not turn it into
    # an error. The entry is lost, and the log says so.
    try:
        journal.append(entry)
    except StorageUnavailable as exc:
        log.warning("journal entry not stored: %s", exc)
        return False
    return True


def _keep_bodies(bodies: JournalBodies, at: float, request: web.Request,
                 response: web.StreamResponse | None) -> None:
    # Only a body the handler already read is kept (aiohttp caches it): reading one here
    # would wait on the client after the answer was decided.
    sent = getattr(request, "_read_bytes", None)
    answered = getattr(response, "body", None) if response is not None else None
    try:
        bodies.add(at, masked_body(sent, request.content_type),
                   masked_body(answered if isinstance(answered, bytes) else None,
                               response.content_type if response is not None else ""))
    except Exception as exc:  # evidence only: keeping it must never change the answer
        log.warning("journal bodies not stored: %s", exc)
