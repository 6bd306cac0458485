"""The suites' webhook receiver: paylab.testing's `WebhookSink`, a fresh one per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from paylab.testing.sink import Received, WebhookSink

__all__ = ["Received", "WebhookSink", "webhook_sink"]


@pytest.fixture
def webhook_sink() -> Iterator[WebhookSink]:
    """A fresh receiver per test."""
    sink = WebhookSink().start()
    yield sink
    sink.stop()
