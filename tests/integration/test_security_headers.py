"""Every response carries the security headers: a policy with no inline script that no page can be
framed under, no MIME sniffing, a short referrer; HSTS in production only. Templates keep to it."""
import re
from pathlib import Path

import pytest

from tests.support.people import remove_test_tenants  # noqa: F401  (autouse)

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return dict((part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip())


def assert_protected(response):
    policy = directives(response)
    assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'self'" and policy["form-action"] == "'self'"
    assert "unsafe-inline" not in policy["style-src-elem"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize("path", ["/", "/staff/login", "/account/login", "/static/css/jatra.css", "/no-such-page"])
def test_tenant_pages_staff_pages_assets_and_errors_carry_the_headers(make_tenant, client_for, path):
    response = client_for(make_tenant("zoo")).get(path)
    assert response.status_code in (200, 404)
    assert_protected(response)
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP outside production


@pytest.mark.parametrize("path", ["/", "/admin/login", "/healthz"])
def test_platform_pages_carry_the_headers(client_for, path):
    assert_protected(client_for("localhost").get(path))


def test_production_also_sends_hsts(production_app, make_tenant):
    zoo = make_tenant("zoo")
    client = production_app.test_client()
    for url in (f"http://{zoo.slug}.localhost/staff/login", "http://localhost/"):
        response = client.get(url)
        assert_protected(response)
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_tenant_branding_reaches_the_page_as_an_attribute_not_a_style_element(make_tenant, client_for):
    page = client_for(make_tenant("zoo")).get("/").get_data(as_text=True)
    assert "<style" not in page and re.search(r'<html [^>]*style="--brand: #[0-9a-fA-F]{3,8}', page)
    assert '"includeIndicatorCSS": false' in page  # htmx would otherwise inject its own stylesheet


# A JSON data block (type="application/json") is not run, so the policy lets it be: it is data.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
HTMX_SCRIPTING = re.compile(r"\shx-on[:\w-]*=|\bjs:|javascript:", re.I)


@pytest.mark.parametrize("template", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html")))
def test_no_template_has_inline_script_handlers_or_style_elements(template):
    """The policy would block them in the browser; this says which file at once."""
    text = (TEMPLATES / template).read_text()
    assert not INLINE_SCRIPT.search(text), "inline <script>: move it into a file under static/"
    assert not EVENT_HANDLER.search(text), "on...= handler: attach it from a script file under static/"
    assert not HTMX_SCRIPTING.search(text), "hx-on / js: / javascript: need eval, which the policy forbids"
    assert "<style" not in text, "<style> element: put the rules in static/css (style attributes are allowed)"
