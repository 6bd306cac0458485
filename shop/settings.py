"""Shop configuration from SHOP_* and PAYLAB_GATEWAY_URL environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

BUNDLED_PRODUCTS = Path(__file__).parent / "products.yaml"


@dataclass(frozen=True)
class ShopSettings:
    """Where the shop listens, which gateway it pays through, and with which key."""

    host: str = "127.0.0.1"
    port: int = 8000
    gateway_url: str = "http://127.0.0.1:8080"
    #: None: the key generated for (and kept in) this shop's database; see ShopDB.api_key.
    api_key: str | None = None
    db: str = str(Path("state") / "shop.db")
    products: str = str(BUNDLED_PRODUCTS)
    public_url: str | None = None
    name: str = "paylab Tea House"

    @property
    def base_url(self) -> str:
        """Where shoppers' browsers and the gateway's webhooks reach the shop."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @classmethod
    def from_env(cls, **overrides: object) -> ShopSettings:
        """Defaults, then environment variables, then explicit overrides."""
        env = os.environ
        values: dict[str, object] = {}
        for var, name, convert in (
            ("SHOP_HOST", "host", str), ("SHOP_PORT", "port", int),
            ("PAYLAB_GATEWAY_URL", "gateway_url", str), ("SHOP_API_KEY", "api_key", str),
            ("SHOP_DB", "db", str), ("SHOP_PRODUCTS", "products", str),
            ("SHOP_PUBLIC_URL", "public_url", str),
        ):
            if env.get(var):
                values[name] = convert(env[var])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
