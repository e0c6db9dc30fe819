"""Browser tests: Playwright drives Debian's Chromium against a live server on 127.0.0.1, reached
as http://<tenant>.localhost:<port> (Chromium resolves *.localhost to loopback by itself).

The live server sends the same security headers as production (all but HSTS: it is plain HTTP),
and a test fails if the browser reports any Content-Security-Policy violation on any of its pages."""
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
def live_server(platform_db_url, redis_url, tmp_path_factory, app, simulator):
    port = free_port()
    live_app = _make_app(platform_db_url, redis_url, tmp_path_factory.mktemp("live"), PORT=port,
                         GATEWAY_SIMULATOR_URL=simulator[0])
    live_app.testing = False  # real error pages, as a person sees them
    server = make_server("127.0.0.1", port, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(live_app, port)
    server.shutdown()


# Chromium logs its own "Refused to ..." line for most violations; this makes sure every one of them
# (including those it reports only as an event) reaches the console with the same words.
REPORT_POLICY_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`Content Security Policy violation: ${e.violatedDirective} blocked `
                + `${e.blockedURI || "inline code"} in ${e.sourceFile || document.URL}:${e.lineNumber}`);
});
"""


class PolicyViolations(list):
    """What the browser reported as blocked by the Content-Security-Policy, in this test."""

    def take(self) -> list[str]:
        """The violations so far, forgotten afterwards (for a test that causes one on purpose)."""
        found = list(self)
        self.clear()
        return found


@pytest.fixture
def csp_violations():
    return PolicyViolations()


@pytest.fixture
def page(page, csp_violations):
    page.set_default_timeout(10_000)
    context = page.context  # every page of the test: the outbox tab too
    context.add_init_script(REPORT_POLICY_VIOLATIONS)

    def collect(message):
        if "Content Security Policy" in message.text:
            csp_violations.append(f"{message.page.url if message.page else '?'}: {message.text}")

    context.on("console", collect)
    yield page
    if csp_violations:
        pytest.fail("the browser reported Content-Security-Policy violations:\n" + "\n".join(csp_violations))
