"""Frozen simulator configuration, from command-line flags and PAYLAB_* environment variables."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path

from paylab.simulator.core.outbox import DEFAULT_RETRY_SCHEDULE
from paylab.simulator.core.rand import fresh_seed
from paylab.simulator.core.retention import window_seconds
from paylab.simulator.guards.hosts import host_name

DEFAULT_DB = Path("state") / "paylab.db"
#: A token shorter than this could be guessed by a script hammering the control API.
MIN_TOKEN_LENGTH = 16
#: Most worker processes `--workers` allows (issue16: W).
MAX_WORKERS = 64


@dataclass(frozen=True)
class Settings:
    """Everything `create_app` needs; nothing else reads the environment."""

    host: str = "127.0.0.1"
    port: int = 8080
    db: str = str(DEFAULT_DB)
    seed: int = field(default_factory=fresh_seed)
    scenario: str | None = None
    time_scale: float = 1.0
    public_url: str | None = None
    webhook_timeout: float = 10.0
    retry_schedule: tuple[float, ...] = DEFAULT_RETRY_SCHEDULE
    synchronous: str = "NORMAL"
    cache_mb: int = 64
    #: Seconds an idle connection (or one still sending its request head) stays open.
    keepalive_timeout: float = 30.0
    #: Seconds a request body may take to arrive after its head (then 408, and closed).
    read_timeout: float = 30.0
    #: The secret the control API (/_sim) asks for; repr=False keeps it out of any log line.
    control_token: str | None = field(default=None, repr=False)
    #: Serve a non-loopback address without a control token (warned about at start).
    insecure_control: bool = False
    #: Host names browsers may use besides the bound address, localhost and --public-url's.
    allowed_hosts: tuple[str, ...] = ()
    # alert engine
    #: Alert rules to judge by at start (a YAML/JSON file); None: simulator/alerts/defaults.yaml.
    alert_rules: str | None = None
    # issue16: D
    #: Days of traffic to keep (core/retention.py); 0: keep everything (the default).
    retention_days: float = 0.0
    # issue16: W
    #: Worker processes serving the same port (see simulator.supervisor); 1 serves in-process.
    workers: int = 1
    #: The wall time the virtual clock runs from (None: when the app is built). Worker
    #: processes share the supervisor's, so a fast clock (--time-scale) reads the same in each.
    clock_start: float | None = None

    @property
    def loopback(self) -> bool:
        """True when only this machine can reach the bound address."""
        return is_loopback(self.host)

    @property
    def base_url(self) -> str:
        """Where browsers and webhook receivers reach this simulator."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        """Defaults, then PAYLAB_* variables, then explicit overrides (flags) that are not None."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        readers = {
            "PAYLAB_HOST": ("host", str),
            "PAYLAB_PORT": ("port", int),
            "PAYLAB_DB": ("db", str),
            "PAYLAB_SEED": ("seed", int),
            "PAYLAB_SCENARIO": ("scenario", str),
            "PAYLAB_TIME_SCALE": ("time_scale", float),
            "PAYLAB_PUBLIC_URL": ("public_url", str),
            "PAYLAB_WEBHOOK_TIMEOUT": ("webhook_timeout", float),
            "PAYLAB_RETRY_SCHEDULE": ("retry_schedule", parse_schedule),
            "PAYLAB_SYNCHRONOUS": ("synchronous", str),
            "PAYLAB_CACHE_MB": ("cache_mb", int),
            "PAYLAB_KEEPALIVE_TIMEOUT": ("keepalive_timeout", float),
            "PAYLAB_READ_TIMEOUT": ("read_timeout", float),
            "PAYLAB_CONTROL_TOKEN": ("control_token", str),
            "PAYLAB_INSECURE_CONTROL": ("insecure_control", parse_flag),
            "PAYLAB_ALLOWED_HOSTS": ("allowed_hosts", parse_names),
            "PAYLAB_ALERT_RULES": ("alert_rules", str),
            "PAYLAB_RETENTION_DAYS": ("retention_days", float),  # issue16: D
            "PAYLAB_WORKERS": ("workers", int),  # issue16: W
        }
        for var, (name, convert) in readers.items():
            if env.get(var):
                try:
                    values[name] = convert(env[var])
                except ValueError as exc:
                    raise ValueError(f"{var}={env[var]!r}: {exc}") from exc
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)  # type: ignore[arg-type]
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse settings that cannot work, with a message naming the setting."""
        window_seconds(self.retention_days)  # at least a day, or 0 (keep everything)
        if self.time_scale <= 0:
            raise ValueError("--time-scale must be positive")
        if not 0 <= self.port <= 65535:
            raise ValueError("--port must be between 0 and 65535")
        if self.synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError("synchronous must be OFF, NORMAL, FULL or EXTRA")
        if not 1 <= self.cache_mb <= 4096:
            raise ValueError("--cache-mb must be between 1 and 4096")
        if not self.retry_schedule or any(s < 0 for s in self.retry_schedule):
            raise ValueError("the retry schedule needs at least one non-negative delay")
        if not 0 < self.keepalive_timeout <= 3600 or not 0 < self.read_timeout <= 3600:
            raise ValueError("--keepalive-timeout and --read-timeout must be seconds in (0, 3600]")
        # issue16: W
        if not 1 <= self.workers <= MAX_WORKERS:
            raise ValueError(f"--workers must be between 1 and {MAX_WORKERS}")
        if self.workers > 1 and self.db == ":memory:":
            raise ValueError("--workers above 1 needs a database file: each process would "
                             "have its own :memory: database")
        if self.workers > 1 and self.port == 0:
            raise ValueError("--workers above 1 needs a fixed --port: with port 0 each "
                             "process would listen on a port of its own")
        self._check_guard()

    def _check_guard(self) -> None:
        for name in self.allowed_hosts:
            if host_name(name, bare_ipv6=True) is None:
                raise ValueError(f"--allowed-host {name!r} is not a host name or address "
                                 "(give a name like ci-runner.internal, optionally with :port)")
        if self.control_token is not None and len(self.control_token) < MIN_TOKEN_LENGTH:
            raise ValueError(f"--control-token must be at least {MIN_TOKEN_LENGTH} characters "
                             "(for example: openssl rand -hex 32)")
        if not self.loopback and not self.control_token and not self.insecure_control:
            raise ValueError(
                f"--host {self.host or '(every interface)'} is reachable from other machines, "
                "and the control API (/_sim) can reset all state, move the clock and revoke "
                "keys. Give it a secret with --control-token (or PAYLAB_CONTROL_TOKEN), e.g. "
                "$(openssl rand -hex 32), or accept the risk with --insecure-control.")


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: addresses only this machine can reach. Any other name
    may resolve to a public interface, so it counts as non-loopback."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def parse_flag(text: str) -> bool:
    """`1`, `true`, `yes`, `on` (any case) -> True; `0`, `false`, `no`, `off` -> False."""
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected 1 or 0 (true/false, yes/no, on/off)")


def parse_names(text: str) -> tuple[str, ...]:
    """`"a.test, b.test:8080"` -> ("a.test", "b.test:8080"); empty items are skipped."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def parse_schedule(text: str) -> tuple[float, ...]:
    """`"5,300,1800"` -> (5.0, 300.0, 1800.0): seconds between delivery attempts."""
    try:
        return tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise ValueError("retry schedule must be comma-separated seconds") from exc
