"""How checkout is set up: which views skip CSRF, where gateways may point in production, and a
whole purchase on the embedded default (SQLite, as `make run` sells)."""
from __future__ import annotations

import pytest

from models import db
from services.checkout.gateways import GatewayMisconfigured, adapter_for
from services.inventory import Owner
from tests.support import payments as pay


def test_only_the_gateway_callbacks_and_the_gate_api_are_exempt_from_csrf(app):
    """The gate's API takes its token in a header, which no other site can make a browser send."""
    from extensions import csrf

    assert csrf._exempt_views == {"blueprints.checkout.payments.gateway_return",
                                  "blueprints.checkout.payments.gateway_ipn", "blueprints.gate.api.api_scan",
                                  "blueprints.gate.api.api_sync", "blueprints.gate.api.api_offline"}


def test_production_refuses_a_simulator_gateway_unless_the_tenant_is_marked_test(production_app, make_tenant):
    from services import tenants
    from services.tenant_db import tenant_context

    zoo = pay.with_gateways(production_app, make_tenant("zoo", "events"), names=("sslcommerz",))
    with production_app.app_context():
        with tenant_context(zoo), pytest.raises(GatewayMisconfigured, match="production refuses"):
            adapter_for("sslcommerz")
        marked = tenants.update_config(zoo.slug, features={"test": True})
        production_app.config["GATEWAY_SIMULATOR_URL"] = "http://127.0.0.1:9"
        with tenant_context(marked):
            assert adapter_for("sslcommerz").name == "sslcommerz"


def test_production_refuses_a_live_gateway_pointed_at_a_sandbox(production_app, make_tenant):
    from services import tenants
    from services.checkout.gateways import seal_settings
    from services.demo.payments import DEMO_CREDENTIALS
    from services.tenant_db import tenant_context

    zoo = make_tenant("zoo", "events")
    with production_app.app_context():
        settings = seal_settings(zoo.slug, "bkash", enabled=True, mode="live", credentials=DEMO_CREDENTIALS["bkash"],
                                 base_url="https://tokenized.sandbox.bka.sh/v1.2.0-beta")
        zoo = tenants.update_config(zoo.slug, payment_gateways={"bkash": settings})
        with tenant_context(zoo), pytest.raises(GatewayMisconfigured, match="production refuses"):
            adapter_for("bkash")


def test_a_disabled_gateway_cannot_be_chosen(app, make_tenant, in_tenant):
    zoo = pay.with_gateways(app, make_tenant("zoo", "events"), names=("bkash",))
    with in_tenant(zoo), pytest.raises(GatewayMisconfigured):
        adapter_for("sslcommerz")


def test_a_whole_purchase_on_sqlite_confirms_with_the_notification_before_the_return(
        app, make_sqlite_tenant, in_tenant, client_for, sandbox, app_server):
    zoo = pay.with_gateways(app, make_sqlite_tenant("zoo", "events"))
    with in_tenant(zoo):
        owner = Owner(guest_key="g" * 20)
        hold, _event_id, _type_id = pay.event_hold(owner)
        started = pay.start(zoo, hold, owner, pay.event_details(), gateway="sslcommerz", port=app_server)
        ref, token = started.payment.gateway_ref, started.booking.token
        db.session.rollback()  # the customer's request is over: nothing of it stays open
        back = sandbox.pay(ref)
    assert [n.get("status_code") for n in sandbox.notifications] == [200]  # answered at once, not timed out
    client = client_for(zoo)
    answer = client.post(back.url.split(f":{app_server}", 1)[1], data=back.fields)
    assert answer.status_code == 303
    page = client.get(f"/bookings/{token}")
    assert "Confirmed — your tickets" in page.get_data(as_text=True)


def test_free_tickets_are_confirmed_without_a_gateway(app, make_tenant, in_tenant, sandbox):
    from models.bookings import Booking, Payment, Ticket
    from models.events import TicketType

    zoo = pay.with_gateways(app, make_tenant("zoo", "events"))
    with in_tenant(zoo):
        owner = Owner(guest_key="f" * 20)
        hold, _event_id, type_id = pay.event_hold(owner, quantity=3, price="0")
        started = pay.start(zoo, hold, owner, pay.event_details())
        assert started.redirect_url is None and started.payment is None
        booking = db.session.get(Booking, started.booking.id)
        assert booking.status == "confirmed" and booking.total == 0
        assert db.session.query(Ticket).filter_by(booking_id=booking.id).count() == 3
        assert db.session.query(Payment).filter_by(booking_id=booking.id).count() == 0
        counters = db.session.get(TicketType, type_id)
        assert (counters.sold, counters.held) == (3, 0)
    assert sandbox.transactions == []  # nobody was sent to pay nothing


