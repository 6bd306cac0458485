"""Shop configuration from SHOP_* and PAYLAB_GATEWAY_URL environment variables.

The Taiwanese form-post rails (ECPay AIO, NewebPay MPG) need a merchant id and its
HashKey / HashIV. The defaults are the public stage merchants of gateways.md (1.2 and 2.5),
which the simulator knows out of the box; a real stage merchant of your own goes in:

- `SHOP_ECPAY_MERCHANT_ID`, `SHOP_ECPAY_HASH_KEY`, `SHOP_ECPAY_HASH_IV` (default 3002607);
- `SHOP_NEWEBPAY_MERCHANT_ID`, `SHOP_NEWEBPAY_HASH_KEY`, `SHOP_NEWEBPAY_HASH_IV` (default
  MS127874575);
- `SHOP_ECPAY_URL`, `SHOP_NEWEBPAY_URL`: where the shopper's browser posts the payment form
  (default: the simulator's `/ecpay` and `/newebpay` mounts under PAYLAB_GATEWAY_URL; the
  real stage hosts are `https://payment-stage.ecpay.com.tw` and `https://ccore.newebpay.com`);
- `SHOP_TWD_RATE`: New Taiwan dollars per unit of the catalogue's currency (default 32; the
  catalogue is priced in USD, and both rails charge whole TWD).
"""

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
    #: ECPay AIO stage merchant 3002607 (gateways.md 1.2), published test credentials.
    ecpay_merchant_id: str = "3002607"
    ecpay_hash_key: str = "pwFHCqoQZGmho4w6"
    ecpay_hash_iv: str = "EkRm7iFT261dpevs"
    #: None: `{gateway_url}/ecpay` (the simulator's mount).
    ecpay_url: str | None = None
    #: NewebPay MPG test merchant MS127874575 (gateways.md 2.5), published test credentials.
    newebpay_merchant_id: str = "MS127874575"
    newebpay_hash_key: str = "Fs5cX1TGqYM2PpdbE14a9H83YQSQF5jn"
    newebpay_hash_iv: str = "C6AcmfqJILwgnhIP"
    #: None: `{gateway_url}/newebpay` (the simulator's mount).
    newebpay_url: str | None = None
    #: TWD per unit of the catalogue's currency (ignored for a catalogue priced in TWD).
    twd_rate: float = 32.0

    @property
    def base_url(self) -> str:
        """Where shoppers' browsers and the gateway's webhooks reach the shop."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def ecpay_base(self) -> str:
        """Where ECPay's paths (`/Cashier/AioCheckOut/V5`) live."""
        return (self.ecpay_url or f"{self.gateway_url.rstrip('/')}/ecpay").rstrip("/")

    @property
    def newebpay_base(self) -> str:
        """Where NewebPay's paths (`/MPG/mpg_gateway`) live."""
        return (self.newebpay_url or f"{self.gateway_url.rstrip('/')}/newebpay").rstrip("/")

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
            ("SHOP_ECPAY_MERCHANT_ID", "ecpay_merchant_id", str),
            ("SHOP_ECPAY_HASH_KEY", "ecpay_hash_key", str),
            ("SHOP_ECPAY_HASH_IV", "ecpay_hash_iv", str), ("SHOP_ECPAY_URL", "ecpay_url", str),
            ("SHOP_NEWEBPAY_MERCHANT_ID", "newebpay_merchant_id", str),
            ("SHOP_NEWEBPAY_HASH_KEY", "newebpay_hash_key", str),
            ("SHOP_NEWEBPAY_HASH_IV", "newebpay_hash_iv", str),
            ("SHOP_NEWEBPAY_URL", "newebpay_url", str), ("SHOP_TWD_RATE", "twd_rate", float),
        ):
            if env.get(var):
                values[name] = convert(env[var])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
