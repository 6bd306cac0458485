"""`paylab test`: each layer of the suites in its own pytest process, then the report.

It runs from a checkout (the suites under the repository, configured by pyproject.toml)
and from an installed paylab (the suites inside the package, configured by the
`suites/suites.ini` shipped next to them, results and report under the current directory).

Where pytest-xdist is installed (the dev dependencies), the layers in PARALLEL_LAYERS run
their test files in PAYLAB_TEST_WORKERS worker processes (2 by default, at most one per
CPU): each worker starts its own simulator (and shop, browser), every test still runs
once, and every result lands in the same Allure results directory. The layers that mostly
wait (BESIDE_LAYERS) run beside the next ones when PAYLAB_TEST_BESIDE=1; the summary
gives each layer's wall time.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

#: The directory holding `simulator/` and `suites/`: a checkout, or site-packages/paylab.
PACKAGE_ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("unit", "contract", "reliability", "security", "e2e", "load")
RESULTS = Path("reports") / "allure-results"
#: The suites' pytest configuration shipped inside the package (see the file's comment).
SUITES_INI = "suites.ini"
#: How many pytest worker processes a parallel layer uses (0 or 1: one process, as before).
WORKERS_ENV = "PAYLAB_TEST_WORKERS"
DEFAULT_WORKERS = 2
#: Layers whose test files may run in parallel workers. Every test there has its own tenant
#: (or its own simulator, shop or receiver on a free port), so two workers never share
#: state. Not load: Locust's gevent must never meet xdist (architecture.md section 4), and
#: its SLO gate measures latency on a machine that runs nothing else.
PARALLEL_LAYERS = ("unit", "contract", "reliability", "security", "e2e")
#: Layers that mostly wait (a browser rendering, a page's timers and redirects; a crashed
#: server restarting, paced traffic, retry schedules): unless PAYLAB_TEST_WORKERS chose the
#: count, they run this many workers per CPU-bound one. With one worker per CPU the browser
#: layer used about one core of two, and reliability about the same.
WAITING_LAYERS = {"e2e": 2, "reliability": 2}
#: Layers that run beside the layers after them, not before them: they mostly wait (a
#: server restarting after kill -9, paced soak traffic, retry schedules), so the CPU-bound
#: layers fill the idle half of the machine. Their output is printed whole when they end.
#: Never beside load, whose SLO gate measures latency on a quiet machine: load starts once
#: every layer before it has ended. Only with PAYLAB_TEST_BESIDE=1: beside the CPU-bound
#: layers the reliability layer's restarts and windows ran late on 2 cores (a simulator
#: found dead after a kill -9 test, a soak's one-minute window missing its successes).
BESIDE_LAYERS = ("reliability",)
BESIDE_ENV = "PAYLAB_TEST_BESIDE"
#: Layers that start only when every layer before them has ended, and run alone.
ALONE_LAYERS = ("load",)
#: pytest options by which the caller chose the workers (or turned xdist off) itself.
_OWN_WORKER_OPTIONS = ("-n", "--numprocesses", "--dist", "-pno:xdist", "--max-worker-restart",
                       "--loadscope-reorder", "--no-loadscope-reorder")


@dataclass(frozen=True)
class Layout:
    """Where the suites are, where pytest runs, and how it is configured."""

    root: Path
    suites: Path
    installed: bool

    def config_args(self) -> list[str]:
        """pytest arguments that select the suites' configuration: none in a checkout
        (pyproject.toml is found), the shipped ini when installed."""
        if not self.installed:
            return []
        return ["-c", str(self.suites / SUITES_INI), "--rootdir", str(self.suites)]

    def target(self, layer: str) -> str:
        """The layer's directory as pytest is given it."""
        return str(self.suites / layer) if self.installed else f"suites/{layer}"


def _is_checkout(path: Path) -> bool:
    return ((path / "pyproject.toml").is_file() and (path / "suites").is_dir()
            and (path / "simulator" / "cli.py").is_file())


def locate(cwd: Path | None = None, package_root: Path = PACKAGE_ROOT) -> Layout:
    """A checkout (the current directory, or the one this code is in), else the
    installed package's suites with the current directory for results."""
    cwd = cwd or Path.cwd()
    for root in (cwd, package_root):
        if _is_checkout(root):
            return Layout(root, root / "suites", installed=False)
    return Layout(cwd, package_root / "suites", installed=True)


