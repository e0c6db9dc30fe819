"""The gate's pages on PostgreSQL: gate staff open a gate with the form (bad input refused with a
message, nothing made), the console carries its token and texts, counters follow the scans; the
admin sees every gate and the conflicts; the manifest and service worker are served for the
console's scope."""
from __future__ import annotations

import re

import sqlalchemy as sa

from models import db
from models.gate import Gate
from services.gate import checkin
from tests.support.gate import gate_staff, sold_tickets
from tests.support.people import PASSWORD, login_staff, make_staff
from tests.support.people import remove_test_tenants  # noqa: F401  (autouse)


def _gates(in_tenant, zoo):
    with in_tenant(zoo):
        db.session.rollback()
        return list(db.session.scalars(sa.select(Gate).order_by(Gate.id)))


def test_gate_staff_open_a_gate_scan_and_see_counters(shop):
    zoo = shop.zoo()
    tickets = sold_tickets(shop, zoo, quantity=2)
    _, email = gate_staff(shop.in_tenant, zoo)
    client = shop.client_for(zoo)
    login_staff(client, email, PASSWORD)
    page = client.get("/staff/gate")
    assert page.status_code == 200 and "Open a gate" in page.get_data(as_text=True)
    refused = client.post("/staff/gate", data={"name": "", "kind": "event", "event_id": tickets[0].event_id,
                                               "grace_minutes": 15})
    assert refused.status_code == 422 and "Name the gate" in refused.get_data(as_text=True)
    no_event = client.post("/staff/gate", data={"name": "North gate", "kind": "event", "event_id": 0,
                                                "grace_minutes": 15})
    assert no_event.status_code == 422 and "Choose an event." in no_event.get_data(as_text=True)
    assert _gates(shop.in_tenant, zoo) == []
    opened = client.post("/staff/gate", data={"name": "North gate", "kind": "event", "event_id": tickets[0].event_id,
                                              "grace_minutes": 15})
    [gate] = _gates(shop.in_tenant, zoo)
    assert opened.status_code == 303 and opened.headers["Location"].endswith(f"/staff/gate/{gate.id}")
    console = client.get(f"/staff/gate/{gate.id}").get_data(as_text=True)
    token = re.search(r'data-token="([^"]+)"', console).group(1)
    assert 'id="gate-messages"' in console and 'id="scan-input"' in console and "North gate" in console
    answer = client.post("/staff/gate/api/scan", json={"code": tickets[0].code, "device": "p"},
                         headers={"X-Gate-Token": token})
    assert answer.get_json()["result"] == "admitted"
    client.post("/staff/gate/api/scan", json={"code": "nonsense", "device": "p"}, headers={"X-Gate-Token": token})
    counters = client.get(f"/staff/gate/{gate.id}/counters", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert re.search(r'id="count-admitted">1<', counters) and "1 / 2" in counters
    assert 'data-reason="unknown_ticket"' in counters and "<html" not in counters
    assert client.get("/staff/gate/overview").status_code == 403  # a gate role sees its own gate only
    closed = client.post(f"/staff/gate/{gate.id}/close")
    assert closed.status_code == 303
    assert client.post("/staff/gate/api/scan", json={"code": tickets[1].code, "device": "p"},
                       headers={"X-Gate-Token": token}).status_code == 401  # this process forgot it at once


def test_the_admin_sees_every_gate_and_another_members_gate_is_not_theirs(shop):
    zoo = shop.zoo()
    tickets = sold_tickets(shop, zoo, quantity=1)
    gate_id, gate_email = gate_staff(shop.in_tenant, zoo)
    _, other_email = gate_staff(shop.in_tenant, zoo, email="other-gate@example.com")
    _, admin_email = make_staff(shop.in_tenant, zoo, "admin")
    guard = shop.client_for(zoo)
    login_staff(guard, gate_email, PASSWORD)
    guard.post("/staff/gate", data={"name": "East gate", "kind": "event", "event_id": tickets[0].event_id,
                                    "grace_minutes": 15})
    [gate] = _gates(shop.in_tenant, zoo)
    with shop.in_tenant(zoo):
        checkin.scan(gate.id, tickets[0].code, device="p")
        checkin.scan(gate.id, tickets[0].code, device="p")
    other = shop.client_for(zoo)
    login_staff(other, other_email, PASSWORD)
    assert other.get(f"/staff/gate/{gate.id}").status_code == 404
    admin = shop.client_for(zoo)
    login_staff(admin, admin_email, PASSWORD)
    overview = admin.get("/staff/gate/overview").get_data(as_text=True)
    assert "East gate" in overview and "Already used 1" in overview and 'id="total-admitted">1<' in overview
    assert admin.get(f"/staff/gate/{gate.id}").status_code == 200  # an admin may take a gate over
    assert admin.get("/staff/gate/conflicts").status_code == 200
    booking = admin.get(f"/staff/bookings/{tickets[0].booking_id}").get_data(as_text=True)
    assert re.search(r"<td>[^<]*, East gate</td>", booking)  # staff see where a ticket went in
    manifest = admin.get("/staff/gate/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json" and manifest.get_json()["start_url"] == "/staff/gate"
