"""From effects to a plan: sample latencies, pick the first error or fault, merge webhook
chaos, and describe what was applied in one stable line for the journal."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from paylab.simulator.core.cards import Behaviour, catalog
from paylab.simulator.core.vocabulary import DECLINED
from paylab.simulator.scenarios.model import Effect

#: z-score of the 99th percentile, to turn (p50, p99) into a lognormal's sigma.
_Z99 = 2.3263478740408408


def sample_latency(spec: dict[str, Any], rng: random.Random) -> float:
    """Milliseconds from a fixed, uniform, normal or lognormal(p50, p99) distribution."""
    if "fixed" in spec:
        return float(spec["fixed"])
    if "uniform" in spec:
        low, high = spec["uniform"]
        return rng.uniform(low, high)
    if "normal" in spec:
        return max(0.0, rng.gauss(spec["normal"]["mean"], spec["normal"]["stddev"]))
    p50, p99 = spec["lognormal"]["p50"], spec["lognormal"]["p99"]
    sigma = math.log(p99 / p50) / _Z99
    return rng.lognormvariate(math.log(p50), sigma)


_DECLINE_MESSAGES = {
    entry["decline_code"]: (entry.get("code", DECLINED), entry["message"])
    for entry in catalog().by_number.values()
    if entry.get("outcome") == "decline"
}


def decline_behaviour(decline_code: str) -> Behaviour:
    """A decline with the test catalog's code and message for `decline_code`."""
    if decline_code == "fraudulent":
        return Behaviour(outcome="block", risk_level="highest", risk_score=95)
    code, message = _DECLINE_MESSAGES.get(decline_code, (DECLINED, "Your card was declined."))
    return Behaviour(outcome="decline", code=code, decline_code=decline_code, message=message)


def outcome_behaviour(spec: dict[str, Any]) -> Behaviour:
    """The behaviour an `outcome` effect forces on payment attempts."""
    if "decline" in spec:
        return decline_behaviour(spec["decline"])
    if "require_3ds" in spec:
        return Behaviour(outcome="authenticate")
    processing = spec["processing"]
    then = processing.get("then", "succeed")
    settled = decline_behaviour(then.split(":", 1)[1]) if then.startswith("decline:") \
        else Behaviour()
    return Behaviour(outcome="processing", delay=float(processing.get("seconds", 5)),
                     then=settled)


@dataclass
class Plan:
    """What to do to one request."""

    latency_ms: float = 0.0
    error: dict[str, Any] | None = None
    network: dict[str, Any] | None = None
    outcome: Behaviour | None = None
    notes: list[str] = field(default_factory=list)

    def add(self, rule: str, effect: Effect, rng: random.Random) -> None:
        """Fold one effect in: latencies add up, the first error/fault/outcome wins."""
        spec = effect.spec
        if effect.kind == "latency":
            ms = sample_latency(spec, rng)
            self.latency_ms += ms
            self.notes.append(f"{rule}:latency={ms:.2f}ms")
        elif effect.kind == "error" and self.error is None and self.network is None:
            self.error = spec
            self.notes.append(f"{rule}:error={spec['status']}"
                              f"{'@after' if spec.get('when') == 'after' else ''}")
        elif effect.kind == "network" and self.network is None and self.error is None:
            self.network = spec
            self.notes.append(f"{rule}:network={spec['fault']}")
        elif effect.kind == "outcome" and self.outcome is None:
            self.outcome = outcome_behaviour(spec)
            self.notes.append(f"{rule}:outcome={_outcome_label(spec)}")

    def describe(self) -> str:
        """One stable line: the same seed and requests give the same bytes."""
        return "; ".join(self.notes)


def _outcome_label(spec: dict[str, Any]) -> str:
    if "decline" in spec:
        return f"decline:{spec['decline']}"
    if "require_3ds" in spec:
        return "require_3ds"
    processing = spec["processing"]
    return f"processing:{processing.get('seconds', 5):g}s->{processing.get('then', 'succeed')}"


@dataclass
class Chaos:
    """What to do to one webhook delivery (merged over every matching rule)."""

    delay: float = 0.0
    duplicate: int = 0
    jitter: list[float] = field(default_factory=list)
    drop_then_retry: int = 0
    bad_signature: bool = False
    stale_timestamp: int = 0
    notes: list[str] = field(default_factory=list)

    def add(self, rule: str, effect: Effect, rng: random.Random) -> None:
        """Fold one webhook effect in."""
        spec = effect.spec
        self.delay += spec.get("delay", 0)
        self.duplicate = max(self.duplicate, spec.get("duplicate", 0))
        if "reorder" in spec:
            # one jitter per copy, drawn now so the plan is fixed when the event is stored
            self.jitter = [rng.uniform(0, spec["reorder"]) for _ in range(11)]
        self.drop_then_retry = max(self.drop_then_retry, spec.get("drop_then_retry", 0))
        self.bad_signature = self.bad_signature or spec.get("bad_signature", False)
        self.stale_timestamp = max(self.stale_timestamp, spec.get("stale_timestamp", 0))
        self.notes.append(f"{rule}:webhook=" + ",".join(
            f"{k}={v}" for k, v in sorted(spec.items())))

    def for_copy(self, copy: int) -> dict[str, Any]:
        """The stored plan of one delivery row (copy 0 is the original)."""
        return {
            "delay": self.delay + (self.jitter[copy] if self.jitter else 0.0),
            "drop_then_retry": self.drop_then_retry,
            "bad_signature": self.bad_signature,
            "stale_timestamp": self.stale_timestamp,
            "note": "; ".join(self.notes) + (f" (copy {copy})" if copy else ""),
        }