def layer_command(layout: Layout, layer: str, results: Path, extra: list[str],
                  workers: int = 0) -> list[str]:
    """The pytest command of one layer (with `workers` xdist workers if it may use them)."""
    return [sys.executable, "-m", "pytest", layout.target(layer), f"--alluredir={results}",
            "-p", "no:cacheprovider", *layout.config_args(),
            *worker_args(layer, workers, extra), *extra]


def worker_count(environ: dict[str, str] | None = None) -> int:
    """PAYLAB_TEST_WORKERS as a number of workers (`auto`: one per CPU; unset: 2, at most
    one per CPU); 0 when pytest-xdist is not installed. ValueError for anything else."""
    env = os.environ if environ is None else environ
    raw = env.get(WORKERS_ENV, "").strip().lower()
    cpus = os.cpu_count() or 1
    if not raw:
        wanted = min(DEFAULT_WORKERS, cpus)
    elif raw == "auto":
        wanted = cpus
    elif raw.isdigit():
        wanted = int(raw)
    else:
        raise ValueError(f"{WORKERS_ENV} must be a number of workers (0 or 1: none) or "
                         f"'auto', not {raw!r}")
    if wanted > 1 and importlib.util.find_spec("xdist") is None:
        if raw:  # asked for by name: say why it has no effect
            print(f"paylab: {WORKERS_ENV}={raw} needs pytest-xdist (pip install pytest-xdist); "
                  "running each layer in one process", file=sys.stderr)
        return 0
    return wanted


def worker_args(layer: str, workers: int, extra: Sequence[str] = ()) -> list[str]:
    """xdist's options for a parallel layer: whole test files per worker (`loadfile`), so
    a module's shared servers start once. None when the caller's `extra` chose already."""
    if layer not in PARALLEL_LAYERS or workers < 2:
        return []
    if any(arg.startswith(_OWN_WORKER_OPTIONS) or arg == "no:xdist" for arg in extra):
        return []
    # in collection order, where suites/conftest.py puts the long files first (xdist's own
    # reorder, by number of tests, would start a file of one long test last)
    return ["-n", str(workers), "--dist", "loadfile", "--no-loadscope-reorder"]


def layer_workers(layer: str, workers: int, environ: dict[str, str] | None = None) -> int:
    """The workers of one layer: `workers`, times WAITING_LAYERS' factor when the count was
    not chosen in PAYLAB_TEST_WORKERS."""
    env = os.environ if environ is None else environ
    if workers < 2 or env.get(WORKERS_ENV, "").strip():
        return workers
    return workers * WAITING_LAYERS.get(layer, 1)


def runs_beside(layer: str, later: Sequence[str], environ: dict[str, str] | None = None
                ) -> bool:
    """Whether `layer` runs beside the layers after it (`later`): it is a BESIDE_LAYERS
    one, something other than an ALONE_LAYERS layer comes after it to fill the machine,
    and PAYLAB_TEST_BESIDE asks for it (by default one layer runs after the other)."""
    env = os.environ if environ is None else environ
    if env.get(BESIDE_ENV, "").strip().lower() in ("", "0", "no", "false"):
        return False
    return layer in BESIDE_LAYERS and any(name not in ALONE_LAYERS for name in later)


def run_order(layers: Sequence[str]) -> list[str]:
    """Every layer, the BESIDE_LAYERS ones first (so the most layers fill their idle time),
    the rest in their own order."""
    return ([name for name in layers if name in BESIDE_LAYERS]
            + [name for name in layers if name not in BESIDE_LAYERS])


def layer_env(args: argparse.Namespace, environ: dict[str, str] | None = None
              ) -> dict[str, str]:
    """The layers' environment: ours, with the URLs given as flags. A control token in
    PAYLAB_CONTROL_TOKEN is passed on as it is (the environment keeps it out of the
    process list), and the suites' control client sends it to the simulator at the URL."""
    env = dict(os.environ if environ is None else environ)
    if args.gateway_url:
        env["PAYLAB_GATEWAY_URL"] = args.gateway_url
    if args.merchant_url:
        env["PAYLAB_MERCHANT_URL"] = args.merchant_url
    return env


