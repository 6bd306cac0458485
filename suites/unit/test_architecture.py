"""House rules that keep the code base in shape (see shared style notes)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(p for part in ("simulator", "shop", "load") for p in (ROOT / part).rglob("*.py"))


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "simulator" / "core").glob("*.py")),
                         ids=lambda p: p.name)
def test_the_core_never_sees_http(path: Path) -> None:
    forbidden = {n for n in imports(path)
                 if n.split(".")[0] == "aiohttp" or n.startswith("paylab.simulator.gateways")}
    assert not forbidden, f"{path.name} imports {forbidden}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_stay_small_and_documented(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 400, "past ~400 lines a module becomes a package"
    assert ast.get_docstring(ast.parse(text)), "every module says what it is for"


def test_gateway_handlers_are_thin() -> None:
    gateways = ROOT / "simulator" / "gateways"
    for handlers in [*gateways.rglob("handlers.py"), *gateways.glob("*/resources/*.py")]:
        tree = ast.parse(handlers.read_text(encoding="utf-8"))
        for fn in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
            length = fn.end_lineno - fn.lineno + 1
            assert length <= 15, f"{handlers.parent.name}.{fn.name} is {length} lines"


#: Words only a gateway adapter may say: Stripe's object names, statuses, error codes and
#: secret prefix, and the Taiwanese gateways' field names. The core speaks neutral codes
#: (core/vocabulary.py); each adapter maps them to its gateway's words.
GATEWAY_WORDS = (
    "payment_intent", "PaymentIntent", "requires_payment_method", "requires_capture",
    "requires_action", "requires_confirmation", "checkout.session", "whsec_",
    "resource_missing", "card_declined", "Stripe",
    "CheckMacValue", "RtnCode", "MerchantTradeNo", "TradeInfo", "TradeSha", "returnCode",
)


@pytest.mark.parametrize("path", sorted(p for p in (ROOT / "simulator" / "core").rglob("*")
                                        if p.is_file() and "__pycache__" not in p.parts),
                         ids=lambda p: p.name)
def test_the_core_speaks_no_gateway_vocabulary(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    found = [w for w in GATEWAY_WORDS if w in text]
    assert not found, f"{path.name} says {found}: gateway words belong in the adapters"
