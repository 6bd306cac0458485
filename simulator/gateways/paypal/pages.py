"""The approval pages' HTML: the sandbox login and the payment review (Approve / Cancel).

Templates live beside this module and use the shared layout and stylesheet; every value
is escaped unless it is a fragment built here from escaped parts.
"""

from __future__ import annotations

from typing import Any

from paylab.simulator.core.objects import Doc
from paylab.simulator.gateways.paypal import wire
from paylab.simulator.ui import Markup, PackageTemplates

PACKAGE = "paylab.simulator.gateways.paypal"
#: This package's page templates.
TEMPLATES = PackageTemplates(PACKAGE)
#: The documented sandbox buyer the login page is filled in with (any login works).
SANDBOX_EMAIL = "sb-paylab-buyer@personal.example.com"
SANDBOX_PASSWORD = "paylab-sandbox"  # noqa: S105 - a published sandbox login






def fragment(name: str, /, **values: Any) -> Markup:
    """A partial template of this package, every value escaped."""
    return TEMPLATES.fragment(name, **values)


def render(name: str, /, **values: Any) -> str:
    """A page of this package inside the shared layout, values escaped."""
    return TEMPLATES.page(fragment(name, **values), values.get("title", "PayPal"))


def total(core: Doc) -> str:
    """`10.00 USD`."""
    return f"{wire.to_value(core['amount'], core['currency'])} {core['currency'].upper()}"


def _error(message: str | None) -> Markup:
    return fragment("error.html", message=message) if message else Markup("")


def login(doc: Doc, core: Doc, *, action: str, cancel: str, error: str | None = None,
          email: str = SANDBOX_EMAIL) -> str:
    """Log in as a sandbox buyer."""
    return render("login.html", title="Log in to your PayPal account", total=total(core),
                  order_id=doc["id"], merchant=_merchant(doc), action=action, cancel=cancel,
                  email=email, password=SANDBOX_PASSWORD, error=_error(error))


def review(doc: Doc, core: Doc, *, email: str, approve: str, cancel: str,
           error: str | None = None) -> str:
    """The payment with its items: Approve or Cancel."""
    unit = doc["unit"]
    items = Markup("".join(fragment(
        "item.html", name=item.get("name", ""), quantity=item.get("quantity", "1"),
        price=f"{item['unit_amount']['value']} {item['unit_amount']['currency_code']}")
        for item in unit.get("items") or [] if isinstance(item.get("unit_amount"), dict)))
    verb = "capture" if doc["intent"] == "CAPTURE" else "authorize"
    return render("review.html", title="Review your payment", total=total(core),
                  merchant=_merchant(doc), items=items, order_id=doc["id"],
                  description=unit.get("description") or core["description"] or "-",
                  email=email, approve=approve, cancel=cancel, error=_error(error),
                  note=f"The merchant will {verb} the payment after you approve it.")


def _merchant(doc: Doc) -> str:
    return doc["experience"].get("brand_name") or "paylab sandbox merchant"
