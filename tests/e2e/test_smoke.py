"""A visitor finds an operator on the platform page, opens its site and switches language."""
from playwright.sync_api import expect


def test_visitor_opens_platform_follows_a_tenant_link_and_switches_language(page, live_server, make_tenant):
    zoo = make_tenant("zoo", branding={"tagline": "Tigers, elephants and a lake", "primary": "#2e6b30"})

    page.goto(live_server.url())
    expect(page.get_by_role("heading", level=1)).to_contain_text("Tickets for trains, zoos, forts")
    # Other tests' tenants may be called Zoo too: follow this one's link.
    page.locator(f'a[href="{live_server.url(zoo)}"]').filter(has_text="Zoo").first.click()

    expect(page).to_have_url(live_server.url(zoo))
    expect(page.get_by_role("heading", level=1)).to_have_text("Zoo")
    expect(page.get_by_text("Tigers, elephants and a lake")).to_be_visible()

    page.get_by_role("button", name="বাংলা").click()
    expect(page.get_by_role("region", name="যেভাবে কাজ করে")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "bn")
    page.reload()  # the choice is remembered
    expect(page.locator("html")).to_have_attribute("lang", "bn")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_an_unknown_tenant_host_shows_the_not_found_page(page, live_server):
    response = page.goto(live_server.url("nosuchplace"))
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("No site at this address")


def test_staff_login_form_posts_through_htmx_with_the_csrf_header(page, live_server, make_tenant, in_tenant):
    from services import staff
    from services.audit import Actor

    fort = make_tenant("fort")
    with in_tenant(fort):
        staff.create_staff("guard@fort.example.com", "Rahim", "gate", "gate-pass-123", actor=Actor.system("test"))

    page.goto(live_server.url(fort, "/staff/login"))
    page.get_by_label("Email").fill("guard@fort.example.com")
    page.get_by_label("Password").fill("wrong-password")
    with page.expect_response(lambda r: r.url.endswith("/staff/login")) as answer:
        page.get_by_role("button", name="Log in").click()
    assert answer.value.status == 422  # the form fragment comes back with the error, swapped in place
    expect(page.get_by_text("do not match an active staff account")).to_be_visible()

    page.get_by_label("Password").fill("gate-pass-123")
    page.get_by_role("button", name="Log in").click()
    # every role lands on the staff dashboard (before issue 8 a gate member got the 403 page here)
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff dashboard")
