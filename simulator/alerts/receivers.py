"""Alert receivers: where firing and resolved alerts are POSTed, and in what shape.

A receiver is a name, a URL and a Standard Webhooks secret, configured globally (every
alert) or per tenant (that tenant's alerts). `Receivers.notify(alert)` runs inside the
alert engine's transaction and only queues: one row per receiver in the simulator's
durable webhook outbox (core.outbox), which the one dispatcher delivers with its retries
and backoff, once across processes. The body is Alertmanager's webhook JSON (version 4),
so teams can route paylab's alerts like any other; it is signed with Standard Webhooks
headers (webhook-id, webhook-timestamp, webhook-signature).

Receivers and the queued notices live in the store under a scope of their own
(`~alerts` for global receivers, `~alerts:<tenant>` for a tenant's): the outbox finds
its target and its message by (scope, id) as it does for any delivery, and no gateway
listing (events, webhook endpoints) ever shows them. Secrets are shown once, when set,
and masked everywhere else; they are never logged nor journaled.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import secrets
import urllib.parse
from typing import Any

import orjson
from paylab.simulator import __version__
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.endpoints import KIND as TARGET_KIND
from paylab.simulator.core.endpoints import check_target
from paylab.simulator.core.errors import InvalidRequest
from paylab.simulator.core.events import EVENT_KIND
from paylab.simulator.core.objects import Doc
from paylab.simulator.webhooks.signing import standard_webhooks_signature

#: The `gateway` of alert deliveries in the outbox: the dispatcher's notifier key.
GATEWAY = "alerts"
#: Store scope of the global receivers; a tenant's are under `~alerts:<tenant>`.
GLOBAL_SCOPE = "~alerts"
RECEIVER_PREFIX = "amr"
NOTICE_PREFIX = "amn"
SECRET_PREFIX = "whsec_"  # noqa: S105 - the scheme's prefix, not a secret
#: Standard Webhooks: a secret is 24 to 64 random bytes, base64-encoded.
SECRET_BYTES = 32
SECRET_MIN_BYTES, SECRET_MAX_BYTES = 24, 64
MAX_RECEIVERS = 20
#: Alertmanager's `endsAt` while an alert is firing (Go's zero time).
ZERO_TIME = "0001-01-01T00:00:00Z"
VERSION = "4"
#: Signs the deliveries a scenario marks `bad_signature` (a key no receiver holds).
WRONG_KEY = SECRET_PREFIX + base64.b64encode(b"\0" * SECRET_BYTES).decode()


def scope_of(tenant: str | None) -> str:
    """The store scope of a tenant's receivers (None: the global ones)."""
    return GLOBAL_SCOPE if tenant is None else f"{GLOBAL_SCOPE}:{tenant}"


def new_secret() -> str:
    """A fresh Standard Webhooks secret: `whsec_` and base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def check_secret(secret: str) -> None:
    """InvalidRequest unless `secret` is `whsec_` + base64 of 24 to 64 bytes."""
    raw = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(raw, validate=True) if secret.startswith(SECRET_PREFIX) else b""
    except (binascii.Error, ValueError):
        key = b""
    if not SECRET_MIN_BYTES <= len(key) <= SECRET_MAX_BYTES:
        raise InvalidRequest("invalid_secret", "A receiver's secret must be whsec_ followed "
                             f"by the base64 of {SECRET_MIN_BYTES} to {SECRET_MAX_BYTES} "
                             "random bytes (leave it out to have one generated).",
                             param="secret")


def mask(secret: str) -> str:
    """A secret as GET shows it: the prefix and its last four characters."""
    return f"{SECRET_PREFIX}...{secret[-4:]}"


def rfc3339(epoch: float) -> str:
    """UTC RFC 3339 with milliseconds, as Alertmanager writes times."""
    at = dt.datetime.fromtimestamp(epoch, dt.UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _labels(alert: dict[str, Any]) -> dict[str, str]:
    """The alert's labels as strings (Alertmanager's labels are), with its tenant."""
    labels = {str(k): str(v) for k, v in (alert.get("labels") or {}).items() if v is not None}
    labels.setdefault("alertname", str(alert.get("rule", "")))
    if alert.get("tenant"):
        labels.setdefault("tenant", str(alert["tenant"]))
    return labels


def group_key(group_labels: dict[str, str]) -> str:
    """Alertmanager's groupKey for the root route: `{}:{name="value", ...}`."""
    pairs = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}"
                      for k, v in sorted(group_labels.items()))
    return "{}:{" + pairs + "}"


