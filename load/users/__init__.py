"""Locust user classes, one per flow."""
