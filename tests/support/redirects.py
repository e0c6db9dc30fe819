"""`next=` values that try to lead a redirect off the site: each must be refused."""

EVIL = "evil.example.com"

OPEN_REDIRECT_ATTEMPTS = [
    # other hosts, written so that a prefix check ("starts with /") lets them through
    f"//{EVIL}", f"///{EVIL}", f"////{EVIL}/x", f"/\\{EVIL}", f"\\\\{EVIL}", f"\\/{EVIL}", f"/\\/{EVIL}",
    # browsers drop tabs and newlines from a Location header: /<tab>/evil is //evil
    f"/\t/{EVIL}", f"/\n/{EVIL}", f"/\r/{EVIL}", f"/\r\n/{EVIL}", f"\t//{EVIL}", f" //{EVIL}", f"/\x00/{EVIL}",
    f"/\x0b/{EVIL}", f"/\x7f/{EVIL}",
    # the same, percent-encoded (once or twice), for proxies and routers that decode
    f"/%09/{EVIL}", f"/%0a/{EVIL}", f"/%0d/{EVIL}", f"/%2F{EVIL}", f"/%2f/{EVIL}", f"%2F%2F{EVIL}",
    f"/%2F%2F{EVIL}", f"/%5C{EVIL}", f"/%5c/{EVIL}", f"/%252F%252F{EVIL}", f"/%2e%2e//{EVIL}",
    # dot segments
    f"/..//{EVIL}", f"/./..//{EVIL}",
    # schemes
    f"https://{EVIL}", f"http://{EVIL}/", f"HTTPS://{EVIL}", f"http:/{EVIL}", f"http:{EVIL}", f"https:\\\\{EVIL}",
    f"ftp://{EVIL}", "javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>", f"//{EVIL}@localhost", f"http://localhost@{EVIL}",
    # not a path at all
    EVIL, f"{EVIL}/path", "?next=//evil", "#x", "", "http://[::1", "/" + "x" * 3000,
]

# Paths on the site that must go through unchanged (other scripts come back percent-encoded).
LOCAL_TARGETS = {
    "/": "/",
    "/events?date_from=2026-03-01&category=zoo": "/events?date_from=2026-03-01&category=zoo",
    "/account/passengers#saved": "/account/passengers#saved",
    "/search?q=a%2Fb": "/search?q=a%2Fb",
    "/events/ঢাকা": "/events/%E0%A6%A2%E0%A6%BE%E0%A6%95%E0%A6%BE",
}

# One of each family, for tests that pay for a real login per attempt (the unit test takes them all).
LOGIN_ATTEMPTS = [f"//{EVIL}", f"/\\{EVIL}", f"/\t/{EVIL}", f"/\n/{EVIL}", f"/\r/{EVIL}", f"/\x00/{EVIL}",
                  f"/%09/{EVIL}", f"/%2F%2F{EVIL}", f"/%252F%252F{EVIL}", f"/..//{EVIL}", f"https://{EVIL}",
                  f"http:/{EVIL}", "javascript:alert(1)", EVIL]
