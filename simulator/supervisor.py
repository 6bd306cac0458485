"""`paylab serve --workers N` (and `up`): N worker processes on one port, one supervisor.

The supervisor (the process the command started) never serves a request:

1. it builds the simulator once in its own process, alone on the database: the schema and
   migrations run once, rows a crashed run left in flight are recovered, the --scenario is
   stored, the rules and settings are checked (a mistake stops the command here, with the
   same message as with one process), and the banner is taken from it; the leases are
   cleared (nobody runs yet);
2. it starts the workers one at a time (each builds its app: no two open the database
   at once), then tells them all to listen on the same host:port (SO_REUSEPORT; the kernel
   spreads connections over them), and prints the banner once every worker listens, so
   /_sim/health answers only when every worker does;
3. for `up`, it starts the reference shop as one more process, once;
4. it restarts a worker (or the shop) that dies, and logs it; SIGINT or SIGTERM stops every
   process (SIGTERM to each, then SIGKILL to any still there after `STOP_SECONDS`); exit 0.

Workers ignore SIGINT (a terminal's Ctrl-C reaches the whole process group; the supervisor
decides) and stop on SIGTERM, or by themselves when the supervisor is gone. One worker at a
time leads the background work (simulator.leadership).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import sys
import time
from dataclasses import dataclass, replace
from multiprocessing import get_context
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from aiohttp import web
from paylab.simulator.logs import announce
from paylab.simulator.ports import PortUnavailable
from paylab.simulator.serving import (
    ServeOptions,
    build_simulator,
    freeze_heap,
    listen_simulator,
    loop_factory,
    say_stopping,
    simulator_banner,
    start_shop,
)
from paylab.simulator.waiting import wait_event

log = logging.getLogger("paylab.workers")

#: How long a starting process may take to build its app or to listen.
START_SECONDS = 60.0
#: How long a stopping process may take before it is killed.
STOP_SECONDS = 10.0
#: A process that dies sooner than this after starting is restarted after a pause.
CRASH_LOOP_SECONDS = 5.0
#: How often a worker checks that its supervisor is still there.
ORPHAN_POLL_SECONDS = 0.5


class WorkerFailed(Exception):
    """A worker (or the shop) could not start; the message says why."""


@dataclass
class _Child:
    """One supervised process: a simulator worker (slot 0..N-1) or the shop (slot -1)."""

    slot: int
    process: BaseProcess
    conn: Connection
    started: float

    @property
    def name(self) -> str:
        return "shop" if self.slot < 0 else f"worker {self.slot}"


def supervise(options: ServeOptions) -> None:
    """Run the workers (and the shop for `up`) until SIGINT or SIGTERM."""
    banner = prepare(options)
    # the scenario is in the store now: workers restore it rather than load it again
    worker_options = replace(options, settings=replace(
        options.settings, scenario=None, clock_start=options.settings.clock_start or time.time()))
    supervisor = Supervisor(worker_options, logging.getLogger().level)
    supervisor.trap_signals()
    try:
        try:
            supervisor.start_workers()
        except WorkerFailed:
            if supervisor.stopping:
                return  # Ctrl-C while starting: a stop, not a failure
            raise
        lines = [*banner, f"  workers         {options.settings.workers} processes on one "
                 f"port (pids {', '.join(map(str, supervisor.pids()))}); one leads "
                 "webhooks, timers and alerts"]
        if options.shop_port is not None:
            lines += supervisor.start_shop()
        lines.append("Ctrl-C stops it.")
        announce(lines, options.log_format)
        supervisor.watch()
        say_stopping(options.log_format)
    finally:
        supervisor.stop_all()


def prepare(options: ServeOptions) -> list[str]:
    """Build the simulator once, alone on its database (see the module's docstring), and
    return the banner's lines about it."""
    from paylab.simulator.app import DOMAIN, create_app
    from paylab.simulator.leadership import clear_leases

    settings = options.settings
    app = create_app(replace(settings, workers=1))  # one process: it recovers at open
    try:
        lines = simulator_banner(app, settings)
        clear_leases(app[DOMAIN].store)
    finally:
        app[DOMAIN].store.close()
    del app
    gc.collect()
    return lines


class Supervisor:
    """Starts, watches, restarts and stops the worker processes."""

    def __init__(self, options: ServeOptions, log_level: int) -> None:
        self.options, self.log_level = options, log_level
        # fork: workers start in milliseconds, sharing what is imported; elsewhere spawn
        self.context = get_context("fork" if sys.platform == "linux" else "spawn")
        self.children: dict[int, _Child] = {}
        self.stopping = False
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)

    def pids(self) -> list[int]:
        """The workers' process ids, by slot."""
        return [self.children[slot].process.pid or 0
                for slot in sorted(self.children) if slot >= 0]

    def trap_signals(self) -> None:
        """SIGINT and SIGTERM stop everything (they only wake the watch loop here)."""
        def handler(signum: int, frame: Any) -> None:
            self.stopping = True
            with contextlib.suppress(OSError):  # a full pipe: a wake-up is pending anyway
                os.write(self._wake_w, b"x")

        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, handler)

    # -- starting -----------------------------------------------------------------------
    def start_workers(self) -> None:
        """Start every worker, one at a time to build, then all listening."""
        for slot in range(self.options.settings.workers):
            self._spawn(slot)
            self._expect(self.children[slot], "built")
        for slot in range(self.options.settings.workers):
            self._tell(self.children[slot], "listen")
        for slot in range(self.options.settings.workers):
            self._expect(self.children[slot], "listening")

    def start_shop(self) -> list[str]:
        """Start the reference shop (`paylab up`); returns its banner lines."""
        self._spawn(-1)
        return self._expect(self.children[-1], "listening")[1]

    def _spawn(self, slot: int) -> None:
        ours, theirs = self.context.Pipe()
        target = _shop_main if slot < 0 else _worker_main
        process = self.context.Process(
            target=target, name=f"paylab-{'shop' if slot < 0 else f'worker-{slot}'}",
            args=(self.options, theirs, self.log_level, os.getpid(), self._inherited()))
        process.start()
        theirs.close()
        self.children[slot] = _Child(slot, process, ours, time.monotonic())

    def _inherited(self) -> tuple[int, ...]:
        """Descriptors a forked child has and must close (a spawned one has none)."""
        if self.context.get_start_method() != "fork":
            return ()
        return (self._wake_r, self._wake_w)

    def _expect(self, child: _Child, what: str) -> tuple:
        """Wait for `child` to report `what`; WorkerFailed if it fails, dies or stalls."""
        deadline = time.monotonic() + START_SECONDS
        while True:
            if self.stopping:
                raise WorkerFailed("stopped while starting")
            left = deadline - time.monotonic()
            if left <= 0:
                raise WorkerFailed(f"{child.name} did not start within {START_SECONDS:g} s")
            ready = wait([child.conn, self._wake_r], timeout=left)
            if self._wake_r in ready:
                self._drain()
            if child.conn not in ready:
                continue
            try:
                message = child.conn.recv()
            except (EOFError, OSError):
                child.process.join(STOP_SECONDS)
                raise WorkerFailed(f"{child.name} exited while starting (exit "
                                   f"{child.process.exitcode})") from None
            if message[0] == "failed":
                raise WorkerFailed(message[1])
            if message[0] == what:
                return message

    @staticmethod
    def _tell(child: _Child, message: str) -> None:
        try:
            child.conn.send(message)
        except OSError as exc:
            raise WorkerFailed(f"{child.name} is gone ({exc})") from None

    def _drain(self) -> None:
        with contextlib.suppress(BlockingIOError):
            os.read(self._wake_r, 512)

    # -- watching -----------------------------------------------------------------------
    def watch(self) -> None:
        """Until a stop signal: restart any process that dies."""
        while not self.stopping:
            sentinels = {child.process.sentinel: child for child in self.children.values()}
            ready = wait([*sentinels, self._wake_r])
            if self._wake_r in ready:
                self._drain()
            for sentinel in ready:
                child = sentinels.get(sentinel)  # type: ignore[call-overload]
                if child is not None and not self.stopping:
                    self._restart(child)

    def _restart(self, child: _Child) -> None:
        child.process.join(STOP_SECONDS)
        log.warning("%s (pid %s) exited unexpectedly (exit %s); starting another",
                    child.name, child.process.pid, child.process.exitcode)
        child.conn.close()
        if time.monotonic() - child.started < CRASH_LOOP_SECONDS:
            wait([self._wake_r], timeout=1.0)  # died at once: pause, stop signals still heard
            if self.stopping:
                return
        self._spawn(child.slot)
        fresh = self.children[child.slot]
        try:
            if child.slot >= 0:
                self._expect(fresh, "built")
                self._tell(fresh, "listen")
            self._expect(fresh, "listening")
        except WorkerFailed as exc:
            if not self.stopping:
                log.error("%s could not start again: %s", fresh.name, exc)
            fresh.process.kill()  # stalled or dead: its sentinel fires, the watch tries again
            return
        log.info("%s restarted (pid %s)", fresh.name, fresh.process.pid)

    # -- stopping -----------------------------------------------------------------------
    def stop_all(self) -> None:
        """SIGTERM every process, wait for them, SIGKILL any that linger."""
        self.stopping = True
        children = list(self.children.values())
        for child in children:
            if child.process.is_alive():
                child.process.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for child in children:
            child.process.join(max(0.0, deadline - time.monotonic()))
            if child.process.is_alive():
                log.warning("%s did not stop in %g s: killed", child.name, STOP_SECONDS)
                child.process.kill()
                child.process.join()
            child.conn.close()
        for fd in (self._wake_r, self._wake_w):
            os.close(fd)


