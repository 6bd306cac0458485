"""Browser layer: every test gets a trace (kept on failure), a screenshot of each final page,
and the shop tenant's journal slice. Fixtures live in suites/plugins/browser.py and shop.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from paylab.suites.plugins.simulator import LiveSimulator, stop_simulator
from paylab.suites.plugins.standing_clock import start_with_standing_clock


@pytest.fixture(autouse=True)
def _evidence(browser_evidence: None, shop_journal: None) -> None:
    """Attach the browser and journal evidence to every browser test."""


@pytest.fixture(scope="session")
def standing_simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSimulator]:
    """A second simulator whose virtual clock moves only when a test moves it, for the tests
    that expire codes: moving the clock of the layer's shared simulator would shift every
    other test's timers and retries. Started once, by the first test that asks for it."""
    own = start_with_standing_clock(tmp_path_factory.mktemp("standing"), name="standing")
    yield own
    stop_simulator(own)
