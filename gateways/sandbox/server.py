"""Ways to run the simulator: in a thread of the caller's process (tests, benchmarks), or mounted under
a path prefix of another WSGI app (`make run`)."""
from __future__ import annotations

import threading
from typing import Callable

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import WSGIRequestHandler, make_server

from gateways.sandbox.app import create_sandbox_app
from gateways.sandbox.state import Sandbox
from gateways.sandbox.web import EXTENSION


class _QuietRequestHandler(WSGIRequestHandler):
    """No access log line per request: tests and benchmarks call the simulator thousands of times."""

    def log_request(self, code="-", size="-"):
        pass


def serve_in_thread(sandbox: Sandbox | None = None, host: str = "127.0.0.1",
                    port: int = 0) -> tuple[str, Sandbox, Callable[[], None]]:
    """Serve on host:port (0: any free port) from a daemon thread; (base_url, sandbox, stop)."""
    app = create_sandbox_app(sandbox)
    server = make_server(host, port, app, threaded=True, request_handler=_QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="gateway-sandbox", daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        thread.join()
        server.server_close()

    return f"http://{host}:{server.port}", app.extensions[EXTENSION], stop


def mount(app: Flask, prefix: str = "/sandbox", sandbox: Sandbox | None = None) -> Sandbox:
    """Serve the simulator from `app`'s own process under `prefix`; the pages it links to carry the prefix
    (werkzeug sets SCRIPT_NAME). Development only: the caller decides when."""
    sandbox_app = create_sandbox_app(sandbox)
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {prefix.rstrip("/"): sandbox_app})
    return sandbox_app.extensions[EXTENSION]
