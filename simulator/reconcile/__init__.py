"""`paylab reconcile`: a merchant's order book against a gateway's settlement and the
simulator's ledger, and the discrepancies between them (kinds in `model.KINDS`)."""
