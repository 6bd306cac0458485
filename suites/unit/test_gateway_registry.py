"""The gateway registry: built-in gateways by one entry each, plug-ins by entry point, and
every gateway package shaped like its siblings."""

from __future__ import annotations

import importlib
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
from paylab.simulator.gateways import registry
from paylab.simulator.gateways.stripe import GATEWAY as STRIPE

#: The files every gateway package has (the kit's contract with an adapter).
PACKAGE_FILES = ("__init__.py", "routes.py", "handlers.py", "wire.py", "render.py",
                 "notify.py", "hosted.py", "facts.py")
CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"


@pytest.fixture
def fresh_registry(monkeypatch: pytest.MonkeyPatch):
    registry.registered.cache_clear()
    yield monkeypatch
    registry.registered.cache_clear()


def _plugin(monkeypatch: pytest.MonkeyPatch, name: str, module: str, gateway: object) -> None:
    fake = SimpleNamespace(GATEWAY=gateway)
    real_import = importlib.import_module
    monkeypatch.setattr(registry.importlib, "import_module",
                        lambda path: fake if path == module else real_import(path))
    monkeypatch.setattr(registry, "entry_points", lambda group: [
        SimpleNamespace(name=name, value=module)] if group == registry.ENTRY_POINT_GROUP else [])


def test_every_built_in_entry_names_a_mounted_gateway() -> None:
    names = [g.name for g in registry.registered()]
    assert names == list(registry.BUILT_IN)
    assert names[0] == "stripe"


def test_a_plugin_gateway_is_found_by_its_entry_point(fresh_registry: pytest.MonkeyPatch) -> None:
    plugin = replace(STRIPE, name="acme", prefix="/acme", title="Acme Pay")
    _plugin(fresh_registry, "acme", "acme_pay.gateway", plugin)
    gateways = registry.registered()
    assert [g.name for g in gateways][-1] == "acme"
    assert gateways[-1] is plugin


def test_a_plugin_that_reuses_a_mount_prefix_is_refused(fresh_registry: pytest.MonkeyPatch
                                                        ) -> None:
    _plugin(fresh_registry, "acme", "acme_pay.gateway", replace(STRIPE, name="acme"))
    with pytest.raises(registry.RegistryError, match="mount prefix"):
        registry.registered()


def test_an_entry_whose_module_exposes_another_gateway_is_refused(
        fresh_registry: pytest.MonkeyPatch) -> None:
    _plugin(fresh_registry, "acme", "acme_pay.gateway", replace(STRIPE, prefix="/acme"))
    with pytest.raises(registry.RegistryError, match="GATEWAY named 'acme'"):
        registry.registered()


@pytest.mark.parametrize("name", list(registry.BUILT_IN))
def test_each_gateway_package_has_the_files_of_its_siblings_and_its_contracts(name: str) -> None:
    package = Path(importlib.import_module(registry.BUILT_IN[name]).__file__).parent
    missing = [f for f in PACKAGE_FILES if not (package / f).is_file()]
    assert not missing, f"{name} lacks {missing}"
    assert any((CONTRACTS / name).glob("*.json")), f"no contracts/{name}/*.json"
