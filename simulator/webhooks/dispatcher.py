"""Delivers the outbox: claims due deliveries, POSTs them, records every attempt.

Runs as a background task of the app (started and stopped by a cleanup context). Bodies
come from the gateway's notifier, so the bytes match the event an API call retrieves;
each attempt is signed afresh with the current wall-clock time. A delivery's target is a
registered endpoint or a per-payment callback (core.callbacks); the notifier renders for
either, and says which answers count as received and how often to retry.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sqlite3
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import aiohttp
from paylab.simulator.core.callbacks import is_callback_id
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import StorageUnavailable
from paylab.simulator.core.journal import Entry
from paylab.simulator.core.objects import Doc
from paylab.simulator.core.outbox import Delivery
from paylab.simulator.waiting import wait_event
from paylab.simulator.webhooks.verdict import judge

log = logging.getLogger("paylab.webhooks")

IDLE_POLL_SECONDS = 1.0


class Notifier(Protocol):
    """A gateway's webhook format: the body and signed headers for one attempt.

    Optional members (looked up with `getattr`, so existing notifiers need neither):
    `accepts(status_code, body) -> bool`, the gateway's success contract (default: any
    2xx), and `retry_schedule: tuple[float, ...] | None`, its own delays between attempts
    (None or absent: the outbox's; an explicit --retry-schedule overrides every gateway's).
    `forge` is needed only for probes.
    """

    def render(self, event: Doc, endpoint: Doc, wall_time: int, *,
               bad_signature: bool = False) -> tuple[bytes, dict[str, str]]:
        """Bytes to POST and the headers (signature included) to send with them.

        `endpoint` is the target: a webhook endpoint document, or a callback document
        (`id` cb_..., `url`, `subject_id`, `kinds`, `tenant`, `metadata`).
        `bad_signature` signs with the wrong key, as a scenario effect.
        """
        ...

    def forge(self, attack: str, event: Doc, endpoint: Doc, now: int,
              signed_at: int | None) -> tuple[bytes, dict[str, str]]:
        """A delivery with one named attack applied (replay, stale, tampered...)."""
        ...


def accepts(notifier: Any, status_code: int | None, body: str | None) -> bool:
    """Whether the receiver's answer meets `notifier`'s success contract (no answer
    never does; without an `accepts` of its own, any 2xx does)."""
    if status_code is None:
        return False
    judge_answer = getattr(notifier, "accepts", None)
    if judge_answer is None:
        return 200 <= status_code < 300
    return bool(judge_answer(status_code, body or ""))


def retry_schedule(notifier: Any) -> tuple[float, ...] | None:
    """The notifier's own retry delays, or None (the outbox's schedule)."""
    schedule = getattr(notifier, "retry_schedule", None)
    return tuple(schedule) if schedule is not None else None


class Dispatcher:
    """Background delivery of webhook rows with bounded concurrency."""

    def __init__(
        self,
        domain: Domain,
        notifiers: Mapping[str, Notifier],
        *,
        timeout: float = 10.0,
        concurrency: int = 16,
    ) -> None:
        self.domain = domain
        self.notifiers = notifiers
        self.timeout = timeout
        self.concurrency = concurrency
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._unrecorded: list[int] = []
        self._session: aiohttp.ClientSession | None = None
        #: Asked before each claim, inside its transaction (see `_claim`); None: always.
        self.may_claim: Callable[[], bool] | None = None
        domain.outbox.on_enqueue(self._wake.set)
        domain.clock.subscribe(self._wake.set)

    async def run(self) -> None:
        """Deliver until cancelled."""
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            connector=aiohttp.TCPConnector(limit=self.concurrency, force_close=True),
        )
        try:
            while True:
                self._wake.clear()
                room = self.concurrency - len(self._tasks)
                try:
                    unrecorded = list(self._unrecorded)
                    if unrecorded:
                        self.domain.outbox.release(unrecorded)
                    claimed = self._claim(room) if room > 0 else []
                    await self.domain.store.durable()
                    del self._unrecorded[:len(unrecorded)]  # only once the release is on disk
                except (StorageUnavailable, sqlite3.Error) as exc:
                    # storage is full or read-only: keep going, the rows are still there
                    log.warning("webhook dispatcher paused: %s", exc)
                    await asyncio.sleep(IDLE_POLL_SECONDS)
                    continue
                for delivery in claimed:
                    task = asyncio.create_task(self._deliver(delivery))
                    self._tasks.add(task)
                    task.add_done_callback(self._finished)
                await self._sleep()
        finally:
            for task in list(self._tasks):
                task.cancel()
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._session.close()

    def wake(self) -> None:
        """Look for due deliveries now (another worker process may have queued some)."""
        self._wake.set()

    def _claim(self, room: int) -> list[Delivery]:
        """Claim up to `room` due deliveries, if this process may: `may_claim` is asked
        inside the same write transaction (with several workers, whether this one still
        holds the dispatcher lease, so a leader that lost it claims nothing more). When
        nothing is due, no write lock is taken (the leader is woken by every commit)."""
        due = self.domain.outbox.next_due()
        if due is None or due > self.domain.clock.now():
            return []
        with self.domain.store.atomic():
            if self.may_claim is not None and not self.may_claim():
                return []
            return self.domain.outbox.claim_due(room)

    async def _sleep(self) -> None:
        due = self.domain.outbox.next_due()
        delay = IDLE_POLL_SECONDS
        if due is not None:
            delay = min(delay, self.domain.clock.real_delay(due - self.domain.clock.now()))
        if len(self._tasks) >= self.concurrency:
            delay = IDLE_POLL_SECONDS  # full: a finishing task wakes us
        await wait_event(self._wake, max(delay, 0.001))

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._wake.set()
        if not task.cancelled() and task.exception() is not None:
            log.error("webhook delivery crashed", exc_info=task.exception())

    async def _deliver(self, delivery: Delivery) -> None:
        try:
            await self._attempt(delivery)
        except StorageUnavailable as exc:
            # the outcome never reached the disk: the row is still in flight, so hand it
            # back to the loop, which makes it pending again once storage takes writes
            log.warning("could not record webhook attempt %s: %s", delivery.id, exc)
            self._unrecorded.append(delivery.id)

    def schedules(self) -> dict[str, list[float]]:
        """The retry schedule each gateway's deliveries follow (for /_sim/health)."""
        return {name: list(self.domain.outbox.schedule_for(retry_schedule(notifier)))
                for name, notifier in self.notifiers.items()}

    async def _attempt(self, delivery: Delivery) -> None:
        event = self.domain.objects.find(delivery.tenant, "event", delivery.event_id)
        endpoint = self.domain.outbox.target(delivery.tenant, delivery.endpoint_id)
        refusal = await self._loop_refusal(endpoint["url"]) if endpoint else None
        if event is None or endpoint is None or refusal is not None:
            gone = "callback target" if is_callback_id(delivery.endpoint_id) else "endpoint"
            reason = refusal or (f"{gone} deleted" if event else "event deleted")
            self.domain.outbox.abandon(delivery, reason)
            await self.domain.store.durable()
            return
        chaos = delivery.chaos or {}
        started = time.time()
        if delivery.attempts < chaos.get("drop_then_retry", 0):
            status = self.domain.outbox.record_attempt(
                delivery, started=started, duration_ms=0.0, status_code=None, response=None,
                error=f"dropped by scenario: {chaos.get('note')}")
            self._journal(delivery, endpoint, None, 0.0, chaos)
            log.info("webhook %s dropped by scenario (%s)", delivery.event_id, status)
            await self.domain.store.durable()
            return
        notifier = self.notifiers[delivery.gateway]
        signed_at = int(self.domain.clock.wall()) - int(chaos.get("stale_timestamp", 0))
        body, headers = notifier.render(event, endpoint, signed_at,
                                        bad_signature=bool(chaos.get("bad_signature")))
        status_code: int | None = None
        response_text: str | None = None
        error: str | None = None
        assert self._session is not None
        try:
            async with self._session.post(endpoint["url"], data=body, headers=headers,
                                          allow_redirects=False) as resp:
                status_code = resp.status
                response_text = (await resp.content.read(2048)).decode("utf-8", "replace")
        except TimeoutError:
            error = f"timed out after {self.timeout:g}s"
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        duration_ms = (time.time() - started) * 1000
        status = self.domain.outbox.record_attempt(
            delivery, started=started, duration_ms=duration_ms, status_code=status_code,
            response=response_text, error=error, signed_at=signed_at,
            accepted=accepts(notifier, status_code, response_text),
            schedule=retry_schedule(notifier),
        )
        self._journal(delivery, endpoint, status_code, duration_ms, chaos)
        await self.domain.store.durable()  # the attempt and its journal row, in one commit
        log.info("webhook %s -> %s: %s (%s)", delivery.event_id, endpoint["url"],
                 status_code or error, status)

    async def probe(self, delivery_id: int, attack: str) -> dict[str, object] | None:
        """Send one forged (or, for `genuine`, a freshly signed) copy of a delivery to its
        endpoint and report the answer with its verdict (webhooks.verdict);
        None when there is no such delivery; LookupError when its event or target is
        gone (a deleted endpoint has no URL or secret to forge against), or when the
        gateway's notifier cannot forge (it has no `forge`). Nothing about the delivery
        changes."""
        delivery = self.domain.outbox.delivery(delivery_id)
        if delivery is None:
            return None
        event = self.domain.objects.find(delivery.tenant, "event", delivery.event_id)
        endpoint = self.domain.outbox.target(delivery.tenant, delivery.endpoint_id)
        if event is None or endpoint is None:
            raise LookupError(f"delivery {delivery_id} points at a deleted "
                              f"{'event' if event is None else _target_name(delivery)}")
        notifier = self.notifiers[delivery.gateway]
        forge = getattr(notifier, "forge", None)
        if forge is None:
            raise LookupError(f"delivery {delivery_id} is a {delivery.gateway} notification: "
                              "this simulator cannot probe that gateway's receivers")
        replayed = self.domain.outbox.last_signed_at(delivery_id)
        body, headers = forge(attack, event, endpoint, int(self.domain.clock.wall()), replayed)
        started = time.time()
        result: dict[str, object] = {"delivery": delivery_id, "attack": attack,
                                     "status_code": None, "response": None, "error": None}
        refusal = await self._loop_refusal(endpoint["url"])
        if refusal is not None:
            result["error"] = refusal
            return self._judged(result, attack, replayed)
        session = self._session or aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.timeout))
        try:
            async with session.post(endpoint["url"], data=body, headers=headers,
                                    allow_redirects=False) as resp:
                result["status_code"] = resp.status
                result["response"] = (await resp.content.read(500)).decode("utf-8", "replace")
        except TimeoutError:
            result["error"] = f"timed out after {self.timeout:g}s"
        except (aiohttp.ClientError, OSError) as exc:
            result["error"] = f"{type(exc).__name__}: {exc}"
        finally:
            if session is not self._session:
                await session.close()
        self._journal(delivery, endpoint, result["status_code"],  # type: ignore[arg-type]
                      (time.time() - started) * 1000, {"note": f"probe:{attack}"})
        return self._judged(result, attack, replayed, notifier)

    def _judged(self, result: dict[str, object], attack: str, signed_at: int | None,
                notifier: Any = None) -> dict[str, object]:
        """`result` with its verdict and the reason (see webhooks.verdict); a notifier
        with its own success contract decides whether a 2xx was an acceptance."""
        age = self.domain.clock.wall() - signed_at if signed_at is not None else None
        status = result["status_code"]
        code = status if isinstance(status, int) else None
        contract = (accepts(notifier, code, result["response"])  # type: ignore[arg-type]
                    if code is not None and hasattr(notifier, "accepts") else None)
        result["verdict"], result["reason"] = judge(
            attack, code, result["error"], age, contract)  # type: ignore[arg-type]
        return result

    async def _loop_refusal(self, url: str) -> str | None:
        """Why `url` must not be sent to (it is this simulator's control API), or None.

        Endpoints are checked when created, without DNS; here a name is resolved too, on
        the loop's resolver thread, so a name pointing back at us is caught as well."""
        here = self.domain.endpoints.self_address
        return await here.resolved_refusal(url, _resolve) if here is not None else None

    def _journal(self, delivery: Delivery, endpoint: Doc, status_code: int | None,
                 duration_ms: float, chaos: dict) -> None:
        self.domain.journal.append(Entry(
            at=time.time(), gateway=delivery.gateway, tenant=delivery.tenant, method="POST",
            path=endpoint["url"], status=status_code or 0, latency_ms=duration_ms,
            request_id=delivery.event_id, effect=chaos.get("note"), direction="out",
        ))


def _target_name(delivery: Delivery) -> str:
    """How a delivery's target is called in messages."""
    return "callback target" if is_callback_id(delivery.endpoint_id) else "webhook endpoint"


async def _resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, without blocking the event loop."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]
