"""paylab simulator: stateful, protocol-faithful payment gateway emulations under one aiohttp server."""

__version__ = "0.1.0"
