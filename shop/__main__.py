"""`python -m shop`: run the reference shop on its own (paylab up runs it beside the gateway)."""

from __future__ import annotations

import argparse
import logging

from aiohttp import web
from paylab.shop.app import SETTINGS, create_app
from paylab.shop.settings import ShopSettings


def main() -> None:
    """Parse flags and serve until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m shop")
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument("--gateway-url")
    parser.add_argument("--db")
    parser.add_argument("--products")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    settings = ShopSettings.from_env(host=args.host, port=args.port,
                                     gateway_url=args.gateway_url, db=args.db,
                                     products=args.products)
    app = create_app(settings)
    started = (f"shop on {settings.base_url}, paying through {settings.gateway_url} with "
               f"API key {app[SETTINGS].api_key}")
    web.run_app(app, host=settings.host, port=settings.port, access_log=None,
                print=lambda _: print(started, flush=True))


if __name__ == "__main__":
    main()
