"""Load tests and benchmarks for paylab."""
