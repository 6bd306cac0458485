"""The gateway kit: what every gateway adapter shares.

`pipeline` runs each API operation (authenticate, read, claim idempotency, decode,
validate against the contracts, call, render, commit); an adapter supplies a `WireFormat`
(its way of reading requests and writing answers and errors) and its `Operation`s.
"""
