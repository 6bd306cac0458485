"""Realistic, varied request data from Faker (Taiwanese and US shoppers)."""

from __future__ import annotations

import random

from faker import Faker

_FAKE = Faker(["zh_TW", "en_US"])


def shopper() -> dict[str, str]:
    """A shopper's name, e-mail and city, Taiwanese or American."""
    locale = random.choice(("zh_TW", "en_US"))
    fake = _FAKE[locale]
    return {"name": fake.name(), "email": fake.email(), "city": fake.city(),
            "locale": locale}


def order_metadata(person: dict[str, str]) -> dict[str, str]:
    """Form fields for a PaymentIntent's metadata and description."""
    return {
        "description": f"Order for {person['name']}",
        "receipt_email": person["email"],
        "metadata[order]": f"ord_{random.randrange(10**8):08d}",
        "metadata[city]": person["city"],
        "metadata[locale]": person["locale"],
    }


def price() -> dict[str, str]:
    """An amount and currency: US dollars with cents, or whole New Taiwan dollars (which
    Stripe still counts in hundredths)."""
    if random.random() < 0.5:
        return {"amount": str(random.randrange(10, 20_000) * 100), "currency": "twd"}
    return {"amount": str(random.randrange(500, 50_000)), "currency": "usd"}
