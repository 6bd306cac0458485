"""Contract layer fixtures: the server's timing settings, for tests that depend on them."""

from __future__ import annotations

import pytest
from paylab.suites.plugins.server_settings import ServerSettings, read_settings
from paylab.suites.plugins.simulator import Control


@pytest.fixture
def server_settings(control: Control) -> ServerSettings:
    """Retry schedule, webhook timeout and clock speed of the simulator under test."""
    return read_settings(control)
