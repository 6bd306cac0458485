"""Parsing the YAML files the simulator ships and reads (cards, fee schedules, methods,
merchants) with libyaml's safe parser where it is built: about ten times faster than
PyYAML's own, which every app start paid for each file."""

from __future__ import annotations

from typing import Any

import yaml

#: libyaml's safe parser where it is built, else PyYAML's own (both build plain data only).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str | bytes) -> Any:
    """A YAML document as plain data (mappings, lists, scalars), as yaml.safe_load reads it."""
    return yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader
