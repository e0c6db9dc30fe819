"""The gate on real PostgreSQL: one check-in per ticket under concurrent scans at two gates (with
a control run that shows the race is real), every scan recorded, refusals named, offline scans
synced once each with the first admission winning, and the scan API's token."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from models import db
from models.base import utcnow
from models.bookings import Ticket
from models.gate import Scan
from services.gate import checkin, counters, tokens
from services.gate.checkin import OfflineScan
from tests.support.gate import gate_staff, open_gate, sold_tickets, ticket_status
from tests.support.people import remove_test_tenants  # noqa: F401  (autouse)


@pytest.fixture
def zoo_gates(shop):
    zoo = shop.zoo()
    staff_id, _ = gate_staff(shop.in_tenant, zoo)
    tickets = sold_tickets(shop, zoo, quantity=3)
    event_id = tickets[0].event_id
    north = open_gate(shop.in_tenant, zoo, staff_id, "North gate", event_id=event_id)
    south = open_gate(shop.in_tenant, zoo, staff_id, "South gate", event_id=event_id)
    return zoo, tickets, north, south


def _scans(in_tenant, zoo, ticket_id):
    with in_tenant(zoo):
        db.session.rollback()
        return db.session.execute(sa.select(Scan.gate_id, Scan.result, Scan.reason).where(Scan.ticket_id == ticket_id)
                                  .order_by(Scan.id)).all()


def test_two_gates_scanning_one_ticket_at_once_admit_it_exactly_once(shop, zoo_gates, race):
    zoo, tickets, north, south = zoo_gates
    names = {north: "North gate", south: "South gate"}
    for ticket in tickets:
        with shop.in_tenant(zoo):
            outcomes = race(8, _scanner(ticket.code, [north, south] * 4))
        assert all(isinstance(o, checkin.Outcome) for o in outcomes), outcomes
        admitted = [o for o in outcomes if o.result == "admitted"]
        refused = [o for o in outcomes if o.result == "rejected"]
        assert len(admitted) == 1 and len(refused) == 7
        [winner_gate] = [gate for gate, result, _ in _scans(shop.in_tenant, zoo, ticket.id) if result == "admitted"]
        for loser in refused:
            assert loser.reason == "already_used"
            assert loser.first.gate == names[winner_gate] and loser.first.by == "Test gate"
        assert ticket_status(shop.in_tenant, zoo, ticket.id) == ("used", winner_gate)
        assert len(_scans(shop.in_tenant, zoo, ticket.id)) == 8  # every refusal is recorded too


def _scanner(code, gate_ids):
    turn = iter(range(len(gate_ids)))
    lock = threading.Lock()

    def scan():
        with lock:
            gate_id = gate_ids[next(turn)]
        return checkin.scan(gate_id, code, device=f"device-{gate_id}")

    return scan


def test_control_a_read_then_write_check_in_admits_twice(shop, zoo_gates, race):
    """The same race against a naive check-in (read the status, then write): more than one gate
    admits the ticket. This is the race the conditional UPDATE closes."""
    zoo, tickets, north, south = zoo_gates
    ticket = tickets[0]

    def naive():
        status = db.session.scalar(sa.select(Ticket.status).where(Ticket.id == ticket.id))
        if status != "valid":
            return "already_used"
        threading.Event().wait(0.05)  # a request's worth of work between the read and the write
        db.session.execute(sa.update(Ticket).where(Ticket.id == ticket.id).values(status="used", used_at=utcnow()))
        db.session.commit()
        return "admitted"

    with shop.in_tenant(zoo):
        results = race(8, naive)
    assert results.count("admitted") > 1


def test_every_refusal_is_named_and_recorded(shop, zoo_gates):
    zoo, tickets, north, _ = zoo_gates
    with shop.in_tenant(zoo):
        forged = tickets[0].code[:-6] + ("AAAAAA" if not tickets[0].code.endswith("AAAAAA") else "BBBBBB")
        assert checkin.scan(north, forged, device="d").reason in ("bad_signature", "unreadable")
        assert checkin.scan(north, "hello", device="d").reason == "unknown_ticket"
        assert checkin.scan(north, "JT:%%%", device="d").reason == "unreadable"
        by_number = checkin.scan(north, tickets[1].number.lower(), device="d")
        assert (by_number.result, by_number.number) == ("admitted", tickets[1].number)
        assert checkin.scan(north, tickets[1].code, device="d").reason == "already_used"
        too_early = checkin.scan(north, tickets[2].code, device="d", now=utcnow() - timedelta(hours=2))
        assert (too_early.result, too_early.reason) == ("rejected", "not_yet_open")
        db.session.rollback()
        rows = db.session.execute(sa.select(Scan.result, Scan.reason).where(Scan.gate_id == north)
                                  .order_by(Scan.id)).all()
    assert [tuple(r) for r in rows] == [
        ("rejected", rows[0][1]), ("rejected", "unknown_ticket"), ("rejected", "unreadable"), ("admitted", None),
        ("rejected", "already_used"), ("rejected", "not_yet_open")]


def test_another_events_ticket_is_refused_and_a_cancelled_one_too(shop, zoo_gates):
    zoo, tickets, north, _ = zoo_gates
    other = sold_tickets(shop, zoo, quantity=1)[0]
    with shop.in_tenant(zoo):
        assert checkin.scan(north, other.code, device="d").reason == "wrong_event"
        db.session.execute(sa.update(Ticket).where(Ticket.id == tickets[0].id).values(status="cancelled"))
        db.session.commit()
        assert checkin.scan(north, tickets[0].code, device="d").reason == "cancelled"


def test_offline_scans_sync_once_and_the_first_admission_wins(shop, zoo_gates):
    """North admitted a ticket offline at 07:00, South admitted it online at 07:02; North's scans
    reach the server later (twice: the sync is replayed). The ticket is checked in at North, at
    07:00; South's admission is the conflict; the replay records nothing new."""
    zoo, tickets, north, south = zoo_gates
    ticket = tickets[0]
    early = utcnow() - timedelta(minutes=2)
    with shop.in_tenant(zoo):
        online = checkin.scan(south, ticket.code, device="south-phone")
        assert online.result == "admitted"
        batch = [OfflineScan("c-1", ticket.code, "entry", early, "admitted", None),
                 OfflineScan("c-2", tickets[1].code, "entry", early + timedelta(seconds=5), "admitted", None),
                 OfflineScan("c-3", "JT:FORGED", "entry", early + timedelta(seconds=9), "rejected", "bad_signature")]
        first = checkin.sync(north, "north-phone", batch)
        again = checkin.sync(north, "north-phone", batch)
    assert [(o.result, o.reason, o.conflict) for o in first] == [
        ("admitted", None, False), ("admitted", None, False), ("rejected", "unreadable", False)]
    assert [(o.result, o.reason) for o in again] == [(o.result, o.reason) for o in first]
    assert ticket_status(shop.in_tenant, zoo, ticket.id) == ("used", north)
    assert ticket_status(shop.in_tenant, zoo, tickets[1].id) == ("used", north)
    scans = _scans(shop.in_tenant, zoo, ticket.id)
    assert sorted(tuple(s) for s in scans) == sorted([(south, "admitted", "already_used"), (north, "admitted", None)])
    with shop.in_tenant(zoo):
        [conflict] = counters.conflicts()
        assert (conflict.ticket, conflict.first_gate, conflict.second_gate) == (ticket.number, "North gate",
                                                                                "South gate")


