"""What a gate admits, on PostgreSQL with real bookings: a timed-entry gate (its day, its current
slot with the grace period), a train's gate at one boarding station, and exits with re-entry."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from services.gate import checkin, gates, offline
from services.gate.gates import GateError
from services.rail import trips
from services.rail.trip_stops import tenant_zone
from tests.support.gate import gate_staff, open_gate, sold_tickets, ticket_status, timed_tickets, train_tickets
from tests.support.people import remove_test_tenants  # noqa: F401  (autouse)


def test_a_timed_entry_gate_admits_its_day_and_only_the_current_slot(shop):
    zoo = shop.zoo()
    with shop.in_tenant(zoo):
        tomorrow = trips.local_today() + timedelta(days=1)
    [ticket, second] = timed_tickets(shop, zoo, tomorrow, quantity=2)
    staff_id, _ = gate_staff(shop.in_tenant, zoo)
    today_gate = open_gate(shop.in_tenant, zoo, staff_id, "Today", kind="timed", event_id=ticket.event_id,
                           day=tomorrow - timedelta(days=1))
    slot_gate = open_gate(shop.in_tenant, zoo, staff_id, "Main gate", kind="timed", event_id=ticket.event_id,
                          day=tomorrow, current_slot_only=True, grace_minutes=10)
    with shop.in_tenant(zoo):
        nine = datetime.combine(tomorrow, time(9), tzinfo=tenant_zone())
        assert checkin.scan(today_gate, ticket.code, device="d", now=nine).reason == "wrong_date"
        early = checkin.scan(slot_gate, ticket.code, device="d", now=nine - timedelta(minutes=11))
        assert (early.reason, early.facts["starts_at"]) == ("not_yet_open", nine)
        late = checkin.scan(slot_gate, ticket.code, device="d", now=nine + timedelta(minutes=71))
        assert late.reason == "wrong_slot"
        assert checkin.scan(slot_gate, ticket.code, device="d", now=nine - timedelta(minutes=9)).result == "admitted"
        assert checkin.scan(slot_gate, second.code, device="d", now=nine + timedelta(minutes=69)).result == "admitted"
        kept = offline.data(gates.scope_of(slot_gate))  # what the console keeps for going offline
    assert kept["zone"] == "Asia/Dhaka" and len(kept["gate"]["slots"]) == 3  # 09:00, 10:00, 11:00
    assert kept["gate"]["slots"][str(ticket_slot(kept))][0] == int(nine.timestamp() * 1000)
    assert {e["holder"] for e in kept["expected"]} == {"Karim Uddin"} and set(kept["used"]) == {str(ticket.id),
                                                                                                 str(second.id)}


def ticket_slot(kept) -> int:
    [slot] = {e["slot"] for e in kept["expected"]}
    return slot


def test_a_train_gate_admits_its_trip_at_its_boarding_station(shop):
    rail = shop.rail()
    tickets, trip_id = train_tickets(shop, rail, seats=2)
    staff_id, _ = gate_staff(shop.in_tenant, rail)
    dhaka = open_gate(shop.in_tenant, rail, staff_id, "Platform 1", kind="trip", trip_id=trip_id, board_seq=0)
    with shop.in_tenant(rail):
        admitted = checkin.scan(dhaka, tickets[0].code, device="d")
        assert (admitted.result, admitted.claims.board_seq, admitted.holder) == ("admitted", 0, "Passenger 0")
        assert checkin.scan(dhaka, tickets[0].number, device="d").reason == "already_used"
    other_trip_tickets, other_trip = train_tickets(shop, rail, seats=1)
    with shop.in_tenant(rail):
        assert checkin.scan(dhaka, other_trip_tickets[0].code, device="d").reason == "wrong_trip"
    with pytest.raises(GateError, match="takes passengers on"):  # the terminus boards nobody
        open_gate(shop.in_tenant, rail, staff_id, "Arrivals", kind="trip", trip_id=trip_id, board_seq=1)


def test_an_exit_scan_lets_the_ticket_back_in_once(shop):
    zoo = shop.zoo()
    [ticket] = sold_tickets(shop, zoo, quantity=1)
    staff_id, _ = gate_staff(shop.in_tenant, zoo)
    gate = open_gate(shop.in_tenant, zoo, staff_id, "Main gate", event_id=ticket.event_id, allows_exit=True)
    with shop.in_tenant(zoo):
        assert checkin.scan(gate, ticket.code, device="d", direction="exit").reason == "not_inside"
        assert checkin.scan(gate, ticket.code, device="d").result == "admitted"
        assert checkin.scan(gate, ticket.code, device="d").reason == "already_used"
        assert checkin.scan(gate, ticket.code, device="d", direction="exit").result == "exited"
        assert checkin.scan(gate, ticket.code, device="d", direction="exit").reason == "not_inside"
        assert checkin.scan(gate, ticket.code, device="d").result == "admitted"
        assert checkin.scan(gate, ticket.code, device="d").reason == "already_used"
    assert ticket_status(shop.in_tenant, zoo, ticket.id) == ("used", gate)
