"""The `paylab` command: serve, up, test, load, report."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from aiohttp import web
from paylab.simulator.core.errors import StorageUnavailable
from paylab.simulator.guards.describe import guard_lines
from paylab.simulator.scenarios.model import ScenarioError
from paylab.simulator.settings import Settings, parse_schedule

PROJECT = Path(__file__).resolve().parent.parent
LAYERS = ("unit", "contract", "reliability", "security", "e2e", "load")
RESULTS = Path("reports") / "allure-results"
MAX_LINE = 2 * 1024 * 1024
REPORT = Path("reports") / "allure-report"


def _serve_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 8080)")
    parser.add_argument("--db", help="SQLite file, or :memory: (default state/paylab.db)")
    parser.add_argument("--scenario", help="scenario file to load at start")
    parser.add_argument("--seed", type=int, help="seed for ids and sampled effects")
    parser.add_argument("--time-scale", type=float,
                        help="compress waiting (webhook retries) by this factor")
    parser.add_argument("--public-url", help="URL browsers use to reach the simulator")
    parser.add_argument("--retry-schedule", type=parse_schedule,
                        help="webhook retry delays in seconds, e.g. 5,300,1800")
    parser.add_argument("--webhook-timeout", type=float, help="seconds per delivery attempt")
    parser.add_argument("--cache-mb", type=int, help="SQLite page cache in MiB (default 64)")
    parser.add_argument("--keepalive-timeout", type=float,
                        help="close a connection idle (or still sending its request head) "
                             "this many seconds (default 30)")
    parser.add_argument("--read-timeout", type=float,
                        help="answer 408 to a body not in this many seconds after its head "
                             "(default 30)")
    parser.add_argument("--control-token", metavar="TOKEN",
                        help="secret every /_sim request needs (16+ characters); required "
                             "off loopback. PAYLAB_CONTROL_TOKEN keeps it out of `ps`")
    parser.add_argument("--insecure-control", action="store_true", default=None,
                        help="serve a non-loopback --host without a control token (warns)")
    parser.add_argument("--allowed-host", action="append", metavar="NAME",
                        help="another Host name browsers may use to reach the simulator "
                             "(repeatable; besides the bound address, localhost and "
                             "--public-url's host)")
    parser.add_argument("--log-level", default="info",
                        choices=("debug", "info", "warning", "error"))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used by the docs test)."""
    parser = argparse.ArgumentParser(
        prog="paylab", description="Payment gateway simulator and integration test harness."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _serve_flags(sub.add_parser("serve", help="run the simulator"))
    up = sub.add_parser("up", help="run the simulator and the reference shop, print the URLs")
    _serve_flags(up)
    up.add_argument("--shop-port", type=int, default=8000, help="reference shop port (8000)")
    test = sub.add_parser("test", help="run the suites and build the Allure report")
    test.add_argument("--layer", action="append", choices=LAYERS,
                      help="run only this layer (repeatable); default: every layer")
    test.add_argument("--gateway-url", help="run against this simulator instead of a fresh one")
    test.add_argument("--merchant-url", help="run merchant probes against this shop")
    test.add_argument("--no-report", action="store_true", help="skip the HTML report")
    test.add_argument("pytest_args", nargs=argparse.REMAINDER,
                      help="after --, extra arguments for pytest")
    sub.add_parser("report", help="(re)generate the Allure HTML report")
    _load_parser(sub.add_parser(
        "load", help="Locust against the running stack: web UI, or --headless --profile"))
    return parser


def _load_parser(parser: argparse.ArgumentParser) -> None:
    root = _project_root()
    if not (root / "load" / "run.py").exists():
        return
    sys.path.insert(0, str(root))
    from paylab.load.run import add_arguments

    add_arguments(parser)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `paylab` console script."""
    args = build_parser().parse_args(argv)
    if args.command in ("serve", "up"):
        return _cmd_serve(args, stack=args.command == "up")
    if args.command == "test":
        return _cmd_test(args)
    if args.command == "load":
        return _cmd_load(args)
    return _cmd_report()


# -- serve / up -----------------------------------------------------------------------------
def _cmd_serve(args: argparse.Namespace, *, stack: bool) -> int:
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    try:
        settings = Settings.from_env(
            host=args.host, port=args.port, db=args.db, seed=args.seed, scenario=args.scenario,
            time_scale=args.time_scale, public_url=args.public_url,
            retry_schedule=args.retry_schedule, webhook_timeout=args.webhook_timeout,
            cache_mb=args.cache_mb, keepalive_timeout=args.keepalive_timeout,
            read_timeout=args.read_timeout, control_token=args.control_token,
            insecure_control=args.insecure_control,
            allowed_hosts=tuple(args.allowed_host) if args.allowed_host else None,
        )
    except (ValueError, TypeError) as exc:
        print(f"paylab: {exc}", file=sys.stderr)
        return 2
    try:
        _run(_serve(settings, shop_port=args.shop_port if stack else None))
    except ScenarioError as exc:
        print(f"paylab: scenario {settings.scenario}: {exc}", file=sys.stderr)
        return 2
    except StorageUnavailable as exc:
        print(f"paylab: {exc.message}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"paylab: cannot listen on {settings.host}:{settings.port}: {exc.strerror}. "
              "Is another paylab running? Choose another --port.", file=sys.stderr)
        return 1
    return 0


def _run(coro: object) -> None:
    try:
        import uvloop

        factory = uvloop.new_event_loop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux and macOS
        factory = None
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(coro)  # type: ignore[arg-type]


async def _serve(settings: Settings, *, shop_port: int | None = None) -> None:
    from paylab.simulator.app import CONNECTIONS, create_app
    from paylab.simulator.connections import GuardedSite

    # Long query strings and headers (up to 2 MiB) reach the app, which answers in the
    # gateway's own error shape; aiohttp's 8 KiB default would answer a bare text/plain 400.
    app = create_app(settings)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=5, max_line_size=MAX_LINE,
                           max_field_size=MAX_LINE, keepalive_timeout=settings.keepalive_timeout)
    await runner.setup()
    # Everything allocated so far lives as long as the process: keep the collector off it,
    # and collect the young generation less often (p99 under load fell from ~93 to ~78 ms
    # at 128 connections with 50 ms injected latency).
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    # connections are capped below the file descriptor limit (see simulator.connections)
    await GuardedSite(runner, app[CONNECTIONS], settings.host, settings.port,
                      backlog=1024).start()
    runners = [runner]
    base = settings.base_url
    lines = [
        f"paylab simulator  {base}   (seed {settings.seed}, db {settings.db})",
        f"  Stripe API      {base}/stripe   e.g. StripeClient('sk_test_...', "
        f"base_addresses={{'api': '{base}/stripe'}})",
        f"  control API     {base}/_sim/health   {base}/_sim/openapi.json",
        *guard_lines(settings),
        f"  scenario        {base}/_sim/scenario   "
        f"({settings.scenario or 'none; PUT one or pick a preset'})",
    ]
    lines.append(f"  dashboard       {base}/_sim/")
    if shop_port is not None:
        from paylab.shop.app import SETTINGS as SHOP_SETTINGS
        from paylab.shop.app import create_app as create_shop
        from paylab.shop.settings import ShopSettings

        shop_settings = ShopSettings.from_env(host=settings.host, port=shop_port,
                                              gateway_url=base)
        shop_app = create_shop(shop_settings)
        shop = web.AppRunner(shop_app, access_log=None)
        await shop.setup()  # registers its webhook endpoint with the simulator above
        await web.TCPSite(shop, settings.host, shop_port).start()
        runners.append(shop)
        lines.append(f"reference shop    {shop_settings.base_url}   "
                     "(pay with 4242 4242 4242 4242, any future date, any CVC)")
        lines.append(f"  its API key     {shop_app[SHOP_SETTINGS].api_key}   (SHOP_API_KEY, "
                     f"or the one generated for {shop_settings.db})")
    lines.append("Ctrl-C stops it.")
    print("\n".join(lines), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        print("paylab: stopping", flush=True)
        for each in reversed(runners):
            await each.cleanup()


# -- load / test / report --------------------------------------------------------------------------
def _project_root() -> Path:
    cwd = Path.cwd()
    return cwd if (cwd / "suites").is_dir() else PROJECT


def _cmd_test(args: argparse.Namespace) -> int:
    from paylab.simulator.reporting import prepare_results

    root = _project_root()
    layers = args.layer or [name for name in LAYERS if (root / "suites" / name).is_dir()]
    results = root / RESULTS
    prepare_results(root, results)
    env = dict(os.environ)
    if args.gateway_url:
        env["PAYLAB_GATEWAY_URL"] = args.gateway_url
    if args.merchant_url:
        env["PAYLAB_MERCHANT_URL"] = args.merchant_url
    extra = [a for a in args.pytest_args if a != "--"]
    outcomes: list[tuple[str, int]] = []
    for layer in layers:
        print(f"\n=== layer: {layer} ===", flush=True)
        cmd = [sys.executable, "-m", "pytest", f"suites/{layer}", f"--alluredir={results}",
               "-p", "no:cacheprovider", *extra]
        outcomes.append((layer, subprocess.call(cmd, cwd=root, env=env)))
    print("\n=== summary ===")
    for layer, code in outcomes:
        verdict = {0: "passed", 5: "NO TESTS"}.get(code, f"FAILED (exit {code})")
        print(f"  {layer:<12} {verdict}")
    failed = any(code != 0 for _, code in outcomes)
    if not args.no_report:
        report_code = _cmd_report(root)
        failed = failed or report_code != 0
    return 1 if failed else 0


def _cmd_load(args: argparse.Namespace) -> int:
    if "paylab.load.run" not in sys.modules:
        print("paylab load: run it from a paylab checkout (it needs load/)", file=sys.stderr)
        return 2
    from paylab.load.run import run

    return run(args)


def _cmd_report(root: Path | None = None) -> int:
    root = root or _project_root()
    npx = shutil.which("npx")
    if npx is None or not (root / "node_modules" / "allure").is_dir():
        print("paylab: the Allure report needs node and `npm ci` (make test installs both).",
              file=sys.stderr)
        return 1
    code = subprocess.call(
        [npx, "--no-install", "allure", "awesome", str(RESULTS), "--single-file",
         "--report-name", "paylab", "-o", str(REPORT)],
        cwd=root, stdout=subprocess.DEVNULL,
    )
    index = root / REPORT / "index.html"
    if code != 0 or not index.exists():
        print("paylab: Allure could not build the report", file=sys.stderr)
        return 1
    print(f"\nAllure report: {index}")
    return 0
