"""Where the load goes and what it runs, from the environment `paylab load` sets.

PAYLAB_GATEWAY_URL   the simulator (its /_sim control API too); default 127.0.0.1:8080
PAYLAB_MERCHANT_URL  the shop the shopper users drive; default 127.0.0.1:8000
PAYLAB_LOAD_PROFILE  the profile of a headless run (its shape and SLO); empty in the web UI
PAYLAB_LOAD_REPORTS  where the SLO verdicts are written (default reports/load)
PAYLAB_CONTROL_TOKEN the token of a guarded simulator's /_sim (sent, never printed)
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def gateway_url() -> str:
    """Base URL of the simulator, without a trailing slash."""
    return os.environ.get("PAYLAB_GATEWAY_URL", "http://127.0.0.1:8080").rstrip("/")


def control_headers() -> dict[str, str]:
    """Headers for the simulator's /_sim: its control token, when one is configured."""
    token = os.environ.get("PAYLAB_CONTROL_TOKEN")
    return {"Authorization": f"Bearer {token}"} if token else {}


def merchant_url() -> str:
    """Base URL of the merchant shop, without a trailing slash."""
    return os.environ.get("PAYLAB_MERCHANT_URL", "http://127.0.0.1:8000").rstrip("/")


def profile_name() -> str | None:
    """The headless profile being run, if any."""
    return os.environ.get("PAYLAB_LOAD_PROFILE") or None


def reports_dir() -> Path:
    """Where CSV, HTML and SLO verdicts of load runs go."""
    return Path(os.environ.get("PAYLAB_LOAD_REPORTS", ROOT / "reports" / "load"))
