-- paylab simulator state. Every table is keyed by tenant first: tenants never share rows.
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Names stored as small integers: a tenant's or a kind's text is written once here and
-- its code everywhere else (each row and each index entry of object_rows), which took
-- about a quarter of a payment's bytes as text. A code never changes once committed.
CREATE TABLE IF NOT EXISTS names (
    code INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

-- Every domain object (payment, charge, refund, payment method, event, webhook endpoint)
-- as one document. `seq` is the rowid, so inserts append and lists page by it (newest
-- first); `parent` and `tag` filter lists and are indexed only where set. Writes go here
-- with codes (core/objects.py); SQL that reads reads the `objects` view below.
CREATE TABLE IF NOT EXISTS object_rows (
    seq         INTEGER PRIMARY KEY,
    tenant_code INTEGER NOT NULL,
    kind_code   INTEGER NOT NULL,
    id          TEXT    NOT NULL,
    created     REAL    NOT NULL,
    parent      TEXT,
    tag         TEXT,
    data        BLOB    NOT NULL
);
-- one index answers both "this tenant's object" and "this object, whoever owns it"
CREATE UNIQUE INDEX IF NOT EXISTS object_rows_id ON object_rows (kind_code, id, tenant_code);
CREATE INDEX IF NOT EXISTS object_rows_list   ON object_rows (tenant_code, kind_code);
CREATE INDEX IF NOT EXISTS object_rows_parent ON object_rows (tenant_code, kind_code, parent)
    WHERE parent IS NOT NULL;
CREATE INDEX IF NOT EXISTS object_rows_tag    ON object_rows (tenant_code, kind_code, tag)
    WHERE tag IS NOT NULL;
-- The documents with their tenant and kind as text, for SQL that reads (reports, KPIs,
-- retention, tools): a condition on `tenant` or `kind` resolves through `names` to the
-- code and then the same indexes. (A database written before codes keeps a table of this
-- name until Store's migration moves its rows into object_rows.)
CREATE VIEW IF NOT EXISTS objects AS
    SELECT o.seq AS seq, t.name AS tenant, k.name AS kind, o.id AS id, o.created AS created,
           o.parent AS parent, o.tag AS tag, o.data AS data
    FROM object_rows o JOIN names t ON t.code = o.tenant_code
                       JOIN names k ON k.code = o.kind_code;

CREATE TABLE IF NOT EXISTS idempotency (
    tenant      TEXT NOT NULL,
    key         TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    endpoint    TEXT NOT NULL,
    state       TEXT NOT NULL,          -- in_flight | done
    status      INTEGER,
    body        BLOB,
    created     REAL NOT NULL,
    PRIMARY KEY (tenant, key)
) WITHOUT ROWID;

-- The control dashboard's login sessions, by digest of the cookie value.
CREATE TABLE IF NOT EXISTS control_sessions (
    digest  TEXT PRIMARY KEY,
    expires REAL NOT NULL
) WITHOUT ROWID;

-- The durable webhook outbox: one row per (event, endpoint).
CREATE TABLE IF NOT EXISTS deliveries (
    id          INTEGER PRIMARY KEY,
    tenant      TEXT NOT NULL,
    gateway     TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    status      TEXT NOT NULL,          -- pending | in_flight | delivered | failed | abandoned
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     REAL,
    created     REAL NOT NULL,
    copy        INTEGER NOT NULL DEFAULT 0,   -- >0: a duplicate made by a scenario
    chaos       TEXT,                          -- scenario webhook effects, as JSON
    redeliveries TEXT,                         -- wall times of recent redeliveries, JSON
    UNIQUE (event_id, endpoint_id, copy)
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (status, next_at);
CREATE INDEX IF NOT EXISTS deliveries_tenant ON deliveries (tenant, id);

CREATE TABLE IF NOT EXISTS delivery_attempts (
    delivery_id INTEGER NOT NULL,
    n           INTEGER NOT NULL,
    started     REAL    NOT NULL,
    duration_ms REAL    NOT NULL,
    status_code INTEGER,
    response    TEXT,
    error       TEXT,
    signed_at   INTEGER,                 -- the signature timestamp that was sent
    PRIMARY KEY (delivery_id, n)
) WITHOUT ROWID;

-- Every request the gateways saw, for /_sim/journal.
CREATE TABLE IF NOT EXISTS journal (
    seq        INTEGER PRIMARY KEY,
    at         REAL NOT NULL,
    gateway    TEXT NOT NULL,
    tenant     TEXT,
    method     TEXT NOT NULL,
    path       TEXT NOT NULL,
    status     INTEGER NOT NULL,
    latency_ms REAL NOT NULL,
    request_id TEXT,
    run_id     TEXT,
    idempotency_key TEXT,
    effect     TEXT,
    direction  TEXT NOT NULL DEFAULT 'in'   -- in: a request to a gateway; out: a webhook attempt
);

-- Work to do later (settling a processing payment), durable like the state it changes.
CREATE TABLE IF NOT EXISTS timers (
    id      INTEGER PRIMARY KEY,
    tenant  TEXT NOT NULL,
    kind    TEXT NOT NULL,
    ref     TEXT NOT NULL,
    due_at  REAL NOT NULL,
    payload BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS timers_due ON timers (due_at);

-- Tenants the simulator has seen (an API call with their key, or named on the control API
-- with ahead=true), so a mistyped tenant is refused rather than scoping to nobody.
CREATE TABLE IF NOT EXISTS tenants (
    tenant     TEXT PRIMARY KEY,
    first_seen REAL NOT NULL
) WITHOUT ROWID;

-- Request latency histograms for /_sim/metrics: per gateway, method and route template,
-- one row per fixed bucket (the count that fell in it, not cumulative). In the database so
-- every process sharing it adds to the same figures; a reset keeps them (Prometheus
-- counters only go up).
CREATE TABLE IF NOT EXISTS latency_buckets (
    gateway TEXT    NOT NULL,
    method  TEXT    NOT NULL,
    route   TEXT    NOT NULL,
    bucket  INTEGER NOT NULL,
    count   INTEGER NOT NULL,
    sum_ms  REAL    NOT NULL,
    PRIMARY KEY (gateway, method, route, bucket)
) WITHOUT ROWID;

-- Merchants of the gateways that sign with per-merchant keys (ECPay, NewebPay): the
-- published stage merchants (seeded at start) and those registered on the control API.
-- Each merchant is a tenant (`tenant`, recorded in `tenants` too). Kept by resets, like
-- API keys: a reset forgets what a merchant did, not the credentials its shop is using.
CREATE TABLE IF NOT EXISTS merchants (
    gateway     TEXT    NOT NULL,
    merchant_id TEXT    NOT NULL,
    tenant      TEXT    NOT NULL UNIQUE,
    hash_key    TEXT    NOT NULL,
    hash_iv     TEXT    NOT NULL,
    published   INTEGER NOT NULL DEFAULT 0,   -- 1: a gateway's published stage merchant
    created     REAL    NOT NULL,
    PRIMARY KEY (gateway, merchant_id)
) WITHOUT ROWID;

-- One-time values a gateway's clients must never repeat (request nonces), per tenant and
-- scope, kept until `expires` so every process sharing the database refuses a replay.
CREATE TABLE IF NOT EXISTS nonces (
    tenant  TEXT NOT NULL,
    scope   TEXT NOT NULL,
    value   TEXT NOT NULL,
    expires REAL NOT NULL,
    PRIMARY KEY (tenant, scope, value)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS nonces_expiry ON nonces (expires);

-- alert engine
-- Threshold alerts: one row per firing episode of an alert (its identity is `fingerprint`,
-- a digest of tenant and labels). At most one row per fingerprint is `firing` (the partial
-- unique index), so processes sharing the database fire and resolve each episode once.
-- `tenant` is '' for alerts on all traffic; `last_breach` is when an event-driven alert
-- was last breached (it resolves a window after). Reset with the tenant's state.
CREATE TABLE IF NOT EXISTS alerts (
    seq         INTEGER PRIMARY KEY,
    tenant      TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    starts_at   REAL    NOT NULL,
    ends_at     REAL,
    last_breach REAL    NOT NULL,
    hold        REAL    NOT NULL,
    data        TEXT    NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS alerts_firing ON alerts (fingerprint) WHERE status = 'firing';
CREATE INDEX IF NOT EXISTS alerts_tenant ON alerts (tenant, seq);
-- Hits of `frequency` alert rules: one row per payment attempt per rule, counted per key
-- within the rule's window and pruned as they age out.
CREATE TABLE IF NOT EXISTS alert_hits (
    tenant TEXT NOT NULL,
    rule   TEXT NOT NULL,
    key    TEXT NOT NULL,
    at     REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_hits_key ON alert_hits (tenant, rule, key, at);
-- issue16: C - gateway calls and their outright failures are KPI figures (kpi_seconds,
-- figures calls and calls_failed); the old per-call table goes.
DROP TABLE IF EXISTS alert_requests;

-- Payment figures per tenant, gateway, payment method and second of the VIRTUAL clock
-- (core/kpi_windows.py): `figure` names what is counted (created, succeeded, failed,
-- decline:<reason>, amount:<currency>, amounts:<currency>:<amount to 3 digits>, refunds,
-- refunded:<currency>, challenges, fraud_blocks; latency:<bucket> under method '').
-- Windows sum the seconds they cover; a reset clears them (core/domain.py).
CREATE TABLE IF NOT EXISTS kpi_seconds (
    tenant  TEXT    NOT NULL,
    gateway TEXT    NOT NULL,
    method  TEXT    NOT NULL,
    second  INTEGER NOT NULL,
    figure  TEXT    NOT NULL,
    value   REAL    NOT NULL,
    PRIMARY KEY (tenant, gateway, method, second, figure)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS kpi_seconds_second ON kpi_seconds (second);
-- How the wall clock maps to the virtual one from `wall` on: virtual = `virtual` +
-- (wall time - `wall`) * `scale`; a row per start, clock advance and reset. Webhook
-- attempts and request latencies are stamped by the wall clock, their windows are virtual.
CREATE TABLE IF NOT EXISTS kpi_clock (
    wall    REAL PRIMARY KEY,
    virtual REAL NOT NULL,
    scale   REAL NOT NULL
) WITHOUT ROWID;

-- issue16: S  State every worker process on this file shares (core/rand.py, core/shared.py,
-- scenarios/tally.py). A full reset clears these tables.
-- The draw counter of each tenant's seeded stream ('' for draws outside a tenant's request).
CREATE TABLE IF NOT EXISTS rand_counters (
    tenant TEXT PRIMARY KEY,
    n      INTEGER NOT NULL
) WITHOUT ROWID;
-- The active scenarios: one per scope ('*' global, or a tenant), with when they loaded.
CREATE TABLE IF NOT EXISTS scenarios (
    scope     TEXT PRIMARY KEY,
    source    TEXT NOT NULL,
    loaded_at REAL NOT NULL
) WITHOUT ROWID;
-- Matches and applications of each active rule (phase: request, webhook or fraud).
CREATE TABLE IF NOT EXISTS scenario_counters (
    scope   TEXT    NOT NULL,
    phase   TEXT    NOT NULL,
    rule    INTEGER NOT NULL,
    matches INTEGER NOT NULL,
    applied INTEGER NOT NULL,
    PRIMARY KEY (scope, phase, rule)
) WITHOUT ROWID;
-- Timestamped hits of sliding windows: rate lifetimes ('request/<rule>') and fraud
-- windows ('fraud/<rule>/<check>/<key>'); rows older than their window are pruned.
CREATE TABLE IF NOT EXISTS scenario_hits (
    seq    INTEGER PRIMARY KEY,
    scope  TEXT    NOT NULL,
    slot   TEXT    NOT NULL,
    at     REAL    NOT NULL,
    amount INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS scenario_hits_slot ON scenario_hits (scope, slot, at);
-- Bumped by every change to what workers keep in memory (clock offset, revoked keys,
-- scenarios, a reset): a worker reloads those when it sees another number. Never reset.
CREATE TABLE IF NOT EXISTS shared_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
-- The dashboard's figures per WALL-clock second (simulator/metrics.py), summed over every
-- worker: series 'req<TAB>gateway<TAB>outcome', 'pay<TAB>gateway<TAB>method<TAB>kind',
-- 'amt<TAB>gateway<TAB>method', 'lat<TAB>bucket'. Kept for the last five minutes only.
CREATE TABLE IF NOT EXISTS metric_seconds (
    second INTEGER NOT NULL,
    series TEXT    NOT NULL,
    value  REAL    NOT NULL,
    PRIMARY KEY (second, series)
) WITHOUT ROWID;
-- Counters of /_sim/metrics since the database was created (a reset keeps them, as it
-- keeps the latency histograms): 'requests<TAB>gateway<TAB>outcome', 'injected<TAB>gateway'.
CREATE TABLE IF NOT EXISTS metric_totals (
    series TEXT PRIMARY KEY,
    value  INTEGER NOT NULL
) WITHOUT ROWID;
-- issue16: W
-- Leases between worker processes (`paylab serve --workers N`, simulator/leadership.py):
-- the worker holding `dispatcher` runs the webhook dispatcher, the timer scheduler and
-- the alert evaluator. `expires` is wall-clock seconds; a holder renews it every second.
CREATE TABLE IF NOT EXISTS leases (
    name    TEXT PRIMARY KEY,
    holder  TEXT NOT NULL,
    expires REAL NOT NULL
) WITHOUT ROWID;
