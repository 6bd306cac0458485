"""paylab simulator: stateful, protocol-faithful payment gateway emulations on one server."""

__version__ = "0.1.0"
