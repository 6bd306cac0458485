"""Allure results folder set-up: categories, environment and executor files for a run."""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import shutil
from pathlib import Path

from paylab.simulator import __version__
from paylab.simulator.core.rand import fresh_seed

_PACKAGES = ("aiohttp", "stripe", "pytest", "allure-pytest", "schemathesis", "jsonschema")


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def prepare_results(root: Path, results: Path) -> dict[str, str]:
    """Empty `results` and write the run's environment; returns the environment written.

    Also fixes PAYLAB_SEED for the whole run (all layers use it), so a run can be replayed.
    """
    if results.exists():
        shutil.rmtree(results)
    results.mkdir(parents=True)
    os.environ.setdefault("PAYLAB_SEED", str(fresh_seed()))
    categories = root / "reports" / "categories.json"
    if categories.exists():
        shutil.copy(categories, results / "categories.json")
    environment = {
        "paylab": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "seed": os.environ["PAYLAB_SEED"],
        "gateway_url": os.environ.get("PAYLAB_GATEWAY_URL", "bundled simulator"),
        "merchant_url": os.environ.get("PAYLAB_MERCHANT_URL", "bundled shop"),
        **{name: _version(name) for name in _PACKAGES},
    }
    (results / "environment.properties").write_text(
        "".join(f"{k}={v}\n" for k, v in environment.items()), encoding="utf-8"
    )
    (results / "executor.json").write_text(json.dumps({
        "name": "paylab test", "type": "local",
        "buildName": f"paylab {__version__} seed {environment['seed']}",
    }), encoding="utf-8")
    return environment
