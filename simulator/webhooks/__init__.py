"""Webhook signing schemes (pure functions) and the outbox dispatcher."""