def payload(alert: dict[str, Any], receiver: str, base_url: str) -> dict[str, Any]:
    """Alertmanager's webhook body (version 4) for one alert's transition."""
    labels = _labels(alert)
    annotations = {str(k): str(v) for k, v in (alert.get("annotations") or {}).items()}
    status = "resolved" if alert.get("status") == "resolved" else "firing"
    ends = alert.get("ends_at")
    external = base_url.rstrip("/") + "/_sim/"
    query = {"status": "all", **({"tenant": alert["tenant"]} if alert.get("tenant") else {})}
    groups = {k: labels[k] for k in ("alertname", "tenant") if k in labels}
    return {
        "version": VERSION,
        "groupKey": group_key(groups),
        "truncatedAlerts": 0,
        "status": status,
        "receiver": receiver,
        "groupLabels": groups,
        "commonLabels": labels,
        "commonAnnotations": annotations,
        "externalURL": external,
        "alerts": [{
            "status": status,
            "labels": labels,
            "annotations": annotations,
            "startsAt": rfc3339(float(alert["starts_at"])),
            "endsAt": rfc3339(float(ends)) if status == "resolved" and ends is not None
            else ZERO_TIME,
            "generatorURL": f"{external}alerts?{urllib.parse.urlencode(query)}",
            "fingerprint": str(alert.get("fingerprint", "")),
        }],
    }


