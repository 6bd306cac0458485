"""Merchants of the gateways that sign or authenticate with per-merchant keys.

A merchant is `(gateway, merchant_id)` with its two keys, and a tenant of its own
(`f"{gateway}-{merchant_id}"`, recorded in the tenants table so the control API can name
it). The gateways' published stage merchants come from `data/stage_merchants.yaml` and
are seeded at start; more are registered on the control API. The catalog's `names` say what
each gateway calls the neutral fields; a gateway with one key has a second of length 0.
Keys are credentials: new ones come from the CSPRNG (core.credentials), never the seed,
and never reach a log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from paylab.simulator.core.clock import Clock
from paylab.simulator.core.credentials import new_credential
from paylab.simulator.core.errors import InvalidRequest
from paylab.simulator.core.rand import Rand
from paylab.simulator.core.store import Store
from paylab.simulator.core.tenants import Tenants
from paylab.simulator.core.yaml_text import load_yaml

_KEY_TEXT = r"[A-Za-z0-9]+"
_ID_TEXT = r"[A-Za-z0-9]+"
_COLUMNS = "gateway, merchant_id, tenant, hash_key, hash_iv, published, created"


@dataclass(frozen=True)
class Merchant:
    """One merchant's identity and keys. `repr` leaves the keys out (log lines)."""

    gateway: str
    merchant_id: str
    tenant: str
    hash_key: str = field(repr=False)
    hash_iv: str = field(repr=False)
    created: float
    #: One of a gateway's published stage merchants (its keys are public).
    published: bool = False

    def shown(self, *, reveal: bool = False) -> dict[str, Any]:
        """As the control API shows it: keys masked but for their last 4 characters,
        unless `reveal` (the answer to its registration) or published."""
        full = reveal or self.published
        shown = {"gateway": self.gateway, "merchant_id": self.merchant_id,
                 "tenant": self.tenant, "published": self.published, "created": self.created,
                 "hash_key": self.hash_key if full else mask(self.hash_key),
                 "hash_iv": self.hash_iv if full else mask(self.hash_iv)}
        names = (catalog().get(self.gateway) or {}).get("names")
        if names:  # the same values under the gateway's own names
            shown["credentials"] = {name: shown[field_] for field_, name in names.items()}
        return shown


def tenant_of(gateway: str, merchant_id: str) -> str:
    """The tenant a gateway's merchant is."""
    return f"{gateway}-{merchant_id}"


def mask(secret: str) -> str:
    """`secret` with all but its last 4 characters hidden."""
    return "*" * max(len(secret) - 4, 0) + secret[-4:]


@cache
def catalog() -> dict[str, dict[str, Any]]:
    """Per gateway: key lengths, merchant id rules and published stage merchants."""
    text = resources.files("paylab.simulator.core").joinpath(
        "data", "stage_merchants.yaml").read_text("utf-8")
    return load_yaml(text)


