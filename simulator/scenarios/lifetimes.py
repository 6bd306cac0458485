"""Rule lifetimes: which matches of a rule get its effects.

Each loaded rule has one `RuleState` per phase (requests, webhook deliveries). Its match
count and rate window are kept in the store (scenarios/tally.py), so every worker process
counts one sequence. Sampling is seeded per match: the n-th match of a rule draws from a
stream derived from (seed, phase, rule, n), whichever process serves it.
"""

from __future__ import annotations

import random
from typing import Any

from paylab.simulator.scenarios.model import Effect, Rule
from paylab.simulator.scenarios.tally import Tally


class RuleState:
    """Lifetime of one rule in one phase of one scope."""

    def __init__(self, rule: Rule, seed: int, phase: str, loaded_at: float,
                 tally: Tally | None = None, scope: str = "*") -> None:
        self.rule = rule
        self.seed = seed
        self.phase = phase
        self.loaded_at = loaded_at
        self.tally = tally if tally is not None else Tally()
        self.scope = scope
        self.rng = self._stream(0)

    def _stream(self, n: int) -> random.Random:
        return random.Random(f"{self.seed}/{self.phase}/{self.rule.index}/{self.rule.name}/{n}")

    @property
    def matches(self) -> int:
        """Matches so far (every process's)."""
        return self._counts()[0]

    @property
    def applied(self) -> int:
        """Matches that got effects so far (every process's)."""
        return self._counts()[1]

    def _counts(self) -> tuple[int, int]:
        return self.tally.counts(self.scope).get((self.phase, self.rule.index), (0, 0))

    def step(self, now: float) -> tuple[Effect, ...]:
        """Count one match and return the effects it gets (empty when none); `rng` is then
        this match's seeded stream, for the effects' own sampling."""
        n = self.tally.match(self.scope, self.phase, self.rule.index)
        self.rng = self._stream(n)
        lifetime = self.rule.lifetime
        elapsed = now - self.loaded_at
        window = lifetime.get("window")
        if window is not None and not _inside(window, elapsed):
            return ()
        effects = self._select(lifetime, elapsed, now, n)
        if effects:
            self.tally.applied(self.scope, self.phase, self.rule.index)
        return effects

    def _select(self, lifetime: dict[str, Any], elapsed: float, now: float, n: int
                ) -> tuple[Effect, ...]:
        effects = self.rule.effects
        if "first" in lifetime:
            return effects if n <= lifetime["first"] else ()
        if "every" in lifetime:
            return effects if n % lifetime["every"] == 0 else ()
        if "probability" in lifetime:
            return effects if self.rng.random() < lifetime["probability"] else ()
        if "ramp" in lifetime:
            ramp = lifetime["ramp"]
            p = ramp["from"] + (ramp["to"] - ramp["from"]) * min(1.0, elapsed / ramp["over"])
            return effects if self.rng.random() < p else ()
        if "rate" in lifetime:
            rate = lifetime["rate"]
            within = self.tally.take(self.scope, f"{self.phase}/{self.rule.index}", now,
                                     rate.get("per", 1), rate["limit"])
            return () if within else effects
        if "sequence" in lifetime:
            steps = self.rule.steps
            index = n - 1
            if index >= len(steps):
                if lifetime.get("then") != "repeat":
                    return ()
                index %= len(steps)
            return steps[index]
        return effects


def _inside(window: dict[str, Any], elapsed: float) -> bool:
    if elapsed < window.get("start", 0):
        return False
    return "end" not in window or elapsed < window["end"]
