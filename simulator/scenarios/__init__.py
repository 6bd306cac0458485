"""The scenario engine: rules (match -> lifetime -> effects) and fraud rules, as data.

A scenario is loaded from YAML or JSON (validated against contracts/control/scenario),
globally or for one tenant, and decides per request which effects to apply, per webhook
delivery which chaos to add, and per payment attempt whether a fraud rule fires. All
sampling is seeded, so the same seed and request sequence give the same effects.
"""
