"""Injection probes: SQL, NoSQL, command, path traversal, CRLF, template, XSS, oversized,
unicode tricks, invalid UTF-8 and deep nesting, in every field, query parameter, path
segment and header of every operation and HTML form of every probe surface (the Stripe
gateway, the control API, the merchant shop: `data/surfaces/`).

Each payload replaces one field of an otherwise valid request, and must reach that field's
own handling: accepted, or refused naming that very field, never stopped by another one.
Every answer must be safe: no 5xx, no trace, JSON served as JSON (HTML as HTML), no
markup made of the payload, no template evaluated, no header smuggled into the answer.
"""

from __future__ import annotations

import pytest
from paylab.simulator.gateways import all_gateways
from paylab.suites.plugins.evidence import Figures
from paylab.suites.plugins.shop import Shop
from paylab.suites.plugins.simulator import LiveSimulator
from paylab.suites.security.injection import known, summary
from paylab.suites.security.injection.bench import Bench
from paylab.suites.security.injection.engine import failures, probe_operation, run_async
from paylab.suites.security.injection.markup import Page
from paylab.suites.security.injection.payloads import payloads
from paylab.suites.security.injection.surfaces import Operation, surfaces

CATEGORIES = list(payloads())
CASES = [pytest.param(op, category, id=f"{op.id}-{category}", marks=known.marks(op, category))
         for s in surfaces() for op in s.operations for category in CATEGORIES]


@pytest.mark.parametrize(("op", "category"), CASES)
def test_injection(request: pytest.FixtureRequest, op: Operation, category: str) -> None:
    app: LiveSimulator | Shop = request.getfixturevalue(
        "shop" if op.base == "merchant" else "simulator")
    probes = probe_operation(app.url, op, category, every_payload=known.shown(op, category))
    failed = [p for p in probes if not p.verdict.ok]
    bugs = known.explained(op, category, failed)
    if bugs:
        raise known.KnownBug("known bugs: " + "; ".join(f"{b.id} ({b.reproduce})" for b in bugs)
                             + "\n" + "\n".join(failures(probes)[:5]))
    assert not failed, "\n".join(failures(probes)[:15])


def test_every_gateway_is_a_probe_surface() -> None:
    """A gateway added later must bring its surface file, and a new route shows up here."""
    by_prefix = {s.prefix: s for s in surfaces()}
    for gateway in all_gateways():
        found = by_prefix.get(gateway.prefix)
        assert found, f"gateway {gateway.name} has no file in suites/security/data/surfaces/"
        probed = {op.name for op in found.operations} | set(found.unprobed)
        assert {op.operation_id for op in gateway.operations} <= probed
    assert {"stripe", "control", "shop"} <= {s.name for s in surfaces()}


FORMS = [op for s in surfaces() for op in s.operations if op.page]


@pytest.mark.parametrize("op", FORMS, ids=[op.id for op in FORMS])
def test_a_form_probes_every_input_of_its_page(simulator: LiveSimulator, op: Operation) -> None:
    """The probed fields of the forms a page shows are exactly the inputs of that page."""
    answer = run_async(Bench(simulator.url).get(op.page or ""))
    assert answer.status == 200, answer.text[:300]
    inputs = {e.attrs["name"] for e in Page.parse(answer.text).elements
              if e.tag in ("input", "select", "textarea", "button") and e.attrs.get("name")}
    shown_with = [form for form in FORMS
                  if (form.surface, form.page) == (op.surface, op.page)]
    assert inputs == {f.name for form in shown_with for f in form.fields}


def test_injection_summary(figures: Figures) -> None:
    """Defined last, so it runs after every probe of this module: where they all ended up."""
    if not summary.recorded():
        pytest.skip("no injection probe ran in this session")
    line, table = summary.report()
    figures(line, table)
    missing = summary.surfaces_without_handler()
    assert not missing, f"no probe reached a handler on {missing}"
