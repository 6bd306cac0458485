"""The reference merchant shop: the default system under test and the integration example.

A small aiohttp app that sells tea through the Stripe-compatible gateway: it creates a
Checkout Session with the official `stripe` SDK, sends the shopper to the hosted page, and
marks an order paid only when a correctly signed webhook says so, exactly once.
"""
