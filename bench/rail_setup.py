"""A train and its trip for the benchmarks, made through the same services the staff pages use.
Call with a tenant bound (`with stack.tenant(info):`)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from datetime import time, timedelta

import sqlalchemy as sa

from models import db
from models.rail import Coach, LayoutTemplate, Seat, Trip, TripStop
from services.audit import Actor
from services.rail import layouts, network, trips

ACTOR = Actor.system("bench")
# Dhaka -> Chattogram with two stops between: stretches 0-3 (full length) and the partial ones.
STOPS = [("DHK", "Dhaka", None, "07:00", 0), ("BHB", "Bhairab Bazar", "08:30", "08:33", 80),
         ("CML", "Cumilla", "10:00", "10:03", 190), ("CTG", "Chattogram", "12:00", None, 321)]
COACH_SEATS = 60  # 15 rows of 2 + aisle + 2


@dataclass(frozen=True)
class BenchTrip:
    trip_id: int
    train_id: int
    stops: int  # stretches are [board, alight) with 0 <= board < alight <= stops - 1
    coaches: dict[int, list[int]]  # coach id -> seat ids

    @property
    def seats(self) -> int:
        return sum(len(s) for s in self.coaches.values())


def _layout(name: str, seats: int) -> LayoutTemplate:
    """Rows of 2 + aisle + 2; a last row short of seats has its extra cells unavailable."""
    rows = math.ceil(seats / 4)
    missing = rows * 4 - seats
    unavailable = [f"{rows}{letter}" for letter in "DCB"[:missing]]
    return layouts.create_layout({"name": name, "rows": rows, "cols": 5, "aisles": [3], "unavailable": unavailable},
                                 actor=ACTOR)


def trip_with_seats(seats: int, *, number: str = "701", days_ahead: int = 1) -> BenchTrip:
    """A train of ceil(seats / 60) chair coaches totalling exactly `seats`, and its trip
    `days_ahead` from today (inside the sales window, not yet departed)."""
    station_ids = [network.save_station({"code": code, "name_en": name, "name_bn": name, "city": name},
                                        actor=ACTOR).id for code, name, *_ in STOPS]
    train = network.save_train({"number": number, "name": "Bench Express", "train_type": "intercity",
                                "mode": "daily", "days": None}, actor=ACTOR)
    for station_id, (_code, _name, arrive, depart, km) in zip(station_ids, STOPS, strict=True):
        network.add_stop(train.id, {"station_id": station_id, "day_offset": 0, "distance_km": km,
                                    "arrival_time": time.fromisoformat(arrive) if arrive else None,
                                    "departure_time": time.fromisoformat(depart) if depart else None}, actor=ACTOR)
    chair = next(c.id for c in layouts.list_classes() if c.code == "S_CHAIR")
    full, rest = divmod(seats, COACH_SEATS)
    coach_layouts = [_layout(f"Bench {COACH_SEATS}", COACH_SEATS)] * full if full else []
    if rest:
        coach_layouts.append(_layout(f"Bench {rest}", rest))
    for layout in coach_layouts:
        layouts.add_coach(train.id, coach_class_id=chair, layout_id=layout.id, code=None, actor=ACTOR)
    day = trips.local_today() + timedelta(days=days_ahead)
    trips.start_generation([train.id], day, day, actor=ACTOR)
    trip_id = db.session.scalar(sa.select(Trip.id).where(Trip.train_id == train.id, Trip.service_date == day))
    stops = db.session.scalar(sa.select(sa.func.count()).select_from(TripStop).where(TripStop.trip_id == trip_id))
    coaches: dict[int, list[int]] = {}
    for coach_id, seat_id in db.session.execute(sa.select(Coach.id, Seat.id).join(Seat, Seat.coach_id == Coach.id)
                                                .where(Coach.train_id == train.id).order_by(Coach.position, Seat.id)):
        coaches.setdefault(coach_id, []).append(seat_id)
    made = BenchTrip(trip_id, train.id, stops, coaches)
    if made.seats != seats:
        raise RuntimeError(f"the bench train has {made.seats} seats, not {seats}")
    return made


OVERSOLD = sa.text("""
    SELECT count(*) FROM seat_claims a JOIN seat_claims b
      ON a.trip_id = b.trip_id AND a.seat_id = b.seat_id AND a.id < b.id
     AND a.board_seq < b.alight_seq AND b.board_seq < a.alight_seq
     WHERE a.trip_id = :trip
