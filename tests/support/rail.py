"""Rail factories: stations, trains with stops and coaches, trips, seat claims — through the same
services the staff pages use — and what a trip's frozen stops and a claim cover. Call them with a
tenant bound (`with in_tenant(info):`)."""
from __future__ import annotations

import itertools
import secrets
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from models import db
from models.rail import Coach, LayoutTemplate, SeatClaim, Seat, Station, Trip, TripStop
from models.sales import Hold
from services.audit import Actor
from services.rail import layouts, network, trips

ACTOR = Actor.system("test")
_numbers = itertools.count(100)

# (code, English, Bangla, city) for the stations tests use by name
KNOWN = {
    "DHK": ("Dhaka", "ঢাকা", "Dhaka"), "BHB": ("Bhairab Bazar", "ভৈরব বাজার", "Kishoreganj"),
    "CML": ("Cumilla", "কুমিল্লা", "Cumilla"), "CTG": ("Chattogram", "চট্টগ্রাম", "Chattogram"),
    "ISD": ("Ishwardi", "ঈশ্বরদী", "Pabna"), "KLN": ("Khulna", "খুলনা", "Khulna"),
    "JSR": ("Jashore", "যশোর", "Jashore"),
}


def station(code: str) -> Station:
    found = db.session.scalar(sa.select(Station).where(Station.code == code))
    if found is not None:
        return found
    en, bn, city = KNOWN.get(code, (code.title(), code, code.title()))
    return network.save_station({"code": code, "name_en": en, "name_bn": bn, "city": city}, actor=ACTOR)


def _t(text):
    return None if text is None else time.fromisoformat(text)


def train(stops, *, number=None, name="Test Express", coaches=(("S_CHAIR", "Chair 2+2, 15 rows"),),
          mode="daily", days=None):
    """stops: [(code, arrive, depart, day_offset, km)]; coaches: [(class code, layout name)]."""
    made = network.save_train({"number": number or str(next(_numbers)), "name": name, "train_type": "intercity",
                               "mode": mode, "days": days}, actor=ACTOR)
    for code, arrive, depart, offset, km in stops:
        network.add_stop(made.id, {"station_id": station(code).id, "arrival_time": _t(arrive),
                                   "departure_time": _t(depart), "day_offset": offset, "distance_km": km}, actor=ACTOR)
    classes = {c.code: c.id for c in layouts.list_classes()}
    layout_ids = {lay.name: lay.id for lay in db.session.scalars(sa.select(LayoutTemplate))}
    for klass, layout in coaches:
        layouts.add_coach(made.id, coach_class_id=classes[klass], layout_id=layout_ids[layout], code=None, actor=ACTOR)
    return network.get_train(made.id)


def small_layout(name="Tiny 1x2", seats=2) -> LayoutTemplate:
    found = db.session.scalar(sa.select(LayoutTemplate).where(LayoutTemplate.name == name))
    return found or layouts.create_layout({"name": name, "rows": 1, "cols": seats}, actor=ACTOR)


def generate(train_ids, start: date, end: date | None = None):
    return trips.start_generation(list(train_ids), start, end or start, actor=ACTOR)


def trip_of(train_id: int, day: date) -> Trip:
    return db.session.scalar(sa.select(Trip).where(Trip.train_id == train_id, Trip.service_date == day))


def seat_ids(train_id: int, class_code: str | None = None) -> list[int]:
    query = sa.select(Seat.id).join(Coach).where(Coach.train_id == train_id).order_by(Seat.id)
    if class_code:
        from models.rail import CoachClass

        query = query.join(CoachClass).where(CoachClass.code == class_code)
    return list(db.session.scalars(query))


def claim(trip_id: int, seat_id: int, board: int, alight: int, *, status="sold", expires_in: int | None = None):
    """Write a claim directly (a held one with a hold of its own), bypassing the inventory service."""
    expires = None if expires_in is None else datetime.now(timezone.utc) + timedelta(seconds=expires_in)
    hold_id = None
    if status == "held":
        hold = Hold(token=secrets.token_urlsafe(32), tag=secrets.token_hex(6), guest_key="factory", trip_id=trip_id,
                    board_seq=board, alight_seq=alight, status="active", expires_at=expires, extensions=0)
        db.session.add(hold)
        db.session.flush()
        hold_id = hold.id
    row = SeatClaim(trip_id=trip_id, seat_id=seat_id, board_seq=board, alight_seq=alight, status=status,
                    expires_at=expires, hold_id=hold_id, reason="test" if status == "blocked" else None)
    db.session.add(row)
    db.session.commit()
    return row


def stations_of(trip_id: int) -> list[str]:
    """The station codes of a trip's own (frozen) stops, in order, as the database has them now."""
    return list(db.session.scalars(sa.select(Station.code).join(TripStop, TripStop.station_id == Station.id)
                                   .where(TripStop.trip_id == trip_id).order_by(TripStop.seq)))


def claim_covers(claim_id: int) -> tuple[str, str]:
    """(boarding, alighting) station codes of a claim, read through its trip's stops."""
    board, alight = aliased(TripStop), aliased(TripStop)
    board_station, alight_station = aliased(Station), aliased(Station)
    return tuple(db.session.execute(
        sa.select(board_station.code, alight_station.code).select_from(SeatClaim)
        .join(board, sa.and_(board.trip_id == SeatClaim.trip_id, board.seq == SeatClaim.board_seq))
        .join(alight, sa.and_(alight.trip_id == SeatClaim.trip_id, alight.seq == SeatClaim.alight_seq))
        .join(board_station, board_station.id == board.station_id)
        .join(alight_station, alight_station.id == alight.station_id)
        .where(SeatClaim.id == claim_id)).one())
