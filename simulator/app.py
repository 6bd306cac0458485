"""The application factory: one root app, one sub-app per gateway, the control API,
and the webhook dispatcher as a background task tied to the app's lifetime."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from functools import cache, partial
from pathlib import Path

from aiohttp import web
from paylab.simulator import control
from paylab.simulator.alerts.evaluator import ALERTS as ALERT_ENGINE
from paylab.simulator.alerts.evaluator import Alerts
from paylab.simulator.alerts.receivers import GATEWAY as ALERTS
from paylab.simulator.alerts.receivers import AlertNotifier
from paylab.simulator.connections import ConnectionGuard
from paylab.simulator.contracts import Contracts
from paylab.simulator.control.handlers import ControlContext
from paylab.simulator.control.routes import OPERATIONS as CONTROL_OPERATIONS
from paylab.simulator.core import retention
from paylab.simulator.core.clock import Clock
from paylab.simulator.core.control_sessions import ControlSessions
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.self_address import SelfAddress
from paylab.simulator.core.store import Store
from paylab.simulator.deadlines import body_deadline_middleware
from paylab.simulator.gateways import all_gateways, tenant_for
from paylab.simulator.gateways.spec import Gateway
from paylab.simulator.guards import CONTROL_PREFIX, GUARD, Guard, control_refusal, secure_headers
from paylab.simulator.guards.auth import SESSION_SECONDS, ControlAuth
from paylab.simulator.guards.hosts import HostAllowList
from paylab.simulator.guards.origin import origin_of
from paylab.simulator.leadership import lead_background, name_worker
from paylab.simulator.metrics import Metrics
from paylab.simulator.middlewares import journal_middleware
from paylab.simulator.openapi import build_openapi
from paylab.simulator.scenarios.engine import ScenarioEngine
from paylab.simulator.scenarios.http import scenario_middleware
from paylab.simulator.scenarios.loader import load_named
from paylab.simulator.scheduler import SCHEDULER, Scheduler
from paylab.simulator.settings import Settings
from paylab.simulator.unrouted import unrouted_middleware
from paylab.simulator.webhooks.dispatcher import Dispatcher

log = logging.getLogger("paylab")

STATIC = Path(__file__).parent / "ui" / "static"
SETTINGS = web.AppKey("settings", Settings)
DOMAIN = web.AppKey("domain", Domain)
DISPATCHER = web.AppKey("dispatcher", Dispatcher)
ENGINE = web.AppKey("engine", ScenarioEngine)
#: The connection cap `paylab serve` listens through (see simulator.connections).
CONNECTIONS = web.AppKey("connections", ConnectionGuard)


def create_app(settings: Settings, contracts: Contracts | None = None) -> web.Application:
    """Build the simulator for `settings`; state opens now and closes with the app."""
    contracts = contracts or Contracts()
    store = Store(settings.db, synchronous=settings.synchronous, cache_mb=settings.cache_mb)
    store.recovers_at_open = settings.workers == 1  # issue16: W (else the leader recovers)
    clock = Clock(settings.time_scale, start=settings.clock_start)
    domain = Domain(store, clock, settings.seed, settings.retry_schedule,
                    SelfAddress(settings.host, settings.port, settings.public_url))
    gateways = all_gateways()
    for gateway in gateways:  # each gateway's published fees price its balance entries
        if gateway.fee_schedule is not None:
            domain.balance.fees.offer(gateway.name, gateway.fee_schedule)

    tenant_of = partial(tenant_for, gateways)
    # issue16: S - scenarios, counters and the clock shared with the other workers
    engine = ScenarioEngine(domain.clock, settings.seed, tenant_of, store, domain.shared)
    engine.restore(contracts)
    if settings.scenario:
        engine.load(load_named(settings.scenario, contracts, tenant_of))
    # alert engine: every payment attempt is shown to the alert rules, then
    # judged by the scenario's fraud rules
    alerts = Alerts.start(domain, contracts, tenant_of, settings.alert_rules)
    domain.payments.risk = alerts.assessor(engine)
    domain.outbox.chaos = engine.chaos

    # latency histograms in the store, shared by processes; KPI seconds on the virtual clock
    metrics = Metrics(store=store, virtual=domain.clock.now)
    domain.events.subscribe(metrics.event)
    guard = _guard(settings, domain, gateways)
    connections = ConnectionGuard()
    app = web.Application(middlewares=[
        guard.middleware,
        connections.middleware,
        unrouted_middleware(gateways),  # paths no mount serves: a hint, not a bare 404
        # issue16: C - also counts the calls alert rules judge outages by (metrics.request)
        journal_middleware(domain.journal, {g.prefix: g.name for g in gateways}, metrics),
        body_deadline_middleware(settings.read_timeout, {g.prefix: g.refusal for g in gateways
                                                         if g.refusal}, control_refusal),
        scenario_middleware(engine, domain, {g.prefix: (g.facts, g.fault)
                                             for g in gateways if g.facts and g.fault}),
    ])
    app[SETTINGS] = settings
    app[DOMAIN] = domain
    app[ENGINE] = engine
    app[GUARD] = guard
    app[CONNECTIONS] = connections
    app.on_response_prepare.append(secure_headers)
    if settings.workers > 1:  # issue16: W
        app.on_response_prepare.append(name_worker)
    app.router.add_static("/static/", STATIC, append_version=False)
    for gateway in gateways:
        app.add_subapp(gateway.prefix, guard.mount(
            gateway.build(domain, contracts, settings.base_url), gateway.prefix,
            gateway.refusal))

    @cache
    def openapi() -> dict:
        return build_openapi(contracts, gateways, CONTROL_OPERATIONS)

    dispatcher = Dispatcher(
        domain,
        {**{g.name: g.notifier(domain, settings.base_url) for g in gateways},
         ALERTS: AlertNotifier(settings.base_url)},  # alert receivers
        timeout=settings.webhook_timeout,
    )
    app[DISPATCHER] = dispatcher
    summary = {"db": settings.db, "guarded": bool(settings.control_token),
               "insecure": settings.insecure_control and not settings.control_token,
               "workers": settings.workers}
    app.add_subapp(CONTROL_PREFIX, guard.mount(control.build(ControlContext(
        domain, contracts, engine, gateways, summary, openapi, metrics, dispatcher.probe,
    )), CONTROL_PREFIX))
    app[SCHEDULER] = Scheduler(domain)
    app[ALERT_ENGINE] = alerts
    app.cleanup_ctx.append(_lifetime)
    return app


def _guard(settings: Settings, domain: Domain, gateways: list[Gateway]) -> Guard:
    """The guard for `settings`: allowed hosts, the control token, tenant-key reads."""

    def tenant_of_key(credential: str) -> str | None:
        # a tenant's own, unrevoked API key on some gateway; a tenant id is no credential
        for gateway in gateways:
            tenant = gateway.tenant_of(credential) if gateway.tenant_of else None
            if tenant:
                return None if tenant in domain.revoked else tenant
        return None

    auth = ControlAuth(settings.control_token, tenant_of_key, partial(tenant_for, gateways),
                       ControlSessions(domain.store, SESSION_SECONDS))
    public = origin_of(settings.public_url) if settings.public_url else None
    return Guard(HostAllowList.from_settings(settings), auth, public or None)


async def _lifetime(app: web.Application) -> AsyncIterator[None]:
    """Run the dispatcher while the app serves; close state after it stops."""
    domain = app[DOMAIN]
    # issue16: W - with several worker processes only the lease holder runs these
    work = {"webhook-dispatcher": app[DISPATCHER].run, "timer-scheduler": app[SCHEDULER].run,
            "alert-evaluator": app[ALERT_ENGINE].run}
    prune = retention.loop(domain.store, domain.clock, app[SETTINGS].retention_days)
    if prune is not None:  # old finished traffic goes, in the leader only
        work["retention"] = prune
    if app[SETTINGS].workers > 1:
        leadership = lead_background(domain, work, [domain.shared.refresh,
                                                    app[DISPATCHER].wake,
                                                    app[SCHEDULER].wake], app[DISPATCHER])
        tasks = [asyncio.create_task(leadership.run(), name="leadership")]
    else:
        tasks = [asyncio.create_task(start(), name=name) for name, start in work.items()]
    if domain.recovered_deliveries:
        log.info("resuming %d webhook deliveries left in flight", domain.recovered_deliveries)
    yield
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    domain.store.close()