def run_tests(args: argparse.Namespace, report: Callable[[Path], int]) -> int:
    """Run the chosen layers (all by default); 1 if any failed, else 0."""
    from paylab.simulator.reporting import prepare_results

    try:  # before anything is touched: a bad value leaves the last run's results alone
        workers = worker_count()
    except ValueError as exc:
        print(f"paylab: {exc}", file=sys.stderr)
        return 2
    layout = locate()
    layers = args.layer or run_order([name for name in LAYERS
                                      if (layout.suites / name).is_dir()])
    results = layout.root / RESULTS
    prepare_results(layout.root, results)  # also fixes the run's PAYLAB_SEED, passed on in env
    env = layer_env(args)
    extra = [a for a in args.pytest_args if a != "--"]
    outcomes: dict[str, tuple[int, float]] = {}
    beside: list[_Beside] = []
    for n, layer in enumerate(layers):
        own = layer_workers(layer, workers)
        cmd = layer_command(layout, layer, results, extra, own)
        mode = f" ({own} workers)" if worker_args(layer, own, extra) else ""
        if runs_beside(layer, layers[n + 1:]):
            print(f"\n=== layer: {layer}{mode}, beside the next layers: its output follows "
                  "when it ends ===", flush=True)
            beside.append(_Beside.start(layer, cmd, layout.root, env))
            continue
        if layer in ALONE_LAYERS:
            _finish(beside, outcomes)
        print(f"\n=== layer: {layer}{mode} ===", flush=True)
        started = time.monotonic()
        code = subprocess.call(cmd, cwd=layout.root, env=env)  # noqa: S603
        outcomes[layer] = (code, time.monotonic() - started)
        _finish([b for b in beside if b.process.poll() is not None], outcomes, beside)
    _finish(beside, outcomes)
    print("\n=== summary ===")
    for layer in layers:
        code, seconds = outcomes[layer]
        verdict = {0: "passed", 5: "NO TESTS"}.get(code, f"FAILED (exit {code})")
        print(f"  {layer:<12} {verdict:<18} {seconds:6.0f} s")
    failed = any(code != 0 for code, _ in outcomes.values())
    if not args.no_report:
        failed = _report(layout, results, report) or failed
    return 1 if failed else 0


@dataclass
class _Beside:
    """A layer running beside others, its output kept in a file until it ends."""

    layer: str
    process: subprocess.Popen[bytes]
    output: IO[bytes]
    started: float

    @classmethod
    def start(cls, layer: str, cmd: list[str], cwd: Path, env: dict[str, str]) -> _Beside:
        """Start the layer's pytest with its output going to a temporary file."""
        output = tempfile.TemporaryFile()  # noqa: SIM115 - closed in _finish
        process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=output,  # noqa: S603
                                   stderr=subprocess.STDOUT)
        return cls(layer, process, output, time.monotonic())


def _finish(ending: list[_Beside], outcomes: dict[str, tuple[int, float]],
            running: list[_Beside] | None = None) -> None:
    """Wait for the layers in `ending`, print each one's output whole, record its outcome,
    and take it off `running` (by default, `ending` itself is emptied)."""
    running = ending if running is None else running
    for each in list(ending):
        code = each.process.wait()
        outcomes[each.layer] = (code, time.monotonic() - each.started)
        each.output.seek(0)
        print(f"\n=== layer: {each.layer} (ran beside the others) ===", flush=True)
        sys.stdout.buffer.write(each.output.read())
        sys.stdout.flush()
        each.output.close()
        running.remove(each)


def _report(layout: Layout, results: Path, report: Callable[[Path], int]) -> bool:
    """Build the HTML report; whether that failed. An installed paylab without the Allure
    CLI here says where the raw results are instead (the tests' verdict stands)."""
    if layout.installed and not (layout.root / "node_modules" / "allure").is_dir():
        print(f"\nAllure results: {results} (no Allure CLI here: `npm install allure`, "
              "then `paylab report` builds the HTML report)")
        return False
    return report(layout.root) != 0
