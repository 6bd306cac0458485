"""The run's totals: how many probes reached a handler and how many stopped at validation,
per surface and per operation (the counts `engine.probe_operation` records)."""

from __future__ import annotations

from paylab.suites.security.injection.engine import REACHES, TALLY, TALLY_BY_OPERATION
from paylab.suites.security.injection.surfaces import surfaces


def _registered() -> set[str]:
    """Only the probe surfaces count (not the stub apps of `test_probes_can_fail.py`)."""
    return {s.name for s in surfaces()}


def recorded() -> bool:
    """Whether any probe of a registered surface ran in this process."""
    return any(surface in _registered() for surface, _ in TALLY)


def _row(name: str, counts: dict[str, int]) -> str:
    total = sum(counts.values())
    return f"{name:<44} {total:>6} " + " ".join(f"{counts.get(r, 0):>10}" for r in REACHES)


def report() -> tuple[str, str]:
    """One summary line, and the table by surface and by operation."""
    by_surface: dict[str, dict[str, int]] = {}
    for (surface, reach), n in TALLY.items():
        if surface in _registered():
            by_surface.setdefault(surface, {})[reach] = n
    by_operation: dict[str, dict[str, int]] = {}
    for (op, reach), n in TALLY_BY_OPERATION.items():
        if op.partition(".")[0] in _registered():
            by_operation.setdefault(op, {})[reach] = n
    totals = {r: sum(c.get(r, 0) for c in by_surface.values()) for r in REACHES}
    line = (f"injection: {sum(totals.values())} probes, {totals['handler']} reached a handler, "
            f"{totals['validation']} stopped at the field's validation, {totals['parsing']} "
            f"refused as undecodable, {totals['unverified']} unverified, {totals['failed']} "
            "failed (known bugs included); by surface: " + ", ".join(
                f"{s} {c.get('handler', 0)}/{sum(c.values())} reached a handler"
                for s, c in sorted(by_surface.items())))
    head = f"{'':<44} {'total':>6} " + " ".join(f"{r:>10}" for r in REACHES)
    table = "\n".join([head, *(_row(s, c) for s, c in sorted(by_surface.items())), "",
                       head, *(_row(o, c) for o, c in sorted(by_operation.items()))])
    return line, table


def surfaces_without_handler() -> list[str]:
    """Surfaces probed where not one probe reached a handler (every probe stopped early)."""
    probed = {s for s, _ in TALLY} & _registered()
    return sorted(s for s in probed if not TALLY[(s, "handler")])
