"""Setups: saving a payment method for later payments without the shopper.

A setup confirms a method once (3-D Secure when the card asks for it) and, when it
succeeds, saves it to its customer. Built by the SetupIntents work (issue 14)."""

from __future__ import annotations

from paylab.simulator.core.clock import Clock
from paylab.simulator.core.customers import Customers
from paylab.simulator.core.events import Events
from paylab.simulator.core.methods import Methods
from paylab.simulator.core.objects import Objects
from paylab.simulator.core.rand import Rand
from paylab.simulator.core.timers import Timers


class Setups:
    """(being built)"""

    def __init__(self, objects: Objects, events: Events, methods: Methods,
                 customers: Customers, timers: Timers,
                 clock: Clock, rand: Rand) -> None:
        self.objects = objects
        self.events = events
        self.methods = methods
        self.customers = customers
        self.timers = timers
        self.clock = clock
        self.rand = rand
