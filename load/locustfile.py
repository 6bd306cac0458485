"""Locust entry point for paylab: every user class, the SLO gate and the web UI tab.

`paylab load` runs it (see the README); plain `locust -f load/locustfile.py` works too.
A headless profile names its shape in PAYLAB_LOAD_SHAPE, so only that shape is loaded;
the web UI offers every shape in its picker (PAYLAB_LOAD_SHAPES=all).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from paylab.load.common import gate, webui  # noqa: F401 - registers the gate and the tab
from paylab.load.shapes import ALL as _SHAPES
from paylab.load.users.cards import (  # noqa: F401
    CardPaymentUser,
    ManualCaptureRefundUser,
    ThreeDSecureUser,
)
from paylab.load.users.jkopay import JkoPayUser  # noqa: F401
from paylab.load.users.linepay import LinePayUser  # noqa: F401
from paylab.load.users.paypal import PaypalUser  # noqa: F401
from paylab.load.users.shop import ShopCheckoutUser, ShopperUser  # noqa: F401
from paylab.load.users.taiwan import (  # noqa: F401
    EcpayCreditUser,
    EcpayCvsUser,
    NewebPayCreditUser,
)
from paylab.load.users.webhooks import WebhookReceiverUser  # noqa: F401

if os.environ.get("PAYLAB_LOAD_SHAPE"):
    _chosen = _SHAPES[os.environ["PAYLAB_LOAD_SHAPE"]]
    globals()[_chosen.__name__] = _chosen
elif os.environ.get("PAYLAB_LOAD_SHAPES") == "all":
    globals().update({shape.__name__: shape for shape in _SHAPES.values()})
