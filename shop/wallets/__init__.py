"""The shop's wallets: LINE Pay Online API v3, JKOPay OnlinePay and PayPal Orders v2.

Unlike the form-post rails, the shop talks to these gateways server to server: it asks
the wallet for a payment, sends the shopper's browser to the wallet's approval page, and
learns the outcome from its own calls (LINE Pay Confirm, PayPal capture, JKOPay inquiry)
and from the wallets' signed callbacks (JKOPay result_url, PayPal webhooks). An order is
fulfilled once, only after the amount and currency the wallet reports match the shop's
own record of the payment; what the browser brings back is never trusted.

Modules: `http` (one client session, JSON read exactly), `linepay`, `jkopay`, `paypal`
(each wallet's own client, written from its documentation), `flows` (checkout and the
browser's returns), `receivers` (the callbacks), `settle` (fulfilment, shared), `sweeper`
(LINE Pay payments approved without the browser coming back, confirmed in the background).
"""
