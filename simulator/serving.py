"""Running `paylab serve` and `paylab up`: listen, print where everything is, stop cleanly.

Every port is checked before anything is opened or written (see simulator.ports), and
everything that was started is cleaned up however the start ends, so the aiohttp client
sessions of the webhook dispatcher and the shop's stripe client close with their apps.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web
from paylab.simulator.guards.describe import guard_lines
from paylab.simulator.logs import LogFormat, announce, runner_options
from paylab.simulator.ports import Listener, PortUnavailable, check_free
from paylab.simulator.scenarios.engine import GLOBAL, ScenarioEngine
from paylab.simulator.settings import Settings

#: Long query strings and headers (up to 2 MiB) reach the app, which answers in the
#: gateway's own error shape; aiohttp's 8 KiB default would answer a bare text/plain 400.
MAX_LINE = 2 * 1024 * 1024
SHOP_CARD_HINT = "(pay with 4242 4242 4242 4242, any future date, any CVC)"


@dataclass(frozen=True)
class ServeOptions:
    """What `paylab serve` / `paylab up` run: the simulator, and the shop for `up`."""

    settings: Settings
    shop_port: int | None = None
    access_log: bool = False
    log_format: LogFormat = "text"
    #: What chose each port, for errors: the flag, or the variable it defaulted from.
    port_source: str = "--port"
    shop_port_source: str = "--shop-port"

    @property
    def simulator_listener(self) -> Listener:
        """The simulator's address (the dashboard and control API are on it too)."""
        return Listener(self.port_source, self.settings.host, self.settings.port)

    @property
    def shop_listener(self) -> Listener | None:
        """The reference shop's address, for `paylab up`."""
        if self.shop_port is None:
            return None
        return Listener(self.shop_port_source, self.settings.host, self.shop_port)

    def listeners(self) -> list[Listener]:
        """Every address this command listens on."""
        return [each for each in (self.simulator_listener, self.shop_listener) if each]


def run(options: ServeOptions) -> None:
    """Check the ports, then serve until SIGINT or SIGTERM (on uvloop where it exists);
    with `--workers` above 1, as a supervisor of that many processes (simulator.supervisor)."""
    check_free(options.listeners())
    if options.settings.workers > 1:
        from paylab.simulator.supervisor import supervise

        supervise(options)
        return
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        runner.run(_until_signalled(options))


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop where it exists, else asyncio's."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux and macOS
        return None
    return uvloop.new_event_loop


async def _until_signalled(options: ServeOptions) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await serve(options, stop)


async def serve(options: ServeOptions, stop: asyncio.Event, *, tune_gc: bool = True) -> None:
    """Serve until `stop` is set, then clean up every app started (in reverse order).

    `tune_gc` freezes what start-up allocated; only a process that does nothing but serve
    should (tests running this in their own process do not)."""
    runners: list[web.AppRunner] = []
    try:
        lines = await _start_simulator(options, runners, tune_gc=tune_gc)
        if options.shop_port is not None:
            lines += await start_shop(options, runners)
        lines.append("Ctrl-C stops it.")
        announce(lines, options.log_format)
        await stop.wait()
        say_stopping(options.log_format)
    finally:
        for each in reversed(runners):
            await each.cleanup()


async def _start_simulator(options: ServeOptions, runners: list[web.AppRunner], *,
                           tune_gc: bool) -> list[str]:
    runner = await build_simulator(options, runners)
    if tune_gc:
        freeze_heap()
    await listen_simulator(runner, options)
    return simulator_banner(runner.app, options.settings)


async def build_simulator(options: ServeOptions, runners: list[web.AppRunner]
                          ) -> web.AppRunner:
    """The simulator's app, set up (its background work started), not listening yet."""
    from paylab.simulator.app import create_app

    settings = options.settings
    app = create_app(settings)
    runner = web.AppRunner(app, shutdown_timeout=5, max_line_size=MAX_LINE,
                           max_field_size=MAX_LINE, keepalive_timeout=settings.keepalive_timeout,
                           **runner_options(options.access_log, "simulator"))
    await runner.setup()
    runners.append(runner)
    return runner