def test_the_gateway_command_seals_the_credentials(app, make_tenant):
    import sqlalchemy as sa

    from models.platform import Tenant, TenantConfig
    from services import tenants
    from services.tenant_db import tenant_context

    zoo = make_tenant("zoo", "events")
    runner = app.test_cli_runner()
    missing = runner.invoke(args=["tenants", "gateway", zoo.slug, "bkash", "--credential", "app_key=k"])
    assert missing.exit_code != 0 and "app_secret" in missing.output
    done = runner.invoke(args=["tenants", "gateway", zoo.slug, "sslcommerz", "--mode", "sandbox", "--credential",
                               "store_id=zoo01", "--credential", "store_passwd=very-secret-pass"])
    assert done.exit_code == 0, done.output
    with app.app_context():
        stored = db.session.scalar(sa.select(TenantConfig.payment_gateways).join(Tenant)
                                   .where(Tenant.slug == zoo.slug))
        assert stored["sslcommerz"]["mode"] == "sandbox" and stored["sslcommerz"]["enabled"] is True
        assert "very-secret-pass" not in str(stored)  # sealed, never plain
        with tenant_context(tenants.get(zoo.slug)):
            assert adapter_for("sslcommerz").name == "sslcommerz"


def test_a_suspended_tenant_still_settles_a_payment_made_before_and_maintenance_pauses_checkout(
        app, make_tenant, in_tenant, client_for, sandbox, app_server):
    from models.bookings import Booking
    from services import tenants

    zoo = pay.with_gateways(app, make_tenant("zoo", "events"))
    with in_tenant(zoo):
        owner = Owner(guest_key="s" * 20)
        hold, _event_id, _type_id = pay.event_hold(owner)
        started = pay.start(zoo, hold, owner, pay.event_details(), port=app_server)
        ref, booking_id, token = started.payment.gateway_ref, started.booking.id, hold.token
        db.session.rollback()
    with app.app_context():
        tenants.set_status(zoo.slug, "suspended")
    sandbox.pay(ref)
    assert [n.get("status_code") for n in sandbox.notifications] == [200]
    with in_tenant(zoo):
        assert db.session.get(Booking, booking_id).status == "confirmed"
    assert client_for(zoo).get("/events").status_code == 503  # everything else is closed

    with app.app_context():
        tenants.set_status(zoo.slug, "maintenance")
    assert client_for(zoo).get(f"/checkout/{token}").status_code == 503


def test_operators_set_prices_and_the_refund_policy_from_the_command_line(app, make_tenant, in_tenant):
    from services import tenants
    from services.checkout import pricing
    from services.checkout.cancel import tenant_policy

    zoo = pay.with_gateways(app, make_tenant("zoo", "events"))
    runner = app.test_cli_runner()
    bad = runner.invoke(args=["tenants", "set", zoo.slug, 'refund_policy=[{"hours": 24}]'])
    assert bad.exit_code != 0 and "flat" in bad.output
    assert runner.invoke(args=["tenants", "set", zoo.slug, "colour=red"]).exit_code != 0
    done = runner.invoke(args=["tenants", "set", zoo.slug, "vat_percent=15", "service_charge_per_ticket=10",
                               'refund_policy=[{"hours": 48, "inclusive": false, "percent": 10}]'])
    assert done.exit_code == 0, done.output
    with app.app_context():
        zoo = tenants.get(zoo.slug)
    with in_tenant(zoo):
        hold, _event_id, _type_id = pay.event_hold(Owner(guest_key="p" * 20), quantity=2, price="200")
        quote = pricing.price_hold(hold, hold.created_at)
        assert (quote.subtotal, quote.vat, quote.service_charge, quote.total) == (400, 60, 20, 480)
        assert tenant_policy() == [{"hours": 48, "inclusive": False, "percent": 10}]
