"""Fares: the distance fare of a class (rate per km, never under the class's minimum, plus VAT on
AC classes), unless an explicit stop-to-stop fare overrides it. Whole taka, as Bangladesh Railway
prices its tickets."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from models import db
from models.rail import CoachClass, SegmentFare, Station
from services.audit import Actor
from services.rail.errors import RailError
from services.rail.network import commit_change

TAKA = Decimal("1")


def distance_fare(distance_km, *, rate_per_km, minimum_fare, vat_percent, is_ac: bool) -> Decimal:
    """max(distance × rate, minimum), plus VAT when the class is air-conditioned, rounded to the taka."""
    base = max(Decimal(str(distance_km)) * Decimal(str(rate_per_km)), Decimal(str(minimum_fare)))
    if is_ac:
        base = base * (1 + Decimal(str(vat_percent)) / 100)
    return base.quantize(TAKA, rounding=ROUND_HALF_UP).quantize(Decimal("0.01"))


def fare_for(klass: CoachClass, distance_km, override: Decimal | None = None) -> Decimal:
    """The fare of one seat of `klass` over `distance_km`; an explicit fare (VAT included) wins."""
    if override is not None:
        return Decimal(override).quantize(Decimal("0.01"))
    return distance_fare(distance_km, rate_per_km=klass.rate_per_km, minimum_fare=klass.minimum_fare,
                         vat_percent=klass.vat_percent, is_ac=klass.is_ac)


def overrides(from_station_id: int, to_station_id: int) -> dict[int, Decimal]:
    """Explicit fares between two stations, by class id."""
    rows = db.session.execute(sa.select(SegmentFare.coach_class_id, SegmentFare.amount)
                              .where(SegmentFare.from_station_id == from_station_id,
                                     SegmentFare.to_station_id == to_station_id))
    return {class_id: amount for class_id, amount in rows}


def list_segment_fares() -> list[SegmentFare]:
    return list(db.session.scalars(sa.select(SegmentFare).order_by(
        SegmentFare.from_station_id, SegmentFare.to_station_id, SegmentFare.coach_class_id)))


def set_segment_fare(from_station_id: int, to_station_id: int, coach_class_id: int, amount: Decimal, *,
                     actor: Actor) -> SegmentFare:
    """Set (create or replace) the explicit fare between two stations for a class."""
    if from_station_id == to_station_id:
        raise RailError(_("A fare is between two different stations."), "to_station_id")
    if amount is None or Decimal(amount) <= 0:
        raise RailError(_("A fare is more than zero."), "amount")
    if db.session.get(Station, from_station_id) is None or db.session.get(Station, to_station_id) is None:
        raise RailError(_("Choose both stations."), "from_station_id")
    if db.session.get(CoachClass, coach_class_id) is None:
        raise RailError(_("Choose a class."), "coach_class_id")
    fare = db.session.scalars(sa.select(SegmentFare).where(
        SegmentFare.from_station_id == from_station_id, SegmentFare.to_station_id == to_station_id,
        SegmentFare.coach_class_id == coach_class_id).with_for_update(of=SegmentFare)).first()  # not the joined rows
    before = {"amount": str(fare.amount)} if fare else None
    if fare is None:
        fare = SegmentFare(from_station_id=from_station_id, to_station_id=to_station_id, coach_class_id=coach_class_id)
        db.session.add(fare)
    fare.amount = Decimal(amount)
    commit_change(actor, "segment_fare.set", "segment_fare", lambda: fare.id, before=before,
                  after={"from": from_station_id, "to": to_station_id, "class": coach_class_id, "amount": str(amount)},
                  conflict=RailError(_("Someone set this fare at the same moment: please try again.")))
    return fare


def remove_segment_fare(fare_id: int, *, actor: Actor) -> None:
    fare = db.session.get(SegmentFare, fare_id)
    if fare is None:
        return
    before = {"from": fare.from_station_id, "to": fare.to_station_id, "class": fare.coach_class_id,
              "amount": str(fare.amount)}
    db.session.delete(fare)
    commit_change(actor, "segment_fare.delete", "segment_fare", fare_id, before=before)