def freeze_heap() -> None:
    """Everything allocated so far lives as long as the process: keep the collector off
    it, and collect the young generation less often (p99 under load fell from ~93 to ~78 ms
    at 128 connections with 50 ms injected latency)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


async def listen_simulator(runner: web.AppRunner, options: ServeOptions, *,
                           reuse_port: bool = False) -> None:
    """Listen on the simulator's port; `reuse_port` shares it with other worker processes."""
    from paylab.simulator.app import CONNECTIONS
    from paylab.simulator.connections import GuardedSite

    settings = options.settings
    # connections are capped below the file descriptor limit (see simulator.connections)
    await _listen(GuardedSite(runner, runner.app[CONNECTIONS], settings.host, settings.port,
                              backlog=1024, reuse_port=reuse_port), options.simulator_listener)


def simulator_banner(app: web.Application, settings: Settings) -> list[str]:
    """The start-up banner's lines about the simulator."""
    from paylab.simulator.app import ENGINE

    base = settings.base_url
    return [
        f"paylab simulator  {base}   (seed {settings.seed}, db {settings.db})",
        f"  Stripe API      {base}/stripe   e.g. StripeClient('sk_test_...', "
        f"base_addresses={{'api': '{base}/stripe'}})",
        f"  control API     {base}/_sim/health   {base}/_sim/openapi.json",
        *guard_lines(settings),
        f"  scenario        {base}/_sim/scenario   ({scenario_summary(app[ENGINE])})",
        f"  dashboard       {base}/_sim/",
    ]


async def start_shop(options: ServeOptions, runners: list[web.AppRunner]) -> list[str]:
    from paylab.shop.app import SETTINGS as SHOP_SETTINGS
    from paylab.shop.app import create_app as create_shop
    from paylab.shop.settings import ShopSettings

    settings = options.settings
    shop_settings = ShopSettings.from_env(host=settings.host, port=options.shop_port,
                                          gateway_url=settings.base_url)
    shop_app = create_shop(shop_settings)
    shop = web.AppRunner(shop_app, **runner_options(options.access_log, "shop"))
    await shop.setup()  # registers its webhook endpoint with the simulator started before
    runners.append(shop)
    listener = options.shop_listener
    assert listener is not None, "only called for `paylab up`"
    await _listen(web.TCPSite(shop, listener.host, listener.port), listener)
    return [f"reference shop    {shop_settings.base_url}   {SHOP_CARD_HINT}",
            f"  its API key     {shop_app[SHOP_SETTINGS].api_key}   (SHOP_API_KEY, "
            f"or the one generated for {shop_settings.db})"]


async def _listen(site: web.BaseSite, listener: Listener) -> None:
    """Start `site`; a port taken since check_free still names its own flag."""
    try:
        await site.start()
    except OSError as exc:
        raise PortUnavailable(listener, (exc.strerror or str(exc)).lower()) from exc


def scenario_summary(engine: ScenarioEngine) -> str:
    """The banner's words for what is active: after a restart that is what the store kept,
    which --scenario may have replaced."""
    active = engine.active(None)
    tenants = len([scope for scope in engine.scopes() if scope != GLOBAL])
    own = f"{tenants} tenant{'s' if tenants != 1 else ''} with their own" if tenants else ""
    if active is None:
        return f"none globally; {own}" if own else "none; PUT one or pick a preset"
    return f"{active.scenario.name}; {own}" if own else active.scenario.name


def say_stopping(log_format: LogFormat) -> None:
    """Say that a stop signal was heard and everything is stopping."""
    text = "paylab: stopping"
    if log_format == "json":
        logging.getLogger("paylab").info(text.removeprefix("paylab: "))
    else:
        print(text, flush=True)
