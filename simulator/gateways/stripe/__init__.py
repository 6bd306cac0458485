"""Stripe-compatible card gateway, mounted at /stripe (so `/stripe/v1/...`)."""

from __future__ import annotations

import logging
from pathlib import Path

import orjson
from aiohttp import web
from paylab.simulator.contracts import Contracts
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import StorageUnavailable
from paylab.simulator.gateways.spec import Gateway
from paylab.simulator.gateways.stripe import challenge, hosted, versions
from paylab.simulator.gateways.stripe.facts import facts
from paylab.simulator.gateways.stripe.notify import StripeNotifier
from paylab.simulator.gateways.stripe.pipeline import StripeContext, endpoint, json_response
from paylab.simulator.gateways.stripe.render import Renderer
from paylab.simulator.gateways.stripe.routes import OPERATIONS
from paylab.simulator.gateways.stripe.vocabulary import event_type
from paylab.simulator.gateways.stripe.wire import dumps, envelope, injected_error, tenant_for_key

log = logging.getLogger("paylab.stripe")

#: Stripe's default fee schedule (its published standard US pricing), offered to the core.
FEE_SCHEDULE = Path(__file__).resolve().parent / "fees.yaml"

CONTEXT = web.AppKey("stripe_context", StripeContext)


def _error(status: int, error_type: str, message: str, code: str | None = None) -> web.Response:
    return json_response(status, dumps(envelope(error_type, message, code)), "req_unrouted")


def stripe_versions(ctx: StripeContext) -> web.Middleware:
    """Every JSON answer in the shape of the API version its request was served (read and
    checked by the pipeline; the latest when none was asked for or the request was refused
    before), which the `Stripe-Version` header echoes."""

    @web.middleware
    async def shape(request: web.Request, handler: web.Handler) -> web.StreamResponse:
        response = await handler(request)
        if "Stripe-Version" not in response.headers:  # a hosted page, not an API answer
            return response
        version = request.get(versions.REQUEST_KEY) or versions.LATEST
        response.headers["Stripe-Version"] = version
        body = getattr(response, "body", None)
        if version != versions.LATEST and isinstance(body, bytes) and body:
            related = versions.related(ctx.renderer, request.get("paylab.tenant"))
            try:
                response.body = dumps(versions.reshape(orjson.loads(body), version, related))
            except Exception:  # the answer stands in the latest shape rather than a 500
                log.exception("reshaping for API version %s failed: %s %s", version,
                              request.method, request.path)
        return response

    return shape


@web.middleware
async def stripe_errors(request: web.Request, handler: web.Handler) -> web.StreamResponse:
    """Unrouted paths, bad methods, oversized bodies and crashes in Stripe's error shape."""
    try:
        return await handler(request)
    except web.HTTPRedirection:
        raise
    except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
        path = request.path.removeprefix("/stripe")
        return _error(404, "invalid_request_error",
                      f"Unrecognized request URL ({request.method}: {path}). Please see "
                      "https://stripe.com/docs or we can help at https://support.stripe.com/.")
    except web.HTTPRequestEntityTooLarge:
        return _error(413, "invalid_request_error", "Request body too large.",
                      "request_too_large")
    except web.HTTPException as exc:
        return _error(exc.status, "invalid_request_error", exc.reason)
    except StorageUnavailable as exc:
        response = _error(503, "api_error", exc.message, "storage_unavailable")
        response.headers["Stripe-Should-Retry"] = "true"
        return response
    except Exception:
        log.exception("unhandled error in %s %s", request.method, request.path)
        return _error(500, "api_error", "An unexpected error occurred in the simulator.",
                      "internal_error")


def fault(request: web.Request, status: int, message: str | None) -> web.Response:
    """A scenario's injected 429 or 5xx, as Stripe sends them."""
    return json_response(status, dumps(injected_error(status, message)), "req_injected")


def build(domain: Domain, contracts: Contracts, public_url: str) -> web.Application:
    """The /stripe sub-application."""
    ctx = StripeContext(domain, contracts, Renderer(domain.objects, public_url))
    app = web.Application(middlewares=[stripe_versions(ctx), stripe_errors],
                          client_max_size=1024**2)
    app[CONTEXT] = ctx
    app.add_routes([web.route(op.method, op.path, endpoint(op, ctx)) for op in OPERATIONS])
    app.add_routes(challenge.routes(ctx))
    app.add_routes(hosted.routes(ctx))
    return app


def notifier(domain: Domain, public_url: str) -> StripeNotifier:
    """Webhook rendering for the dispatcher."""
    return StripeNotifier(Renderer(domain.objects, public_url))


GATEWAY = Gateway(
    name="stripe",
    prefix="/stripe",
    title="Stripe-compatible card gateway",
    build=build,
    notifier=notifier,
    operations=OPERATIONS,
    error_contract="stripe/error",
    security_scheme={"type": "http", "scheme": "bearer",
                     "description": "Any sk_test_... key; each key is its own tenant."},
    tenant_of=lambda key: tenant_for_key(key) if key.startswith(("sk_test_", "rk_test_")) else None,
    facts=facts,
    fault=fault,
    fee_schedule=FEE_SCHEDULE,
    refusal=lambda status, code, message: _error(status, "invalid_request_error", message, code),
    event_name=event_type,
)
