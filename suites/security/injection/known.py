"""Real bugs the probes found that are not fixed yet, from `data/known_bugs.yaml`.

A test whose failures are all explained by its known bugs raises `KnownBug`, and is
marked `xfail(strict=True, raises=KnownBug)`: it shows as an expected failure naming the
bug, any other failure still fails it, and it fails again (XPASS) the day the bug is
fixed, so its entry gets removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatch
from functools import cache
from typing import Any

import pytest
import yaml
from paylab.suites.security.injection.engine import Probe
from paylab.suites.security.injection.payloads import DATA
from paylab.suites.security.injection.surfaces import Operation


class KnownBug(AssertionError):
    """Every failure of the test is explained by a known, reported bug."""


@dataclass(frozen=True)
class Bug:
    """One reported bug: the tests it shows in and the failed probes it explains."""

    id: str
    reason: str
    reproduce: str
    operations: tuple[str, ...]   # globs over `surface.Operation`
    categories: tuple[str, ...]
    methods: tuple[str, ...]
    fields: tuple[str, ...]       # globs over field names
    verdict: str                  # text every explained verdict contains

    def shows_in(self, op: Operation, category: str) -> bool:
        """Whether a test of this operation and category exhibits the bug."""
        return (any(fnmatch(op.id, g) for g in self.operations)
                and category in self.categories
                and (not self.methods or op.method in self.methods)
                and any(fnmatch(f.name, g) for f in op.fields for g in self.fields))

    def explains(self, probe: Probe) -> bool:
        """Whether a failed probe is this bug."""
        return (probe.payload is not None and self.verdict in probe.verdict.text
                and any(fnmatch(probe.field.name, g) for g in self.fields))


@cache
def bugs() -> tuple[Bug, ...]:
    """Every known bug."""
    entries: list[dict[str, Any]] = yaml.safe_load(
        (DATA / "known_bugs.yaml").read_text(encoding="utf-8")) or []
    return tuple(Bug(e["id"], e["reason"], e["reproduce"], tuple(e["operations"]),
                     tuple(e["categories"]), tuple(e.get("methods", ())),
                     tuple(e.get("fields", ("*",))), e["verdict"]) for e in entries)


def marks(op: Operation, category: str) -> list[pytest.MarkDecorator]:
    """`xfail(strict)` naming the bugs a test shows, or nothing."""
    found = [b for b in bugs() if b.shows_in(op, category)]
    if not found:
        return []
    return [pytest.mark.xfail(strict=True, raises=KnownBug,
                              reason="; ".join(f"{b.id}: {b.reason}" for b in found))]


def shown(op: Operation, category: str) -> bool:
    """Whether a known bug shows in this test: it then gets the whole catalogue in every
    field, whatever the run's bound, so its strict xfail keeps showing the bug."""
    return any(b.shows_in(op, category) for b in bugs())


def explained(op: Operation, category: str, failed: list[Probe]) -> list[Bug]:
    """The known bugs of this test that explain every failure, or [] if one is unexplained."""
    found = [b for b in bugs() if b.shows_in(op, category)]
    if not failed or not all(any(b.explains(p) for b in found) for p in failed):
        return []
    return [b for b in found if any(b.explains(p) for p in failed)]