def test_a_late_offline_admission_is_the_conflict(shop, zoo_gates):
    zoo, tickets, north, south = zoo_gates
    with shop.in_tenant(zoo):
        assert checkin.scan(south, tickets[0].code, device="south").result == "admitted"
        [late] = checkin.sync(north, "north", [OfflineScan("x-1", tickets[0].code, "entry", utcnow(), "admitted",
                                                           None)])
    assert (late.result, late.reason, late.conflict) == ("admitted", "already_used", True)
    assert late.first.gate == "South gate"  # the conflict names the admission that came first
    assert ticket_status(shop.in_tenant, zoo, tickets[0].id) == ("used", south)


def test_the_scan_api_takes_the_gate_token_and_answers_small_json(shop, zoo_gates, app):
    zoo, tickets, north, _ = zoo_gates
    client = shop.client_for(zoo)
    token = tokens.make(app.secret_key, zoo.slug, north)
    body = {"code": tickets[0].code, "device": "phone-1"}
    assert client.post("/staff/gate/api/scan", json=body).status_code == 401
    assert client.post("/staff/gate/api/scan", json=body,
                       headers={"X-Gate-Token": tokens.make(app.secret_key, "another", north)}).status_code == 401
    assert client.post("/staff/gate/api/scan", data="x", headers={"X-Gate-Token": token}).status_code == 400
    answer = client.post("/staff/gate/api/scan", json=body, headers={"X-Gate-Token": token})
    assert answer.status_code == 200 and answer.is_json
    data = answer.get_json()
    assert (data["result"], data["title"], data["ticket"]) == ("admitted", "VALID", tickets[0].number)
    assert data["detail"] == "Adult, Karim U."
    again = client.post("/staff/gate/api/scan", json=body, headers={"X-Gate-Token": token}).get_json()
    assert (again["result"], again["reason"], again["first"]["gate"]) == ("rejected", "already_used", "North gate")
    local = datetime.now(ZoneInfo("Asia/Dhaka")).strftime("%H:%M")  # Dhaka's wall clock, not UTC's
    assert again["first"]["at"] == local and again["message"] == f"Already used at North gate, {local}, by Test gate."
    offline = client.get("/staff/gate/api/offline", headers={"X-Gate-Token": token}).get_json()
    assert offline["gate"]["subject_id"] == tickets[0].event_id and offline["keys"][0]["kid"] == 1
    assert str(tickets[0].id) in offline["used"] and len(offline["expected"]) == 3