""")


def oversold(trip_id: int) -> int:
    """Pairs of claims of one seat on this trip whose stretches overlap, live or not (the database
    should make every such pair impossible): must be 0."""
    return db.session.scalar(OVERSOLD, {"trip": trip_id})


def seats_held(trip_id: int) -> dict:
    row = db.session.execute(sa.text(
        "SELECT count(*), count(DISTINCT seat_id), coalesce(sum(alight_seq - board_seq), 0) FROM seat_claims "
        "WHERE trip_id = :trip AND status = 'held'"), {"trip": trip_id}).one()
    return {"claims": row[0], "distinct_seats": row[1], "seat_stretches": int(row[2])}


def purchases(trip_id: int) -> dict:
    """Bookings of this trip by status, payments by status, and seats sold (claims turned to sold)."""
    bookings = dict(db.session.execute(sa.text(
        "SELECT status, count(*) FROM bookings WHERE trip_id = :trip GROUP BY status"), {"trip": trip_id}).all())
    payments = dict(db.session.execute(sa.text(
        "SELECT p.status, count(*) FROM payments p JOIN bookings b ON b.id = p.booking_id WHERE b.trip_id = :trip "
        "GROUP BY p.status"), {"trip": trip_id}).all())
    sold = db.session.scalar(sa.text(
        "SELECT count(*) FROM seat_claims WHERE trip_id = :trip AND status = 'sold'"), {"trip": trip_id})
    return {"bookings": bookings, "payments": payments, "seats_sold": sold}


def paid_unbooked(paid: list[dict]) -> dict:
    """Of the payments the simulator took (`paid`: its records, with gateway, tran_id and refunded),
    those whose booking is neither confirmed nor refunded: must be 0. A payment counts as refunded
    in full when the simulator gave it all back or a refund of all of it is recorded here (refunds
    are sent by the job queue, which no worker serves during the bench)."""
    if not paid:
        return {"paid": 0, "confirmed": 0, "refunded": 0, "unbooked": 0, "unbooked_samples": []}
    rows = {row.tran_id: row for row in db.session.execute(sa.text("""
        SELECT p.tran_id, p.gateway, p.status AS payment_status, b.status AS booking_status,
               coalesce((SELECT sum(r.amount) FROM refunds r WHERE r.payment_id = p.id AND r.status <> 'failed'), 0)
                 AS refund_asked
          FROM payments p JOIN bookings b ON b.id = p.booking_id
         WHERE p.tran_id = ANY(:ids)"""), {"ids": [p["tran_id"] for p in paid]})}
    confirmed = refunded = 0
    unbooked = []
    for payment in paid:
        row = rows.get(payment["tran_id"])
        taken = Decimal(payment.get("paid_amount") or 0)
        if row is not None and row.gateway == payment["gateway"] and row.booking_status in (
                "confirmed", "partially_cancelled"):
            confirmed += 1
        elif (Decimal(payment.get("refunded") or 0) >= taken or
              (row is not None and (row.payment_status == "refunded" or row.refund_asked >= taken))):
            refunded += 1
        else:
            unbooked.append({"tran_id": payment["tran_id"], "gateway": payment["gateway"],
                             "payment": row.payment_status if row else None,
                             "booking": row.booking_status if row else None})
    return {"paid": len(paid), "confirmed": confirmed, "refunded": refunded, "unbooked": len(unbooked),
            "unbooked_samples": unbooked[:5]}
