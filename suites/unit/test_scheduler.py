"""Timers: a failing handler drops its timer; storage trouble keeps it due."""

from __future__ import annotations

import pytest
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import StorageUnavailable
from paylab.simulator.scheduler import Scheduler
from paylab.suites.unit.conftest import TENANT


def _scheduler_with(domain: Domain, failure: Exception) -> Scheduler:
    scheduler = Scheduler(domain)

    def handler(*_: object) -> None:
        raise failure

    scheduler.handlers["settle_payment"] = handler
    domain.timers.schedule(TENANT, "settle_payment", "pi_1", 0, {})
    return scheduler


def test_a_timer_whose_handler_fails_is_dropped(domain: Domain) -> None:
    scheduler = _scheduler_with(domain, ValueError("bug in the handler"))
    assert scheduler.fire_due() == 1
    assert domain.timers.due() == []


def test_a_timer_stays_due_while_storage_refuses_writes(domain: Domain) -> None:
    scheduler = _scheduler_with(domain, StorageUnavailable("storage_unavailable", "full"))
    with pytest.raises(StorageUnavailable):
        scheduler.fire_due()
    assert [t.ref for t in domain.timers.due()] == ["pi_1"]
