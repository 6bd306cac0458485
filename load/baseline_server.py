"""The ceiling for benchmarks: a trivial aiohttp JSON handler, served like the simulator
(same aiohttp, same uvloop), so the ratio between them is the simulator's own cost."""

from __future__ import annotations

import argparse
import asyncio

from aiohttp import web


async def handle(request: web.Request) -> web.Response:
    """Read the body and answer a small JSON object, as a gateway call would."""
    await request.read()
    if request.path == "/sleep50":  # the floor for injected latency: a bare asyncio.sleep
        await asyncio.sleep(0.050)
    return web.json_response({"id": "pi_baseline", "object": "payment_intent", "ok": True})


async def serve(port: int) -> None:
    """Serve until cancelled."""
    app = web.Application()
    app.router.add_post("/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, backlog=1024).start()
    print(f"baseline listening on 127.0.0.1:{port}", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    """`python -m load.baseline_server --port N`"""
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(serve(args.port))


if __name__ == "__main__":
    main()
