"""Rule lifetimes: which matches of a rule get its effects.

Each loaded rule has one `RuleState` per phase (requests, webhook deliveries); it counts
matches and owns the rule's seeded random stream, so sampling is reproducible per rule.
"""

from __future__ import annotations

import random
from collections import deque
from typing import Any

from paylab.simulator.scenarios.model import Effect, Rule


class RuleState:
    """Counters, random stream and rate window of one rule in one phase."""

    def __init__(self, rule: Rule, seed: int, phase: str, loaded_at: float) -> None:
        self.rule = rule
        self.rng = random.Random(f"{seed}/{phase}/{rule.index}/{rule.name}")
        self.loaded_at = loaded_at
        self.matches = 0
        self.applied = 0
        self._hits: deque[float] = deque()

    def step(self, now: float) -> tuple[Effect, ...]:
        """Count one match and return the effects it gets (empty when none)."""
        self.matches += 1
        lifetime = self.rule.lifetime
        elapsed = now - self.loaded_at
        window = lifetime.get("window")
        if window is not None and not _inside(window, elapsed):
            return ()
        effects = self._select(lifetime, elapsed, now)
        if effects:
            self.applied += 1
        return effects

    def _select(self, lifetime: dict[str, Any], elapsed: float, now: float) -> tuple[Effect, ...]:
        effects = self.rule.effects
        n = self.matches
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
            return effects if self._over_rate(lifetime["rate"], now) else ()
        if "sequence" in lifetime:
            steps = self.rule.steps
            index = n - 1
            if index >= len(steps):
                if lifetime.get("then") != "repeat":
                    return ()
                index %= len(steps)
            return steps[index]
        return effects

    def _over_rate(self, rate: dict[str, Any], now: float) -> bool:
        period = rate.get("per", 1)
        while self._hits and self._hits[0] <= now - period:
            self._hits.popleft()
        if len(self._hits) < rate["limit"]:
            self._hits.append(now)
            return False
        return True


def _inside(window: dict[str, Any], elapsed: float) -> bool:
    if elapsed < window.get("start", 0):
        return False
    return "end" not in window or elapsed < window["end"]
