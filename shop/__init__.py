"""The reference merchant shop: the default system under test and the integration example.

A small aiohttp app that sells tea through the Stripe-compatible gateway: it creates a
Checkout Session with the official `stripe` SDK, sends the shopper to the hosted page, and
marks an order paid only when a correctly signed webhook says so, exactly once.

It also pays through ECPay AIO (credit card, convenience-store code) and NewebPay MPG:
checkout answers a signed form the shopper's browser posts to the gateway (formpost.py,
ecpay.py, newebpay.py), and the gateways' server notices are verified, matched to the
order's trade and applied exactly once (notify.py).

And it pays through the wallets LINE Pay, JKOPay and PayPal (wallets/): server-to-server
requests signed as each documents, the shopper's approval on the wallet's page, then
LINE Pay Confirm / PayPal capture on the way back and the JKOPay result_url callback and
PayPal webhook, each checked against the order's amount and applied once.
"""
