"""The run's bound on payloads per field (PAYLAB_INJECTION_PAYLOADS) keeps the catalogue
whole: each field gets its share in turn, so every payload still reaches some field of an
operation with enough fields, and `all` sends every payload to every field."""

from __future__ import annotations

import pytest
from paylab.suites.security.injection.payloads import (
    PER_FIELD_DEFAULT,
    for_field,
    payloads,
    per_field_bound,
)
from paylab.suites.security.injection.surfaces import surfaces


def test_the_bound_comes_from_the_variable() -> None:
    assert per_field_bound({}) == PER_FIELD_DEFAULT == 2
    assert per_field_bound({"PAYLAB_INJECTION_PAYLOADS": "all"}) is None
    assert per_field_bound({"PAYLAB_INJECTION_PAYLOADS": " 3 "}) == 3


@pytest.mark.parametrize("value", ["0", "-1", "two", "2.5"])
def test_a_bad_bound_is_refused_by_name(value: str) -> None:
    with pytest.raises(ValueError, match="PAYLAB_INJECTION_PAYLOADS"):
        per_field_bound({"PAYLAB_INJECTION_PAYLOADS": value})


def test_neighbouring_fields_get_different_payloads_in_turn() -> None:
    catalogue = ["a", "b", "c", "d", "e"]
    assert [for_field(catalogue, i, None, 2) for i in range(3)] == [
        ["a", "b"], ["c", "d"], ["e", "a"]]
    assert for_field(catalogue, 1, 3, None) == ["d", "e", "a"]  # the surface's own bound
    assert for_field(catalogue, 1, 4, 2) == ["c", "d"]  # the smaller bound wins
    assert for_field(catalogue, 7, None, None) == catalogue
    assert for_field(catalogue, 7, 9, None) == catalogue


def test_every_payload_still_reaches_a_field_of_every_wide_operation() -> None:
    bound = per_field_bound({})
    for surface in surfaces():
        for op in surface.operations:
            for category, catalogue in payloads().items():
                if len(op.fields) * min(bound, op.payloads or bound) < len(catalogue):
                    continue  # too few fields to hold the whole catalogue
                sent = [repr(p) for i in range(len(op.fields))
                        for p in for_field(catalogue, i, op.payloads, bound)]
                assert {repr(p) for p in catalogue} <= set(sent), (op.id, category)
