"""Browser tests: Playwright drives Debian's Chromium against a live server on 127.0.0.1, reached
as http://<tenant>.localhost:<port> (Chromium resolves *.localhost to loopback by itself)."""
from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import _make_app
from tests.support.servers import free_port

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"],
    }


class LiveServer:
    def __init__(self, app, port: int):
        self.app, self.port = app, port

    def url(self, site=None, path: str = "/") -> str:
        """site: None for the platform, a tenant (or its slug) for that tenant's host."""
        host = "localhost" if site is None else f"{getattr(site, 'slug', site)}.localhost"
        return f"http://{host}:{self.port}{path}"


@pytest.fixture(scope="session")
def live_server(platform_db_url, redis_url, tmp_path_factory, app):
    port = free_port()
    live_app = _make_app(platform_db_url, redis_url, tmp_path_factory.mktemp("live"), PORT=port)
    live_app.testing = False  # real error pages, as a person sees them
    server = make_server("127.0.0.1", port, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(live_app, port)
    server.shutdown()


@pytest.fixture
def page(page):
    page.set_default_timeout(10_000)
    return page
