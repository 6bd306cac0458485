"""paylab.testing: the pytest plugin and the helpers behind its fixtures.

The plugin (`paylab.testing.plugin`) loads by itself once paylab is installed; the
classes here are for tests that need more than the fixtures give (a second simulator, a
receiver that fails on purpose, a client for another tenant).
"""

from __future__ import annotations

from paylab.testing.server import (
    LiveSimulator,
    free_port,
    start_simulator,
    stop_simulator,
    wait_healthy,
)

__all__ = ["LiveSimulator", "free_port", "start_simulator", "stop_simulator", "wait_healthy"]
