"""The core's own words: payment statuses, event kinds and error codes, named by no gateway.

Adapters map these to their gateway's words (its statuses, event names, result codes
and messages) in their own `vocabulary.py`; the core stores and emits only these.
"""

from __future__ import annotations

# -- payment statuses ---------------------------------------------------------------------
#: Created; waits for a card (or the last attempt failed).
NEEDS_METHOD = "needs_method"
#: Has a card; waits for the merchant to confirm.
NEEDS_CONFIRMATION = "needs_confirmation"
#: Waits for the shopper (3-D Secure challenge).
NEEDS_ACTION = "needs_action"
#: Sent on; the outcome arrives later (a timer settles it).
PENDING = "pending"
#: Authorised and held; waits for capture.
AUTHORIZED = "authorized"
SUCCEEDED = "succeeded"
CANCELED = "canceled"

PAYMENT_STATUSES = (NEEDS_METHOD, NEEDS_CONFIRMATION, NEEDS_ACTION, PENDING, AUTHORIZED,
                    SUCCEEDED, CANCELED)

# -- object kinds (the store's `kind` column and events' `object_kind`) ----------------------
PAYMENT = "payment"
CHARGE = "charge"
REFUND = "refund"
REVIEW = "review"
CHECKOUT = "checkout_session"
METHOD = "payment_method"
ENDPOINT = "webhook_endpoint"
#: A shopper a merchant keeps (their saved payment methods hang off it).
CUSTOMER = "customer"
#: Saving a payment method for later payments without the shopper (may need 3-D Secure).
SETUP = "setup"
#: What a merchant sells, and what it costs (a one-time price of a product).
PRODUCT = "product"
PRICE = "price"
#: One movement of the merchant's balance: a payment's settled funds or a refund, with
#: the gateway's fee and the date the funds become available.
BALANCE_ENTRY = "balance_entry"

# -- event kinds ----------------------------------------------------------------------------
PAYMENT_CREATED = "payment.created"
PAYMENT_NEEDS_ACTION = "payment.needs_action"
PAYMENT_PENDING = "payment.pending"
PAYMENT_SUCCEEDED = "payment.succeeded"
PAYMENT_FAILED = "payment.failed"
PAYMENT_CANCELED = "payment.canceled"
PAYMENT_AUTHORIZED = "payment.authorized"
CHARGE_SUCCEEDED = "charge.succeeded"
CHARGE_FAILED = "charge.failed"
CHARGE_CAPTURED = "charge.captured"
CHARGE_REFUNDED = "charge.refunded"
REFUND_CREATED = "refund.created"
REVIEW_OPENED = "review.opened"
CHECKOUT_COMPLETED = "checkout.completed"
CHECKOUT_EXPIRED = "checkout.expired"
CUSTOMER_CREATED = "customer.created"
CUSTOMER_UPDATED = "customer.updated"
CUSTOMER_DELETED = "customer.deleted"
METHOD_ATTACHED = "payment_method.attached"
METHOD_DETACHED = "payment_method.detached"
METHOD_UPDATED = "payment_method.updated"
SETUP_CREATED = "setup.created"
SETUP_NEEDS_ACTION = "setup.needs_action"
SETUP_SUCCEEDED = "setup.succeeded"
SETUP_FAILED = "setup.failed"
SETUP_CANCELED = "setup.canceled"
PRODUCT_CREATED = "product.created"
PRODUCT_UPDATED = "product.updated"
PRODUCT_DELETED = "product.deleted"
PRICE_CREATED = "price.created"
PRICE_UPDATED = "price.updated"

#: Every event kind the core emits.
EVENT_KINDS = (
    PAYMENT_CREATED, PAYMENT_NEEDS_ACTION, PAYMENT_PENDING, PAYMENT_SUCCEEDED, PAYMENT_FAILED,
    PAYMENT_CANCELED, PAYMENT_AUTHORIZED, CHARGE_SUCCEEDED, CHARGE_FAILED, CHARGE_CAPTURED,
    CHARGE_REFUNDED, REFUND_CREATED, REVIEW_OPENED, CHECKOUT_COMPLETED, CHECKOUT_EXPIRED,
    CUSTOMER_CREATED, CUSTOMER_UPDATED, CUSTOMER_DELETED, METHOD_ATTACHED, METHOD_DETACHED,
    METHOD_UPDATED, SETUP_CREATED, SETUP_NEEDS_ACTION, SETUP_SUCCEEDED, SETUP_FAILED,
    SETUP_CANCELED, PRODUCT_CREATED, PRODUCT_UPDATED, PRODUCT_DELETED, PRICE_CREATED,
    PRICE_UPDATED,
)

# -- error codes (CoreError.code); `context` carries what an adapter needs to word them ----
#: No such object: context `object` (a kind above, or a gateway reference kind), `id`.
NOT_FOUND = "not_found"
#: The operation may not start from the payment's status: context `object`, `id`, `status`,
#: `verb` and `allowed` (statuses), or `target` for a forbidden transition, or `field` for
#: an update, or `missing` for what the operation lacks.
INVALID_STATE = "invalid_state"
#: A required input is missing: context `names` (any one of them would do).
MISSING_PARAMETER = "missing_parameter"
#: Two inputs that exclude each other: context `names`.
CONFLICTING_PARAMETERS = "conflicting_parameters"
#: Context `minimum` and `currency`.
AMOUNT_TOO_SMALL = "amount_too_small"
#: Context `maximum` (or `remaining`) and `currency`.
AMOUNT_TOO_LARGE = "amount_too_large"
#: The issuer (or a fraud rule) declined the card.
DECLINED = "declined"
#: The payment failed 3-D Secure.
AUTHENTICATION_FAILED = "authentication_failed"
#: A refund on a charge with nothing left to refund: context `charge`.
ALREADY_REFUNDED = "already_refunded"
#: A refund on a payment without a captured charge: context `id`.
NOT_REFUNDABLE = "not_refundable"
#: A checkout that is not (or no longer) open or not paid: context `id`, `status`.
CHECKOUT_UNPAID = "checkout_unpaid"
CHECKOUT_NOT_OPEN = "checkout_not_open"
CHECKOUT_EXPIRED_ERROR = "checkout_expired"
#: A value outside its list: context `index` and `allowed`.
INVALID_CHOICE = "invalid_choice"
#: A currency the simulator does not support: context `currency`, `supported`.
UNSUPPORTED_CURRENCY = "unsupported_currency"
#: A value the core refuses with its own message (inconsistent inputs).
INVALID_VALUE = "invalid_value"
#: A number outside its range: context `low` and `high` where known.
OUT_OF_RANGE = "out_of_range"
#: A URL the simulator will not call (its own control API, ...).
INVALID_URL = "invalid_url"
#: A saved card charged without the shopper needs 3-D Secure: context `payment`, `method`.
AUTHENTICATION_REQUIRED = "authentication_required"
#: A test card the simulator knows but whose published behaviour it does not emulate:
#: context `card` (its name) and `behaviour` (what it would do).
NOT_EMULATED = "not_emulated"
#: The request names an account (a connected account) the simulator does not emulate.
ACCOUNT_INVALID = "account_invalid"
