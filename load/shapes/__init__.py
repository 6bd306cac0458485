"""Load shapes: how many users run at each moment (the arithmetic is
`load.common.profiles.users_at`). Each reads its parameters from the headless profile
being run, or its defaults in load/profiles.yaml (what the web UI's shape picker runs).

steady  users for a fixed time
ramp    from start_users to end_users, linearly, over the duration
spike   base_users, then spike_users for spike_for seconds from spike_at, then base again
stages  a table of (until second, users, spawn rate)
soak    steady, for a long time at a moderate load
"""

from __future__ import annotations

from typing import Any

from locust import LoadTestShape
from paylab.load.common import settings
from paylab.load.common.profiles import load_profile, shape_defaults, users_at


def parameters(shape: str) -> dict[str, Any]:
    """The running profile's parameters when it uses `shape`, else the shape's defaults."""
    name = settings.profile_name()
    if name:
        profile = load_profile(name)
        if profile.shape == shape:
            return profile.params
    return shape_defaults(shape)


class _ProfileShape(LoadTestShape):
    abstract = True
    key = ""

    def __init__(self) -> None:
        super().__init__()
        self.params = parameters(self.key)

    def tick(self) -> tuple[int, float] | None:
        return users_at(self.key, self.params, self.get_run_time())


class SteadyShape(_ProfileShape):
    """A constant number of users for `duration` seconds."""

    key = "steady"


class RampShape(_ProfileShape):
    """From `start_users` to `end_users` in a straight line over `duration` seconds."""

    key = "ramp"


class SpikeShape(_ProfileShape):
    """A base load with one spike: does the system recover when it passes?"""

    key = "spike"


class StagesShape(_ProfileShape):
    """Users and spawn rate from a table of stages, each lasting until its second."""

    key = "stages"


class SoakShape(_ProfileShape):
    """Steady, for long enough to see leaks, backlogs and slow drifts."""

    key = "soak"


ALL = {shape.key: shape for shape in (SteadyShape, RampShape, SpikeShape, StagesShape,
                                      SoakShape)}
