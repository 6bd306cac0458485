"""A small merchant backend: takes card payments through Stripe and fulfils orders when
Stripe's webhook says they are paid. Its tests run against paylab's simulator."""
