"""Language choice and money formatting through Babel."""
from decimal import Decimal

from blueprints.web import money


def test_the_language_switch_remembers_the_choice(make_tenant, client_for):
    client = client_for(make_tenant("zoo"))
    response = client.post("/language", data={"lang": "bn", "next": "/"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert 'lang="bn"' in page and "যেভাবে কাজ করে" in page
    client.post("/language", data={"lang": "en"})
    assert "How it works" in client.get("/").get_data(as_text=True)


def test_the_browser_language_is_the_default(client_for):
    page = client_for("localhost").get("/", headers={"Accept-Language": "bn-BD,bn;q=0.9"}).get_data(as_text=True)
    assert "সারা বাংলাদেশে" in page


def test_the_language_switch_never_redirects_off_site(client_for):
    for target in ("https://evil.example.com/", "//evil.example.com/", "javascript:alert(1)"):
        response = client_for("localhost").post("/language", data={"lang": "bn", "next": target})
        assert response.headers["Location"] == "/"


def test_an_unknown_language_is_ignored(client_for):
    response = client_for("localhost").post("/language", data={"lang": "xx"})
    assert "lang=" not in response.headers.get("Set-Cookie", "")


def test_money_is_taka_in_both_languages(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert money(Decimal("1234567.5")) == "৳12,34,567.50"
        assert money(50) == "৳50.00"
    with app.test_request_context(headers={"Accept-Language": "bn"}):
        assert money(Decimal("1250")) == "1,250.00৳"