# -- in the worker and shop processes --------------------------------------------------------
def _child_setup(log_level: int, inherited: tuple[int, ...]) -> None:
    """What a forked child undoes: the supervisor's signal handlers and wake pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    for fd in inherited:
        os.close(fd)
    if not logging.getLogger().handlers:  # spawned: set up as the supervisor was
        from paylab.simulator import logs

        logs.configure(logging.getLevelName(log_level).lower(), "text")


def _worker_main(options: ServeOptions, conn: Connection, log_level: int, parent: int,
                 inherited: tuple[int, ...]) -> None:
    """A worker process: build the app, listen when told, serve until SIGTERM."""
    _run_child(_serve_worker, options, conn, log_level, parent, inherited)


def _run_child(serve: Any, options: ServeOptions, conn: Connection, log_level: int,
               parent: int, inherited: tuple[int, ...]) -> None:
    """A child process's life: set up as the supervisor was, run `serve` on its own event
    loop, exit with its code."""
    _child_setup(log_level, inherited)
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        code = runner.run(serve(options, conn, parent))
    raise SystemExit(code)


async def _serve_worker(options: ServeOptions, conn: Connection, parent: int) -> int:
    stop = _stop_event()
    runners: list[web.AppRunner] = []
    try:
        try:
            runner = await build_simulator(options, runners)
        except Exception as exc:  # any reason is reported, then exit 1
            conn.send(("failed", f"worker could not start: {exc}"))
            return 1
        conn.send(("built", os.getpid()))
        if await _receive(conn) != "listen":
            return 1
        freeze_heap()
        try:
            await listen_simulator(runner, options, reuse_port=True)
        except PortUnavailable as exc:
            conn.send(("failed", str(exc)))
            return 1
        conn.send(("listening", os.getpid()))
        await _until_stopped(stop, parent)
        return 0
    finally:
        for each in reversed(runners):
            await each.cleanup()


def _shop_main(options: ServeOptions, conn: Connection, log_level: int, parent: int,
               inherited: tuple[int, ...]) -> None:
    """The reference shop's process (`paylab up --workers N`)."""
    _run_child(_serve_shop, options, conn, log_level, parent, inherited)


async def _serve_shop(options: ServeOptions, conn: Connection, parent: int) -> int:
    stop = _stop_event()
    runners: list[web.AppRunner] = []
    try:
        try:
            lines = await start_shop(options, runners)
        except Exception as exc:  # any reason is reported, then exit 1
            conn.send(("failed", f"the shop could not start: {exc}"))
            return 1
        conn.send(("listening", lines))
        await _until_stopped(stop, parent)
        return 0
    finally:
        for each in reversed(runners):
            await each.cleanup()


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    return stop


async def _receive(conn: Connection) -> Any:
    """The supervisor's next message, without blocking the loop; None if it is gone."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()
    loop.add_reader(conn.fileno(), lambda: ready.done() or ready.set_result(None))
    try:
        await ready
    finally:
        loop.remove_reader(conn.fileno())
    try:
        return conn.recv()
    except (EOFError, OSError):
        return None


async def _until_stopped(stop: asyncio.Event, parent: int) -> None:
    """Until SIGTERM, or until the supervisor is gone (killed: its workers follow)."""
    while not stop.is_set():
        if os.getppid() != parent:
            log.warning("worker %d: the supervisor is gone; stopping", os.getpid())
            return
        await wait_event(stop, ORPHAN_POLL_SECONDS)
