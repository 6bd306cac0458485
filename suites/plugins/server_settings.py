"""The settings of the simulator under test, read from GET /_sim/health.

A test that depends on how the server was started (its webhook timeout, retry schedule or
clock speed) reads them here and adapts, instead of assuming the flags the suites start
their own simulator with: `paylab test --gateway-url URL` may point at one started by
`paylab up` with the defaults. When a setting is not published, or waiting on it would
take too long, the test skips naming the flag to set.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from paylab.suites.plugins.simulator import Control


@dataclass(frozen=True)
class ServerSettings:
    """What /_sim/health says about timing."""

    retry_schedule: tuple[float, ...]
    time_scale: float
    webhook_timeout: float
    clock_mode: str

    def real_seconds(self, virtual: float) -> float:
        """Wall-clock seconds for `virtual` seconds of the server's clock to pass."""
        return virtual / self.time_scale


def read_settings(control: Control) -> ServerSettings:
    """The server's timing settings; skips (naming the flags) when health lacks them, as
    on an older simulator or a guarded one without PAYLAB_CONTROL_TOKEN."""
    health = control.get("health")
    hooks, clock = health.get("webhooks") or {}, health.get("clock") or {}
    if not hooks.get("retry_schedule") or not hooks.get("timeout") or "time_scale" not in clock:
        pytest.skip("the simulator's /_sim/health does not publish its --retry-schedule, "
                    "--webhook-timeout and --time-scale (an older or token-guarded one: "
                    "set PAYLAB_CONTROL_TOKEN)")
    return ServerSettings(tuple(float(s) for s in hooks["retry_schedule"]),
                          float(clock["time_scale"]), float(hooks["timeout"]),
                          str(clock.get("mode", "")))
