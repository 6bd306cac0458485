"""The products the shop sells, read from a YAML file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Product:
    """One product; `price` in minor units of the catalogue's currency."""

    id: str
    name: str
    description: str
    price: int
    color: str = "#888888"


@dataclass(frozen=True)
class Catalog:
    """All products, in display order, and their currency."""

    currency: str
    products: tuple[Product, ...]

    def get(self, product_id: str) -> Product | None:
        """A product by id, or None."""
        return next((p for p in self.products if p.id == product_id), None)


def load(path: str | Path) -> Catalog:
    """Read a catalogue file."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    products = tuple(Product(**item) for item in data["products"])
    return Catalog(data.get("currency", "usd"), products)


def price_text(amount: int, currency: str) -> str:
    """`$18.50` for USD, `18.50 EUR` otherwise."""
    whole, cents = divmod(amount, 100)
    number = f"{whole:,}.{cents:02d}"
    return f"${number}" if currency == "usd" else f"{number} {currency.upper()}"
