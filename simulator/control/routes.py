"""Control API operations and their contracts."""

from __future__ import annotations

from paylab.simulator.control import alert_receivers as ar
from paylab.simulator.control import alerts as alert_ops
from paylab.simulator.control import dashboard as d
from paylab.simulator.control import fees as f
from paylab.simulator.control import handlers as h
from paylab.simulator.control import merchants as m
from paylab.simulator.control import payments as p
from paylab.simulator.control import scenario as s
from paylab.simulator.control import settlements as st
from paylab.simulator.gateways.spec import Operation as Op

_J = "application/json"
_SQ = "control/scenario#/$defs/put_query"

OPERATIONS: tuple[Op, ...] = (
    Op("GET", "/", "Dashboard", d.page, "The live dashboard (HTML)", errors=(),
       content_type="text/html"),
    Op("GET", "/stats", "Stats", d.stats, "Dashboard figures: KPIs, series, tails",
       query="control/stats#/$defs/query", response="control/stats", errors=(400, 404),
       content_type=_J),  # 404: ?open= names a journal row that is not there
    Op("GET", "/metrics", "Metrics", d.prometheus,
       "Counters and latency histograms (Prometheus text)", errors=(),
       content_type="text/plain"),
    Op("GET", "/health", "Health", h.health, "Liveness, seed, clock and backlog",
       response="control/health", errors=(), content_type=_J),
    Op("POST", "/reset", "Reset", h.reset, "Forget all state, or one tenant's",
       request="control/reset", response="control/reset#/$defs/response", errors=(400, 404),
       content_type=_J),
    Op("GET", "/journal", "Journal", h.journal, "Every gateway request seen",
       query="control/journal#/$defs/query", response="control/journal", errors=(400,),
       content_type=_J),
    Op("GET", "/webhooks", "Webhooks", h.webhooks, "Webhook deliveries and their attempts",
       query="control/webhooks#/$defs/query", response="control/webhooks", errors=(400,),
       content_type=_J),
    Op("POST", "/webhooks/{id}/redeliver", "Redeliver", h.redeliver,
       "Queue one more attempt of a delivery", response="control/webhooks#/$defs/redelivered",
       errors=(404,), content_type=_J),
    Op("POST", "/webhooks/{id}/probe", "ProbeDelivery", h.probe_delivery,
       "Re-send a delivery with an attack applied (replay, stale, tampered...)",
       request="control/keys#/$defs/probe", response="control/keys#/$defs/probe_result",
       errors=(400, 404), content_type=_J),
    Op("POST", "/keys/revoke", "RevokeKey", h.revoke_key,
       "Refuse an API key from now on (or accept it again with revoked=false)",
       request="control/keys", response="control/keys#/$defs/revoked", errors=(400,),
       content_type=_J),
    Op("POST", "/clock/advance", "AdvanceClock", h.advance_clock, "Move the virtual clock",
       request="control/clock", response="control/clock#/$defs/response", errors=(400,),
       content_type=_J),
    Op("GET", "/ledger", "Ledger", h.get_ledger, "Ground truth per payment",
       query="control/ledger#/$defs/query", response="control/ledger", errors=(400,),
       content_type=_J),
    Op("GET", "/scenario", "GetScenario", s.get_scenario, "The active scenario and counters",
       query=_SQ, response="control/scenario#/$defs/state",
       errors=(400, 404), content_type=_J),
    Op("PUT", "/scenario", "PutScenario", s.put_scenario,
       "Activate a scenario (YAML or JSON body) or a preset", query=_SQ,
       request_body="control/scenario", response="control/scenario#/$defs/state",
       errors=(400, 404), content_type=_J),
    Op("DELETE", "/scenario", "DeleteScenario", s.delete_scenario, "Deactivate the scenario",
       query=_SQ, response="control/scenario#/$defs/cleared", errors=(400, 404), content_type=_J),
    Op("GET", "/scenario/presets", "ScenarioPresets", s.presets, "The shipped presets",
       response="control/scenario#/$defs/presets", errors=(), content_type=_J),
    Op("GET", "/openapi.json", "OpenAPI", h.openapi, "This document", errors=(),
       content_type=_J),
    *m.OPERATIONS,
    *p.OPERATIONS,
    *f.OPERATIONS,
    *st.OPERATIONS,
    *ar.OPERATIONS,
    # alert engine: GET /alerts, GET|PUT|DELETE /alerts/rules
    *alert_ops.OPERATIONS,
)
