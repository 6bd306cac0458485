"""Stripe object shapes beyond payments, one module per resource family; the Renderer
(../render.py) delegates to them. They import nothing of the pipeline."""
