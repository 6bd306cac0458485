"""Frozen simulator configuration, from command-line flags and PAYLAB_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from simulator.core.outbox import DEFAULT_RETRY_SCHEDULE
from simulator.core.rand import fresh_seed

DEFAULT_DB = Path("state") / "paylab.db"


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


def parse_schedule(text: str) -> tuple[float, ...]:
    """`"5,300,1800"` -> (5.0, 300.0, 1800.0): seconds between delivery attempts."""
    try:
        return tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise ValueError("retry schedule must be comma-separated seconds") from exc
