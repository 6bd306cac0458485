"""The product catalog: products and their one-time prices, which checkouts sell."""

from __future__ import annotations

from paylab.simulator.core.clock import Clock
from paylab.simulator.core.events import Events
from paylab.simulator.core.objects import Objects
from paylab.simulator.core.rand import Rand


class Catalog:
    """(being built)"""

    def __init__(self, objects: Objects, events: Events, clock: Clock, rand: Rand) -> None:
        self.objects = objects
        self.events = events
        self.clock = clock
        self.rand = rand
