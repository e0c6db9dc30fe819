"""`python -m gateways.sandbox --port 5055`: the simulator on its own."""
from __future__ import annotations

import argparse

from werkzeug.serving import make_server

from gateways.sandbox.app import create_sandbox_app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m gateways.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5055)
    options = parser.parse_args()
    server = make_server(options.host, options.port, create_sandbox_app(), threaded=True)
    print(f"Gateway sandbox on http://{options.host}:{server.port}  "
          f"(SSLCommerz at /sslcommerz, bKash at /bkash)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
