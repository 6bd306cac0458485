"""The `paylab` command: serve, up, test, load, report."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from paylab.simulator.alerts.model import AlertRulesError
from paylab.simulator.core.errors import StorageUnavailable
from paylab.simulator.logs import LOG_FORMATS
from paylab.simulator.ports import PortUnavailable
from paylab.simulator.scenarios.loader import check_source, preset_names
from paylab.simulator.scenarios.model import ScenarioError
from paylab.simulator.serving import ServeOptions
from paylab.simulator.settings import Settings, parse_flag, parse_schedule
from paylab.simulator.supervisor import WorkerFailed

from paylab import __version__

PROJECT = Path(__file__).resolve().parent.parent
LAYERS = ("unit", "contract", "reliability", "security", "e2e", "load")
RESULTS = Path("reports") / "allure-results"
REPORT = Path("reports") / "allure-report"
LOG_LEVELS = ("debug", "info", "warning", "error")


def _serve_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 8080)")
    parser.add_argument("--db", help="SQLite file, or :memory: (default state/paylab.db)")
    parser.add_argument("--scenario", metavar="FILE_OR_PRESET",
                        help="scenario to load at start: a YAML/JSON file, or a preset's name")
    parser.add_argument("--preset", metavar="NAME", default=os.environ.get("PAYLAB_PRESET"),
                        help=f"scenario preset to load at start: {', '.join(preset_names())}")
    parser.add_argument("--seed", type=int, help="seed for ids and sampled effects")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="worker processes serving the port, sharing the database "
                             "(PAYLAB_WORKERS; default 1: one process)")
    # alert engine
    parser.add_argument("--alert-rules", metavar="FILE",
                        help="alert rules to judge by (YAML/JSON; default: the shipped "
                             "defaults, see GET /_sim/alerts/rules)")
    parser.add_argument("--time-scale", type=float,
                        help="compress waiting (webhook retries) by this factor")
    parser.add_argument("--public-url", help="URL browsers use to reach the simulator")
    parser.add_argument("--retry-schedule", type=parse_schedule,
                        help="webhook retry delays in seconds, e.g. 5,300,1800, for every "
                        "gateway (without it, or with the default, each gateway retries on "
                        "its own schedule: ECPay every 5-15 minutes, 4 more times)")
    parser.add_argument("--webhook-timeout", type=float, help="seconds per delivery attempt")
    parser.add_argument("--cache-mb", type=int, help="SQLite page cache in MiB (default 64)")
    parser.add_argument("--retention", type=float, metavar="DAYS",
                        help="prune finished traffic older than DAYS of virtual time (at least "
                             "1; default 0: keep everything)")
    parser.add_argument("--keepalive-timeout", type=float,
                        help="close a connection idle (or still sending its request head) "
                             "this many seconds (default 30)")
    parser.add_argument("--read-timeout", type=float,
                        help="answer 408 to a body not in this many seconds after its head "
                             "(default 30)")
    parser.add_argument("--control-token", metavar="TOKEN",
                        help="secret every /_sim request needs (16+ characters); required "
                             "off loopback. PAYLAB_CONTROL_TOKEN keeps it out of `ps`; write "
                             "--control-token=TOKEN when it starts with '-'")
    parser.add_argument("--insecure-control", action="store_true", default=None,
                        help="serve a non-loopback --host without a control token (warns)")
    parser.add_argument("--allowed-host", action="append", metavar="NAME",
                        help="another Host name browsers may use to reach the simulator "
                             "(repeatable; besides the bound address, localhost and "
                             "--public-url's host)")
    parser.add_argument("--log-level", default=os.environ.get("PAYLAB_LOG_LEVEL", "info"),
                        choices=LOG_LEVELS)
    parser.add_argument("--log-format", default=os.environ.get("PAYLAB_LOG_FORMAT", "text"),
                        choices=LOG_FORMATS,
                        help="text, or json: one JSON object per line (PAYLAB_LOG_FORMAT)")
    parser.add_argument("--access-log", action="store_true",
                        default=_env_flag("PAYLAB_ACCESS_LOG"),
                        help="log one line per request: method, path (never the query), "
                             "status, duration (PAYLAB_ACCESS_LOG=1)")


def _env_flag(var: str) -> bool:
    """An on/off environment variable; a value that is neither counts as off."""
    try:
        return parse_flag(os.environ.get(var) or "0")
    except ValueError:
        return False


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used by the docs test)."""
    parser = argparse.ArgumentParser(
        prog="paylab", description="Payment gateway simulator and integration test harness."
    )
    parser.add_argument("--version", action="version", version=f"paylab {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _serve_flags(sub.add_parser("serve", help="run the simulator"))
    up = sub.add_parser("up", help="run the simulator and the reference shop, print the URLs")
    _serve_flags(up)
    up.add_argument("--shop-port", type=int,
                    help="reference shop port (default SHOP_PORT, else 8000)")
    test = sub.add_parser("test", help="run the suites and build the Allure report")
    test.add_argument("--layer", action="append", choices=LAYERS,
                      help="run only this layer (repeatable); default: every layer")
    test.add_argument("--gateway-url", help="run against this simulator instead of a fresh one")
    test.add_argument("--merchant-url", help="run merchant probes against this shop")
    test.add_argument("--no-report", action="store_true", help="skip the HTML report")
    test.add_argument("pytest_args", nargs=argparse.REMAINDER,
                      help="after --, extra arguments for pytest")
    report = sub.add_parser("report", help="(re)generate the Allure HTML report; "
                                           "`report fees`: the gateway fee comparison")
    # fee comparison
    from paylab.simulator import fees_report

    fees_report.add_arguments(report.add_subparsers(dest="report_kind").add_parser(
        "fees", help="what the traffic run cost per gateway and method, and on each other "
                     "gateway (text, json, markdown, html)"))
    _load_parser(sub.add_parser(
        "load", help="Locust against the running stack: web UI, or --headless --profile"))
    # reconcile
    from paylab.simulator.reconcile.cli import add_arguments as reconcile_arguments

    reconcile_arguments(sub.add_parser(
        "reconcile", help="compare a merchant's orders with the gateway's settlement and the "
                          "ledger; exit 1 on any discrepancy, 2 on bad input"))
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
    if args.command == "reconcile":
        from paylab.simulator.reconcile.cli import run as reconcile

        return reconcile(args)
    if getattr(args, "report_kind", None) == "fees":
        from paylab.simulator import fees_report

        return fees_report.run(args)
    return _cmd_report()


# -- serve / up -----------------------------------------------------------------------------
def _cmd_serve(args: argparse.Namespace, *, stack: bool) -> int:
    from paylab.simulator import logs, serving

    # flags are checked by argparse; values from PAYLAB_LOG_LEVEL / _FORMAT are not
    if args.log_level not in LOG_LEVELS or args.log_format not in LOG_FORMATS:
        print(f"paylab: log level {args.log_level!r} or format {args.log_format!r} unknown "
              f"(levels: {', '.join(LOG_LEVELS)}; formats: {', '.join(LOG_FORMATS)})",
              file=sys.stderr)
        return 2
    logs.configure(args.log_level, args.log_format)
    try:
        options = ServeOptions(_settings(args), shop_port=_shop_port(args) if stack else None,
                               access_log=args.access_log, log_format=args.log_format,
                               port_source=_source(args.port, "--port", "PAYLAB_PORT"),
                               shop_port_source=_source(args.shop_port if stack else None,
                                                        "--shop-port", "SHOP_PORT"))
    except (ValueError, TypeError) as exc:
        return logs.refuse(str(exc), args.log_format)
    try:
        serving.run(options)
    except PortUnavailable as exc:
        return logs.refuse(str(exc), args.log_format)
    except ScenarioError as exc:
        return logs.refuse(f"scenario {options.settings.scenario}: {exc}", args.log_format)
    except AlertRulesError as exc:
        return logs.refuse(f"alert rules {options.settings.alert_rules}: {exc}",
                           args.log_format)
    except StorageUnavailable as exc:
        return logs.refuse(exc.message, args.log_format)
    except WorkerFailed as exc:
        return logs.refuse(str(exc), args.log_format)
    return 0


def _settings(args: argparse.Namespace) -> Settings:
    """The simulator's settings from flags over PAYLAB_* variables; the scenario (a file
    or a preset) is checked here, before anything is opened."""
    if args.preset and args.scenario:
        raise ValueError("give --scenario or --preset, not both")
    if args.preset and args.preset not in preset_names():
        raise ValueError(f"--preset {args.preset}: no such preset (presets: "
                         f"{', '.join(preset_names())})")
    settings = Settings.from_env(
        host=args.host, port=args.port, db=args.db, seed=args.seed,
        scenario=args.preset or args.scenario, time_scale=args.time_scale,
        public_url=args.public_url, retry_schedule=args.retry_schedule,
        webhook_timeout=args.webhook_timeout, cache_mb=args.cache_mb,
        keepalive_timeout=args.keepalive_timeout, read_timeout=args.read_timeout,
        control_token=args.control_token, insecure_control=args.insecure_control,
        allowed_hosts=tuple(args.allowed_host) if args.allowed_host else None,
        alert_rules=getattr(args, "alert_rules", None), workers=args.workers,
        retention_days=getattr(args, "retention", None),
    )
    if settings.alert_rules and not Path(settings.alert_rules).is_file():
        raise ValueError(f"--alert-rules {settings.alert_rules}: no such file")
    if settings.scenario:
        try:
            check_source(settings.scenario)
        except ScenarioError as exc:
            raise ValueError(f"--scenario {settings.scenario}: {exc}") from exc
    return settings


def _source(flag_value: object, flag: str, variable: str) -> str:
    """What chose a setting, for error messages: the flag, else its variable when set."""
    return variable if flag_value is None and os.environ.get(variable) else flag


def _shop_port(args: argparse.Namespace) -> int:
    """--shop-port, else SHOP_PORT (the shop's own variable, documented), else 8000."""
    if args.shop_port is not None:
        port = args.shop_port
    else:
        text = os.environ.get("SHOP_PORT") or "8000"
        if not text.isdigit():
            raise ValueError(f"SHOP_PORT={text!r}: not a port number")
        port = int(text)
    if not 0 <= port <= 65535:
        raise ValueError("--shop-port must be between 0 and 65535")
    return port


# -- load / test / report --------------------------------------------------------------------------
def _project_root() -> Path:
    cwd = Path.cwd()
    return cwd if (cwd / "suites").is_dir() else PROJECT


def _cmd_test(args: argparse.Namespace) -> int:
    from paylab.simulator.testrun import run_tests

    return run_tests(args, _cmd_report)


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
