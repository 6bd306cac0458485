"""A simulator of the test's own whose virtual clock stands still: only POST
/_sim/clock/advance moves it. Time-based behaviour (webhook retry schedules, scenario
windows) is then driven step by step and measured exactly: the due time the outbox records
after each failed attempt (`next_attempt_at` in GET /_sim/webhooks) minus the virtual time
of that attempt is the schedule's delay itself, to the hundredth of a second, however slow
the machine is.

Never move the clock of a layer's shared simulator instead: that shifts every other test's
timers and retries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from paylab.suites.plugins.simulator import LiveSimulator, start_simulator, wait_for

#: Virtual time runs 10,000 times slower than real time: an hour of test run is 0.36
#: virtual seconds, well inside the 0.01 s the delays are compared to.
STANDING_CLOCK = ("--time-scale", "0.0001")
#: How close a recorded delay must be to the schedule's (virtual seconds).
PRECISION = 0.01
SETTLED = ("pending", "delivered", "failed", "abandoned")


def start_with_standing_clock(workdir: Path, *, name: str,
                              flags: tuple[str, ...] = ()) -> LiveSimulator:
    """A simulator of the test's own with a standing virtual clock (and `flags`, e.g. a
    `--retry-schedule`; without one it runs the default schedule)."""
    return start_simulator(workdir, name=name, flags=(*STANDING_CLOCK, *flags))


@dataclass
class RecordedSchedule:
    """What the outbox recorded for one tenant's deliveries, attempt by attempt."""

    #: delivery id -> the delay before each retry (due time minus the failed attempt's time)
    delays: dict[int, list[float]] = field(default_factory=dict)
    #: the deliveries as GET /_sim/webhooks shows them at the end
    deliveries: list[dict[str, Any]] = field(default_factory=list)


class StandingClock:
    """Drive and read one tenant's deliveries on a simulator with a standing clock."""

    def __init__(self, simulator: LiveSimulator, tenant_key: str,
                 session: requests.Session | None = None) -> None:
        self.url = simulator.url
        self.tenant_key = tenant_key
        self.session = session or requests.Session()

    def now(self) -> float:
        """The virtual now."""
        health = self.session.get(f"{self.url}/_sim/health", timeout=10)
        health.raise_for_status()
        return float(health.json()["clock"]["now"])

    def advance(self, seconds: float) -> float:
        """Move the virtual clock; returns the new virtual now."""
        answer = self.session.post(f"{self.url}/_sim/clock/advance",
                                   json={"seconds": seconds}, timeout=10)
        answer.raise_for_status()
        return float(answer.json()["now"])

    def deliveries(self) -> list[dict[str, Any]]:
        """This tenant's deliveries, oldest first."""
        answer = self.session.get(f"{self.url}/_sim/webhooks", timeout=10,
                                  params={"tenant": self.tenant_key})
        answer.raise_for_status()
        return sorted(answer.json()["deliveries"], key=lambda d: d["id"])

    def after_attempt(self, count: int, attempt: int, timeout: float = 30.0
                      ) -> list[dict[str, Any]]:
        """Wait until `count` deliveries have each recorded `attempt` attempts (or are
        delivered); returns them."""
        def done(rows: list[dict[str, Any]]) -> bool:
            return len(rows) >= count and all(
                d["status"] in SETTLED and (d["attempt_count"] >= attempt
                                            or d["status"] == "delivered") for d in rows)

        rows = wait_for(self.deliveries, done, timeout)
        assert done(rows), f"attempt {attempt} never recorded: " + str(
            [(d["status"], d["attempt_count"]) for d in rows])
        return rows

    def record(self, count: int, attempts: int,
               between: Callable[[int], None] | None = None) -> RecordedSchedule:
        """Let `count` deliveries make up to `attempts` attempts each, moving the clock to
        the latest recorded due time after each round; `between(n)` runs after round n
        (e.g. to change the receiver's behaviour). Returns the recorded delays."""
        recorded = RecordedSchedule()
        rows = self.after_attempt(count, 1)
        since = {d["id"]: float(d["created"]) for d in rows}  # attempt 1 is due at once
        for attempt in range(1, attempts + 1):
            pending = [d for d in rows if d["status"] == "pending"]
            for d in pending:
                recorded.delays.setdefault(d["id"], []).append(
                    round(float(d["next_attempt_at"]) - since[d["id"]], 3))
            if between is not None:
                between(attempt)
            if not pending or attempt == attempts:
                break
            now = self.advance(max(float(d["next_attempt_at"]) for d in pending)
                               - self.now() + PRECISION / 10)
            since = {d["id"]: now for d in pending}
            rows = self.after_attempt(count, attempt + 1)
        recorded.deliveries = rows
        return recorded


def assert_delays(recorded: RecordedSchedule, expected: list[float]) -> None:
    """Every delivery waited exactly the `expected` delays before its retries."""
    for delivery, delays in recorded.delays.items():
        off = [(n + 1, got, want) for n, (got, want) in enumerate(zip(delays, expected,
                                                                         strict=False))
               if abs(got - want) > PRECISION]
        assert not off and len(delays) == len(expected), (
            f"delivery {delivery}: recorded delays {delays}, schedule {expected}; "
            f"(retry, recorded, scheduled) off: {off}")