class Merchants:
    """Look up, register and seed merchants (rows of the `merchants` table)."""

    def __init__(self, store: Store, tenants: Tenants, clock: Clock, rand: Rand) -> None:
        self.store = store
        self.tenants = tenants
        self.clock = clock
        self.rand = rand

    @staticmethod
    def gateways() -> list[str]:
        """The gateways whose merchants this service keeps."""
        return list(catalog())

    def get(self, gateway: str, merchant_id: str) -> Merchant | None:
        """The merchant, or None when the gateway has no such merchant."""
        row = self.store.one(f"SELECT {_COLUMNS} FROM merchants "  # noqa: S608 - fixed columns
                             "WHERE gateway = ? AND merchant_id = ?", (gateway, merchant_id))
        return _merchant(row) if row else None

    def for_tenant(self, tenant: str) -> Merchant | None:
        """The merchant a tenant is, or None (not a merchant tenant)."""
        row = self.store.one(f"SELECT {_COLUMNS} FROM merchants WHERE tenant = ?",  # noqa: S608
                             (tenant,))
        return _merchant(row) if row else None

    def listing(self, gateway: str | None = None) -> list[Merchant]:
        """Every merchant (of one gateway), oldest first."""
        where, args = ("WHERE gateway = ?", (gateway,)) if gateway else ("", ())
        rows = self.store.all(f"SELECT {_COLUMNS} FROM merchants {where} "  # noqa: S608
                              "ORDER BY created, gateway, merchant_id", args)
        return [_merchant(r) for r in rows]

    def register(self, gateway: str, merchant_id: str | None = None,
                 hash_key: str | None = None, hash_iv: str | None = None) -> Merchant:
        """A new merchant; what is not given is generated (an id from the seeded stream,
        keys from the CSPRNG). InvalidRequest on an unknown gateway, a malformed id or
        key, or a merchant id the gateway already has."""
        rules = catalog().get(gateway)
        if rules is None:
            raise InvalidRequest("gateway_unknown", f"No gateway {gateway!r} keeps merchants; "
                                 f"one of: {', '.join(catalog())}.", param="gateway")
        lengths = rules["key_lengths"]
        key_text = rules.get("key_text", _KEY_TEXT)
        for name, value in (("hash_key", hash_key), ("hash_iv", hash_iv)):
            if value is not None and (len(value) != lengths[name]
                                      or (value and not re.fullmatch(key_text, value))):
                raise InvalidRequest("key_invalid", f"A {gateway} {name} is {lengths[name]} "
                                     f"{_spelled(key_text)}.", param=name)
        if merchant_id is None:
            merchant_id = self._new_id(gateway, rules["merchant_id"])
        else:
            _check_id(gateway, merchant_id, rules["merchant_id"])
            if self.get(gateway, merchant_id) is not None:
                raise InvalidRequest("merchant_exists", f"The {gateway} merchant "
                                     f"{merchant_id} already exists.", param="merchant_id")
        merchant = Merchant(gateway, merchant_id, tenant_of(gateway, merchant_id),
                            hash_key or new_credential(lengths["hash_key"]),
                            hash_iv if hash_iv is not None else new_credential(lengths["hash_iv"]),
                            self.clock.wall())
        if not self._insert(merchant):  # another process registered it a moment ago
            raise InvalidRequest("merchant_exists", f"The {gateway} merchant "
                                 f"{merchant_id} already exists.", param="merchant_id")
        return merchant

    def ensure_stage(self, gateway: str, merchants: list[dict[str, str]]) -> int:
        """Seed a gateway's published stage merchants where missing (idempotent: a
        restart or a second process adds nothing); returns how many were added."""
        added = 0
        for spec in merchants:
            if self.get(gateway, spec["merchant_id"]) is None:
                self._insert(Merchant(gateway, spec["merchant_id"],
                                      tenant_of(gateway, spec["merchant_id"]),
                                      spec["hash_key"], spec["hash_iv"], self.clock.wall(),
                                      published=True))
                added += 1
        return added

    def seed_published(self) -> int:
        """At start-up: every gateway's published stage merchants, from the catalog."""
        return sum(self.ensure_stage(gateway, rules.get("merchants") or [])
                   for gateway, rules in catalog().items())

    def restore_tenants(self, tenant: str | None = None) -> None:
        """After a reset dropped tenant rows: merchants stay, so their tenants do too."""
        for merchant in self.listing():
            if tenant is None or merchant.tenant == tenant:
                self.tenants.seen(merchant.tenant)

    def _insert(self, merchant: Merchant) -> bool:
        """Store a merchant unless its id is taken; False when it was."""
        cursor = self.store.write(
            f"INSERT OR IGNORE INTO merchants ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
            (merchant.gateway, merchant.merchant_id, merchant.tenant, merchant.hash_key,
             merchant.hash_iv, int(merchant.published), merchant.created))
        if cursor.rowcount != 1:
            return False
        self.tenants.seen(merchant.tenant)
        return True

    def _new_id(self, gateway: str, rule: dict[str, Any]) -> str:
        """An unused merchant id shaped like the gateway's (seeded: ids are no secret)."""
        while True:
            digits = "".join(str(self.rand.randint(0, 9)) for _ in range(rule["digits"]))
            candidate = f"{rule['prefix']}{digits}"
            if self.get(gateway, candidate) is None:
                return candidate


def _check_id(gateway: str, merchant_id: str, rule: dict[str, Any]) -> None:
    max_length, text = rule["max_length"], rule.get("text", _ID_TEXT)
    if not 1 <= len(merchant_id) <= max_length or not re.fullmatch(text, merchant_id):
        raise InvalidRequest("merchant_id_invalid", f"A {gateway} merchant id is 1 to "
                             f"{max_length} {_spelled(text)}.", param="merchant_id")


def _spelled(pattern: str) -> str:
    """How an error names the characters a pattern allows."""
    return "letters and digits" if pattern == _ID_TEXT else f"characters matching {pattern}"


def _merchant(row: tuple) -> Merchant:
    gateway, merchant_id, tenant, hash_key, hash_iv, published, created = row
    return Merchant(gateway, merchant_id, tenant, hash_key, hash_iv, created, bool(published))