def test_the_express_lane_answers_common_scans_and_passes_the_rest_on(shop, zoo_gates, app):
    """Admissions and "already used" come from the express lane (one statement each, no Flask
    request machinery); a typed number, a forged code and an exit are answered by the view. Both
    record their scans alike."""
    zoo, tickets, north, south = zoo_gates
    client = shop.client_for(zoo)

    def scan(gate, code, **extra):
        answer = client.post("/staff/gate/api/scan", json={"code": code, "device": "phone-1", **extra},
                             headers={"X-Gate-Token": tokens.make(app.secret_key, zoo.slug, gate),
                                      "Accept-Language": "bn"})
        return answer.headers.get("X-Gate-Lane"), answer.get_json()

    lane, admitted = scan(north, tickets[0].code)
    assert (lane, admitted["result"], admitted["title"], admitted["detail"]) == ("express", "admitted", "বৈধ",
                                                                                 "Adult, Karim U.")
    lane, refused = scan(south, tickets[0].code)
    assert (lane, refused["reason"], refused["first"]["gate"]) == ("express", "already_used", "North gate")
    assert "North gate" in refused["message"] and refused["ticket"] == tickets[0].number
    assert scan(north, tickets[1].number)[0] == "full"
    assert scan(north, tickets[2].code[:-4] + "0000")[0] == "full"
    with shop.in_tenant(zoo):
        rows = db.session.execute(sa.select(Scan.gate_id, Scan.ticket_id, Scan.result, Scan.reason, Scan.device_id,
                                            Scan.staff_id).order_by(Scan.id)).all()
    staff = rows[0].staff_id
    assert [tuple(r) for r in rows[:3]] == [(north, tickets[0].id, "admitted", None, "phone-1", staff),
                                            (south, tickets[0].id, "rejected", "already_used", "phone-1", staff),
                                            (north, tickets[1].id, "admitted", None, "phone-1", staff)]
    assert rows[3].result == "rejected" and len(rows) == 4


def test_two_gates_racing_through_the_express_lane_admit_once(shop, zoo_gates, app, race):
    zoo, tickets, north, south = zoo_gates
    headers = {gate: {"X-Gate-Token": tokens.make(app.secret_key, zoo.slug, gate)} for gate in (north, south)}
    turn = iter([north, south] * 4)
    lock = threading.Lock()

    def post():
        with lock:
            gate = next(turn)
        answer = shop.client_for(zoo).post("/staff/gate/api/scan", json={"code": tickets[0].code, "device": "d"},
                                           headers=headers[gate])
        return answer.headers["X-Gate-Lane"], answer.get_json()["result"], answer.get_json()["reason"]

    with shop.in_tenant(zoo):
        answers = race(8, post)
    assert sorted(answers) == [("express", "admitted", None)] + [("express", "rejected", "already_used")] * 7
    assert ticket_status(shop.in_tenant, zoo, tickets[0].id)[0] == "used"


def test_the_embedded_default_checks_in_on_sqlite_through_the_full_path(shop, make_sqlite_tenant, app):
    """`make run`'s SQLite tenant: the express lane steps aside, the view checks the ticket in once,
    and an offline batch syncs once (the partial unique index of client ids works there too)."""
    from tests.support import payments as pay

    zoo = pay.with_gateways(app, make_sqlite_tenant("zoo", "events"), names=("sslcommerz",))
    tickets = sold_tickets(shop, zoo, quantity=2)
    staff_id, _ = gate_staff(shop.in_tenant, zoo)
    gate = open_gate(shop.in_tenant, zoo, staff_id, event_id=tickets[0].event_id)
    client, headers = shop.client_for(zoo), {"X-Gate-Token": tokens.make(app.secret_key, zoo.slug, gate)}
    first = client.post("/staff/gate/api/scan", json={"code": tickets[0].code, "device": "d"}, headers=headers)
    again = client.post("/staff/gate/api/scan", json={"code": tickets[0].code, "device": "d"}, headers=headers)
    assert first.headers["X-Gate-Lane"] == "full" and first.get_json()["result"] == "admitted"
    assert (again.get_json()["reason"], again.get_json()["first"]["gate"]) == ("already_used", "North gate")
    batch = {"device": "d", "scans": [{"id": "c-1", "code": tickets[1].code, "result": "admitted",
                                       "scanned_at": int(utcnow().timestamp() * 1000)}]}
    for _ in range(2):
        synced = client.post("/staff/gate/api/sync", json=batch, headers=headers).get_json()["synced"]
        assert [(s["result"], s["reason"], s["conflict"]) for s in synced] == [("admitted", None, False)]
    assert ticket_status(shop.in_tenant, zoo, tickets[1].id) == ("used", gate)
    with shop.in_tenant(zoo):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Scan)) == 3
