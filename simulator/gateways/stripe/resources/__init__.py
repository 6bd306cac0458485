"""Stripe resources beyond payments: each module holds one resource family's handlers
(their routes are in ../routes.py, their shapes in ../shapes/)."""
