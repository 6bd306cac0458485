"""Typed request keys: what middlewares learn about a request and the gateways read.

The scenario middleware decides who the client is and whether the attempt's outcome is
forced; the kit pipeline turns both into the `Origin` it passes to the core.
"""

from __future__ import annotations

from aiohttp import web
from paylab.simulator.core.cards import Behaviour
from paylab.simulator.core.overrides import Client

#: The client behind the request (fraud rules read it).
CLIENT = web.RequestKey("paylab_client", Client)
#: A scenario's forced outcome for the payment attempts of this request.
OUTCOME = web.RequestKey("paylab_outcome", Behaviour)
