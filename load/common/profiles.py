"""Named load profiles (load/profiles.yaml): which shape, with which parameters, which users.

Plain Python (no Locust import), so the runner and the unit tests read profiles too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PROFILES = Path(__file__).resolve().parent.parent / "profiles.yaml"
SHAPES = ("steady", "ramp", "spike", "stages", "soak")


class ProfileError(ValueError):
    """A profile that does not exist or does not make sense."""


@dataclass(frozen=True)
class Profile:
    """One named profile, with its shape's parameters already merged."""

    name: str
    shape: str
    params: dict[str, Any]
    users: tuple[str, ...] = ()
    description: str = ""


def _document(path: Path = PROFILES) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def shape_defaults(shape: str, path: Path = PROFILES) -> dict[str, Any]:
    """A shape's default parameters (what the web UI's shape picker runs)."""
    if shape not in SHAPES:
        raise ProfileError(f"unknown shape {shape!r}; one of {', '.join(SHAPES)}")
    return dict(_document(path)["shapes"].get(shape) or {})


def profile_names(path: Path = PROFILES) -> list[str]:
    """Every profile defined in the file."""
    return list(_document(path)["profiles"])


def load_profile(name: str, path: Path = PROFILES) -> Profile:
    """The profile called `name`, its shape's defaults overridden by its own params."""
    doc = _document(path)
    entry = doc["profiles"].get(name)
    if entry is None:
        raise ProfileError(f"no profile {name!r}; one of {', '.join(doc['profiles'])}")
    shape = entry.get("shape", "steady")
    params = {**shape_defaults(shape, path), **(entry.get("params") or {})}
    return Profile(name=name, shape=shape, params=params,
                   users=tuple(entry.get("users") or ()),
                   description=entry.get("description", ""))


def users_at(shape: str, params: dict[str, Any], t: float) -> tuple[int, float] | None:
    """How many users `shape` wants `t` seconds into the run, and how fast to start them;
    None when the run is over. The Locust shape classes only ask this."""
    if shape == "stages":
        for until, users, spawn_rate in params["stages"]:
            if t < until:
                return int(users), float(spawn_rate)
        return None
    if t >= params["duration"]:
        return None
    rate = float(params["spawn_rate"])
    if shape in ("steady", "soak"):
        return int(params["users"]), rate
    if shape == "ramp":
        span = params["end_users"] - params["start_users"]
        return round(params["start_users"] + span * t / params["duration"]), rate
    if shape == "spike":
        spiking = params["spike_at"] <= t < params["spike_at"] + params["spike_for"]
        return int(params["spike_users"] if spiking else params["base_users"]), rate
    raise ProfileError(f"unknown shape {shape!r}; one of {', '.join(SHAPES)}")


def duration(profile: Profile) -> float:
    """How long the profile runs, in seconds."""
    if profile.shape == "stages":
        return float(profile.params["stages"][-1][0])
    return float(profile.params["duration"])
