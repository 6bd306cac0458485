"""The guard around every gateway's sub-application: unrouted paths, bad methods, oversized
or malformed requests, storage refusals and crashes, answered in the gateway's own shape
(never aiohttp's plain text, never a bare 500).

A gateway gives one function, `answer(request, failure, status, detail)`, that renders a
failure its way: `unrouted` (no such path or method; detail: `METHOD /path`), `refused`
(aiohttp refused the request: too large, malformed; detail: its reason), `unavailable`
(storage refused a write; detail: why) or `crashed` (a bug; detail empty, the traceback
goes to the log)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Literal

from aiohttp import web
from paylab.simulator.core.errors import StorageUnavailable

Failure = Literal["unrouted", "refused", "unavailable", "crashed"]
Answer = Callable[[web.Request, Failure, int, str], web.StreamResponse]


def guard(answer: Answer, log: logging.Logger) -> web.Middleware:
    """An aiohttp middleware turning every failure below it into `answer`'s response."""

    @web.middleware
    async def gateway_errors(request: web.Request,
                             handler: web.Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPRedirection:
            raise
        except (web.HTTPNotFound, web.HTTPMethodNotAllowed) as exc:
            return answer(request, "unrouted", exc.status, f"{request.method} {request.path}")
        except web.HTTPException as exc:
            return answer(request, "refused", exc.status, exc.reason)
        except StorageUnavailable as exc:
            return answer(request, "unavailable", 503, exc.message)
        except Exception:
            log.exception("unhandled error in %s %s", request.method, request.path)
            return answer(request, "crashed", 500, "")

    return gateway_errors
