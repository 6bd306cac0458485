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

The wallets (LINE Pay, JKOPay, PayPal) default to the simulator's stage merchants
(simulator/core/data/stage_merchants.yaml); LINE Pay and JKOPay charge whole TWD too,
PayPal the catalogue's own currency:

- `SHOP_LINEPAY_CHANNEL_ID`, `SHOP_LINEPAY_CHANNEL_SECRET`, `SHOP_LINEPAY_URL` (default
  `{gateway}/linepay`; the real sandbox is `https://sandbox-api-pay.line.me`);
- `SHOP_JKOPAY_STORE_ID`, `SHOP_JKOPAY_SECRET_KEY`, `SHOP_JKOPAY_API_KEY`, `SHOP_JKOPAY_URL`
  (default `{gateway}/jkopay`; JKOPay hands its stage host to each merchant);
- `SHOP_LINEPAY_SWEEP_SECONDS`: LINE Pay sends no server notice, so a payment the shopper
  approved without coming back to the shop is confirmed by a sweep: pending LINE Pay
  payments older than this many seconds are checked with LINE Pay (default 60; 0 disables);
- `SHOP_PAYPAL_CLIENT_ID`, `SHOP_PAYPAL_CLIENT_SECRET`, `SHOP_PAYPAL_URL` (default
  `{gateway}/paypal`; the real sandbox is `https://api-m.sandbox.paypal.com`).
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
    #: LINE Pay channel of the simulator's stage merchants (paylab's own, public).
    linepay_channel_id: str = "1650000001"
    linepay_channel_secret: str = "8d3c1f5a0b7e4c2d9f6a1b3c5d7e9f02"  # noqa: S105 - public
    #: None: `{gateway_url}/linepay`.
    linepay_url: str | None = None
    #: Age in seconds after which a pending LINE Pay payment is swept (0: no sweeps).
    linepay_sweep_seconds: float = 60.0
    #: JKOPay store of JKOPay's own signing example, with paylab's API key for it.
    jkopay_store_id: str = "35f12dff-1581-11e9-a054-00505684fd45"
    jkopay_secret_key: str = ("r0odDC1e9LHXDmxuvmOv9bgaWLf2CXB2c4gMheoFucVKNMi1K0Id9zwRHJF1r"  # noqa: S105
                              "-kdtAKriKgb11VDlo7Kb8R-FQ")
    jkopay_api_key: str = "6f1c8e2a9b4d7f3e5a0c1b2d3e4f5a6b"
    #: None: `{gateway_url}/jkopay`.
    jkopay_url: str | None = None
    #: PayPal sandbox app of the simulator's stage merchants (paylab's own, public).
    paypal_client_id: str = "paylab-sandbox-client-0001"
    paypal_client_secret: str = ("EPaylabSandboxSecretForTheOutOfTheBoxClient0000000000000000"  # noqa: S105
                                 "000000000000000000001")
    #: None: `{gateway_url}/paypal`.
    paypal_url: str | None = None

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

    def wallet_base(self, gateway: str) -> str:
        """Where a wallet's API paths (`/v3/payments/request`, `/platform/entry`,
        `/v2/checkout/orders`) live: its URL setting, else the simulator's mount."""
        own = {"linepay": self.linepay_url, "jkopay": self.jkopay_url,
               "paypal": self.paypal_url}[gateway]
        return (own or f"{self.gateway_url.rstrip('/')}/{gateway}").rstrip("/")

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
            ("SHOP_LINEPAY_CHANNEL_ID", "linepay_channel_id", str),
            ("SHOP_LINEPAY_CHANNEL_SECRET", "linepay_channel_secret", str),
            ("SHOP_LINEPAY_URL", "linepay_url", str),
            ("SHOP_LINEPAY_SWEEP_SECONDS", "linepay_sweep_seconds", float),
            ("SHOP_JKOPAY_STORE_ID", "jkopay_store_id", str),
            ("SHOP_JKOPAY_SECRET_KEY", "jkopay_secret_key", str),
            ("SHOP_JKOPAY_API_KEY", "jkopay_api_key", str), ("SHOP_JKOPAY_URL", "jkopay_url", str),
            ("SHOP_PAYPAL_CLIENT_ID", "paypal_client_id", str),
            ("SHOP_PAYPAL_CLIENT_SECRET", "paypal_client_secret", str),
            ("SHOP_PAYPAL_URL", "paypal_url", str),
        ):
            if env.get(var):
                values[name] = convert(env[var])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
