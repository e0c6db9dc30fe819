"""The browser enforces the security policy: injected script does not run (and the suite notices),
tenant brand colours still apply, and another site cannot frame a staff page."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from tests.support.people import remove_test_tenants  # noqa: F401  (autouse)


def wait_for(page, found, tries=100):
    """Poll with the page's own timer: console events arrive only while Playwright is waiting."""
    while not found() and tries:
        page.wait_for_timeout(50)
        tries -= 1
    return found()


@pytest.fixture
def clickjacking_site():
    """Another site on this machine (so Chromium's local network checks let it load ours) whose page
    frames whatever URL it is given: start(url) -> the page's own URL."""
    framed = {}

    class Page(BaseHTTPRequestHandler):
        def do_GET(self):
            body = f'<h1>Win a prize</h1><iframe src="{framed["url"]}"></iframe>'.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def start(url):
        framed["url"] = url
        return f"http://prize.localhost:{server.server_port}/"

    yield start
    server.shutdown()


def test_injected_inline_script_is_blocked_and_reported(page, live_server, make_tenant, csp_violations):
    zoo = make_tenant("zoo", branding={"primary": "#2e6b30"})
    page.goto(live_server.url(zoo))
    expect(page.locator(".site-header")).to_have_css("background-color", "rgb(46, 107, 48)")  # brand still applies
    assert csp_violations == []  # the page itself keeps to the policy

    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = 'window.injected = true'; document.body.append(s); }""")
    assert page.evaluate("window.injected") is None
    assert wait_for(page, lambda: any("script-src" in v for v in csp_violations))
    csp_violations.take()  # caused on purpose: the teardown check is for violations nobody expected


def test_a_staff_page_cannot_be_framed_by_another_site(page, live_server, make_tenant, clickjacking_site,
                                                       csp_violations):
    zoo = make_tenant("zoo")
    page.goto(clickjacking_site(live_server.url(zoo, "/staff/login")))
    expect(page.get_by_role("heading", name="Win a prize")).to_be_visible()
    assert wait_for(page, lambda: any("frame-ancestors 'none'" in v for v in csp_violations))
    expect(page.frame_locator("iframe").locator("input[type=password]")).to_have_count(0)
    csp_violations.take()
