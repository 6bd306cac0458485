"""The merchant balance: an entry for every payment settled and every refund, with the
gateway's fee (from its fee schedule) and the date the funds become available."""

from __future__ import annotations

from paylab.simulator.core.clock import Clock
from paylab.simulator.core.events import Events
from paylab.simulator.core.objects import Objects
from paylab.simulator.core.rand import Rand


class Balance:
    """(being built)"""

    def __init__(self, objects: Objects, events: Events, clock: Clock, rand: Rand) -> None:
        self.objects = objects
        self.events = events
        self.clock = clock
        self.rand = rand
