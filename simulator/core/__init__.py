"""The domain: payments, refunds, events, idempotency and the outbox. Never imports aiohttp.

Adapters in `simulator.gateways` translate their wire formats into calls on these modules
and render `CoreError`s into their gateway's own error shape.
"""