class Receivers:
    """Configure receivers per scope and queue a notice to each on every transition."""

    def __init__(self, domain: Domain) -> None:
        self.domain = domain

    # -- configuration ---------------------------------------------------------------------
    def listing(self, tenant: str | None, *, reveal: frozenset[str] = frozenset()
                ) -> list[dict[str, Any]]:
        """The scope's receivers, oldest first; secrets masked but those named in `reveal`."""
        docs = [d for _, d in self.domain.objects.all_of(TARGET_KIND, scope_of(tenant))]
        return [{"id": d["id"], "name": d["name"], "url": d["url"],
                 "secret": d["secret"] if d["id"] in reveal else mask(d["secret"]),
                 "created": d["created"]} for d in docs]

    def replace(self, tenant: str | None, wanted: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Make the scope's receivers exactly `wanted` ({name, url, secret?} each). A
        receiver kept by name keeps its id (its queued notices still go out) and its
        secret unless a new one is given; a new one without a secret gets a generated one.
        Secrets set by this call are shown in the answer, the others masked."""
        self._check(wanted)
        scope = scope_of(tenant)
        objects = self.domain.objects
        current = {d["name"]: d for _, d in objects.all_of(TARGET_KIND, scope)}
        shown: set[str] = set()
        with self.domain.store.atomic():
            for name in set(current) - {w["name"] for w in wanted}:
                objects.delete(scope, TARGET_KIND, current[name]["id"])
            for item in wanted:
                doc = current.get(item["name"])
                secret = item.get("secret") or (doc["secret"] if doc else new_secret())
                if doc is None or item.get("secret"):
                    shown.add(item["name"])
                if doc is None:
                    doc = {"id": self.domain.rand.new_id(RECEIVER_PREFIX), "object": "receiver",
                           "gateway": GATEWAY, "status": "enabled", "enabled_events": [],
                           "name": item["name"], "created": int(self.domain.clock.now())}
                    objects.insert(scope, TARGET_KIND, {**doc, "url": item["url"],
                                                        "secret": secret}, tag=GATEWAY)
                else:
                    objects.update(scope, TARGET_KIND, {**doc, "url": item["url"],
                                                        "secret": secret})
        ids = {d["id"] for _, d in objects.all_of(TARGET_KIND, scope) if d["name"] in shown}
        return self.listing(tenant, reveal=frozenset(ids))

    def clear(self, tenant: str | None) -> int:
        """Remove the scope's receivers (their queued notices are abandoned); the count."""
        scope = scope_of(tenant)
        docs = self.domain.objects.all_of(TARGET_KIND, scope)
        with self.domain.store.atomic():
            for _, doc in docs:
                self.domain.objects.delete(scope, TARGET_KIND, doc["id"])
        return len(docs)

    def _check(self, wanted: list[dict[str, Any]]) -> None:
        names = [w["name"] for w in wanted]
        if len(wanted) > MAX_RECEIVERS:
            raise InvalidRequest("too_many_receivers", f"At most {MAX_RECEIVERS} receivers "
                                 "per scope.", param="receivers")
        for i, item in enumerate(wanted):
            if names.index(item["name"]) != i:
                raise InvalidRequest("duplicate_receiver", f"Two receivers are named "
                                     f"{item['name']!r}: names are unique per scope.",
                                     param=f"receivers/{i}/name")
            parts = urllib.parse.urlsplit(item["url"])
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise InvalidRequest("invalid_url", f"Invalid receiver URL {item['url']!r}: "
                                     "it must be an absolute http or https URL.",
                                     param=f"receivers/{i}/url")
            try:
                check_target(self.domain.endpoints.self_address, item["url"])
                if item.get("secret"):
                    check_secret(item["secret"])
            except InvalidRequest as exc:
                field = "secret" if exc.param == "secret" else "url"
                raise InvalidRequest(exc.code, exc.message,
                                     param=f"receivers/{i}/{field}") from exc

    # -- notification ----------------------------------------------------------------------
    def notify(self, alert: dict[str, Any]) -> None:
        """Queue the alert's transition to every receiver that should hear of it: the
        global ones and its tenant's. Writes only, in the caller's transaction."""
        tenant = alert.get("tenant") or None
        scopes = [GLOBAL_SCOPE] + ([scope_of(tenant)] if tenant else [])
        now = self.domain.clock.now()
        rows = []
        with self.domain.store.atomic():
            for scope in scopes:
                targets = self.domain.objects.all_of(TARGET_KIND, scope)
                if not targets:
                    continue
                notice = {"id": self.domain.rand.new_id(NOTICE_PREFIX), "created": int(now),
                          "gateway": GATEWAY, "type": f"alert.{alert.get('status')}",
                          "alert": alert}
                self.domain.objects.insert(scope, EVENT_KIND, notice, tag=notice["type"])
                rows += [(scope, GATEWAY, notice["id"], doc["id"], now, now)
                         for _, doc in targets]
            if rows:
                self.domain.store.write_many(
                    "INSERT OR IGNORE INTO deliveries (tenant, gateway, event_id, endpoint_id, "
                    "status, next_at, created) VALUES (?, ?, ?, ?, 'pending', ?, ?)", rows)


class AlertNotifier:
    """The dispatcher's renderer for alert notices: Alertmanager JSON, Standard Webhooks
    signature (a fresh timestamp per attempt, the notice's id as webhook-id)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def render(self, event: Doc, endpoint: Doc, wall_time: int, *,
               bad_signature: bool = False) -> tuple[bytes, dict[str, str]]:
        """The body and signed headers of one attempt to `endpoint` (a receiver)."""
        body = orjson.dumps(payload(event["alert"], endpoint["name"], self.base_url))
        key = WRONG_KEY if bad_signature else endpoint["secret"]
        return body, {
            "Content-Type": "application/json",
            "User-Agent": f"paylab/{__version__}",
            "webhook-id": event["id"],
            "webhook-timestamp": str(wall_time),
            "webhook-signature": standard_webhooks_signature(key, event["id"], wall_time, body),
        }
