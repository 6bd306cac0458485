"""Unit fixtures: an in-memory domain with a controllable clock."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from paylab.simulator.core.clock import Clock
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.store import Store

DATA = Path(__file__).parent / "data"


class FakeWall:
    """A wall clock tests move by hand."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="session")
def vectors() -> dict[str, Any]:
    """The project's copy of shared/protocols/vectors.json."""
    return json.loads((DATA / "vectors.json").read_text(encoding="utf-8"))


@pytest.fixture
def wall() -> FakeWall:
    """The fake wall clock behind `domain`."""
    return FakeWall()


@pytest.fixture
def domain(wall: FakeWall) -> Domain:
    """A fresh domain over an in-memory SQLite store."""
    return Domain(Store(":memory:"), Clock(wall=wall), seed=7, retry_schedule=(5, 300, 1800))


TENANT = "acct_unit"
