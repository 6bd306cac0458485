"""The request body read timeout: a body that has not fully arrived `seconds` after its
request head gets a 408 in the mount's own error shape, and the connection is closed.

A client sending its body a byte at a time otherwise held a connection, and the handler
waiting for it, for ever. (Idle connections and slowly sent heads are ended by the
keep-alive timeout, which aiohttp counts from the connection's start or its last answer.)
Only the arrival of the body is timed, never the work: a handler whose body is complete
runs as long as it needs (injected latency included).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

from aiohttp import web

#: (status, code, message) -> an error response in one mount's shape.
Refusal = Callable[[int, str, str], web.Response]


def body_deadline_middleware(seconds: float, refusals: Mapping[str, Refusal],
                             default: Refusal) -> web.Middleware:
    """Cancel a request whose body is incomplete after `seconds` and answer 408.

    `refusals` maps a mount prefix (`/stripe`) to its error shape; others get `default`.
    """

    @web.middleware
    async def deadline(request: web.Request, handler: web.Handler) -> web.StreamResponse:
        if request.content.is_eof():  # no body, or all of it is in already
            return await handler(request)
        task = asyncio.current_task()
        assert task is not None
        expired = False

        def expire() -> None:
            nonlocal expired
            if not request.content.is_eof():
                expired = True
                task.cancel()

        timer = asyncio.get_running_loop().call_later(seconds, expire)
        try:
            return await handler(request)
        except asyncio.CancelledError:
            if not expired or task.uncancel() > 0:  # cancelled for another reason too
                raise
            return await _refuse(request, seconds, refusals, default)
        finally:
            timer.cancel()

    return deadline


async def _refuse(request: web.Request, seconds: float, refusals: Mapping[str, Refusal],
                  default: Refusal) -> web.StreamResponse:
    refusal = refusals.get("/" + request.path.split("/", 2)[1], default)
    response = refusal(408, "request_timeout",
                       f"The request body did not arrive within {seconds:g} s of its headers.")
    response.force_close()
    # Send it now and close: left to aiohttp, the connection would linger reading the rest
    # of the body (up to 10 s) for the very client that is too slow to send it.
    await response.prepare(request)
    await response.write_eof()
    if request.transport is not None:
        request.transport.close()
    return response
