"""Browser layer: every test gets a trace (kept on failure), a screenshot of each final page,
and the shop tenant's journal slice. Fixtures live in suites/plugins/browser.py and shop.py."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _evidence(browser_evidence: None, shop_journal: None) -> None:
    """Attach the browser and journal evidence to every browser test."""
