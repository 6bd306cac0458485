"""Run the probes of one operation and one payload category, concurrently, and report them.

Each field first gets a control probe: the valid request with a harmless value in that
field, which must be accepted; it proves the request reaches the handler, so a payload
refused for some other reason is a broken probe, and it is the baseline the evaluation
check compares with. Then every payload goes into every field.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import allure
from paylab.suites.security.injection.bench import Bench, ObjectError, Wire
from paylab.suites.security.injection.payloads import (
    for_field,
    label,
    nesting,
    payloads,
    per_field_bound,
)
from paylab.suites.security.injection.shapes import Field
from paylab.suites.security.injection.surfaces import Operation
from paylab.suites.security.injection.verdict import Verdict, judge
from paylab.suites.security.injection.wire import Answer

#: Requests in flight at once: enough to keep a simulator busy, few enough for two cores.
CONCURRENCY = 16
#: Where a passing probe ended up (see `verdict`), and `failed` for every failing one.
REACHES = ("handler", "validation", "parsing", "unverified", "failed")
T = TypeVar("T")

#: Where every probe of this process ended up, by (surface, reach); read by the summary.
TALLY: Counter[tuple[str, str]] = Counter()
#: Probes per operation, by (operation id, reach).
TALLY_BY_OPERATION: Counter[tuple[str, str]] = Counter()


@dataclass
class Probe:
    """One request with one payload (None: the control value) in one field."""

    field: Field
    payload: Any
    wire: Wire | None = None
    answer: Answer | None = None
    verdict: Verdict = dataclasses.field(default_factory=lambda: Verdict(False, "none", "not run"))

    @property
    def status(self) -> int:
        """The answer's status; -1 when nothing was sent."""
        return self.answer.status if self.answer else -1

    def row(self) -> str:
        """One line of the report table."""
        return (f"{'PASS' if self.verdict.ok else 'FAIL'}  {self.verdict.reach:<10} "
                f"{self.status:>4}  {self.field.where:<6} {self.field.key[:34]:<34} "
                f"{_shown(self.payload):<62} {self.verdict.text}")


def applies(payload: Any, field: Field) -> bool:
    """Deep nesting is a shape of keys: it has no meaning in a path segment or a header."""
    return not nesting(payload) or field.where in ("body", "query")  # not cookie either


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on its own thread (Playwright's sync API owns this thread's loop)."""
    box: dict[str, Any] = {}

    def runner() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=runner)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


async def _run(bench: Bench, op: Operation, category: str, bound: int | None
               ) -> list[Probe]:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def send(probe: Probe, control: Probe | None) -> None:
        async with gate:
            try:
                probe.wire = await bench.request(op, probe.field, probe.payload)
            except (ObjectError, KeyError, LookupError, ValueError) as exc:
                probe.verdict = Verdict(False, "none", f"not sent: {exc}"[:300])
                return
            probe.answer = await bench.send(probe.wire)
        baseline = control.answer if control else None
        probe.verdict = judge(op, probe.field, probe.payload, probe.answer, baseline)
        if control is not None and not control.verdict.ok:  # keep its own problems too
            own = "" if probe.verdict.ok else f"; {probe.verdict.text}"
            probe.verdict = Verdict(False, probe.verdict.reach, "the control probe of this "
                                    f"field failed, so this one proves nothing{own}"[:300])

    controls = {f.name: Probe(f, None) for f in op.fields} if op.control else {}
    await asyncio.gather(*(send(c, None) for c in controls.values()))
    # a surface may bound them (time budget), and so may the run (PAYLAB_INJECTION_PAYLOADS)
    catalogue = payloads()[category]
    probes = [Probe(f, p) for i, f in enumerate(op.fields)
              for p in for_field(catalogue, i, op.payloads, bound) if applies(p, f)]
    await asyncio.gather(*(send(p, controls.get(p.field.name)) for p in probes))
    return list(controls.values()) + probes


def probe_operation(base_url: str, op: Operation, category: str, *,
                    every_payload: bool = False) -> list[Probe]:
    """The payloads of `category` in every field of `op` (as many per field as the run's
    bound allows, or all of them); reported, counted, returned."""
    bound = None if every_payload else per_field_bound()
    probes = run_async(_run(Bench(base_url), op, category, bound))
    counted = Counter(p.verdict.reach if p.verdict.ok else "failed" for p in probes
                      if p.payload is not None)
    for reach, n in counted.items():
        TALLY[(op.surface, reach)] += n
        TALLY_BY_OPERATION[(op.id, reach)] += n
    summary = ", ".join(f"{counted[r]} {r}" for r in REACHES if counted[r])
    table = "\n".join(p.row() for p in probes)
    controls = sum(p.payload is None for p in probes)
    allure.attach(f"{len(probes)} probes ({controls} controls): {summary}\n\n"
                  f"verdict reach      status where  field{' ' * 30}payload{' ' * 56}"
                  f"answer\n{table}",
                  name=f"{op.method} {op.id} / {category}: {summary}",
                  attachment_type=allure.attachment_type.TEXT)
    failed = [p for p in probes if not p.verdict.ok and p.wire is not None][:5]
    if failed:
        allure.attach("\n\n".join(_exchange(p) for p in failed),
                      name="failed probes: requests and answers",
                      attachment_type=allure.attachment_type.TEXT)
    return probes


def _shown(payload: Any) -> str:
    return "(control)" if payload is None else label(payload)


def _exchange(probe: Probe) -> str:
    answer = probe.answer or Answer()
    head = "\n".join(f"{k}: {v}" for k, v in answer.headers)
    sent = probe.wire.shown() if probe.wire else ""
    return (f"{probe.field.key} = {_shown(probe.payload)}\n{sent}\n--> HTTP {answer.status} "
            f"{answer.error}\n{head}\n\n{answer.text[:800]}")


def failures(probes: list[Probe]) -> list[str]:
    """One line per failed probe, for the assertion message."""
    return [f"{p.field.where} {p.field.key} = {_shown(p.payload)}: {p.verdict.text} "
            f"(status {p.status})" for p in probes if not p.verdict.ok]
