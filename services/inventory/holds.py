"""A hold's life: the owner's active hold, ending holds (released, expired) with everything they
keep given back, extending once for the gateway, and the periodic sweep of expired holds.

Ending is a conditional update (`WHERE status = 'active'`), so a hold is ended once however many
sweeps, releases and takeovers race for it, and only the one that ended it gives back quantities.
"""
from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models import db
from models.base import utcnow
from models.events import TicketType, TimeSlot
from models.rail import SeatClaim
from models.sales import EventSeatClaim, Hold, HoldItem
from services import transactions
from services.inventory import HoldNotFound, InventoryError, Owner, hold_ttl

SWEEP_BATCH = 500


class Changes:
    """What a unit of work changed on live seat maps, published once it is committed."""

    def __init__(self):
        self.by_channel: dict[str, list[dict]] = defaultdict(list)
        self.service_dates: dict[int, object] = {}  # trip id -> its date, when the unit knows it

    def add(self, channel: str, **change) -> None:
        self.by_channel[channel].append(change)

    def publish(self) -> None:
        from services import live
        from services.inventory.events import fill_left

        for channel, changes in self.by_channel.items():
            kind, _, key = channel.partition(":")
            if kind == "trip":
                _search_counts_stale(int(key), self.service_dates.get(int(key)))
            live.publish(channel, fill_left(changes))
        self.by_channel.clear()


def _search_counts_stale(trip_id: int, service_date=None) -> None:
    from models.rail import Trip
    from services.rail import cache

    if service_date is None:
        service_date = db.session.scalar(sa.select(Trip.service_date).where(Trip.id == trip_id))
    if service_date is not None:
        cache.inventory_changed(service_date)


@contextmanager
def keep_loaded():
    """Commit without expiring what the session loaded: the answer that follows reads the rows this
    unit just read or wrote, and need not fetch them again."""
    session = db.session()
    before, session.expire_on_commit = session.expire_on_commit, False
    try:
        yield
    finally:
        session.expire_on_commit = before


def is_postgres() -> bool:
    return db.session.connection().dialect.name == "postgresql"


def owned_by(owner: Owner):
    """The SQL condition "this hold is the owner's"."""
    if owner.customer_id is not None:
        return Hold.customer_id == owner.customer_id
    return sa.and_(Hold.customer_id.is_(None), Hold.guest_key == owner.guest_key)


def active_holds(owner: Owner, *, trip_id: int | None = None, event_id: int | None = None,
                 now: datetime | None = None) -> list[Hold]:
    now = now or utcnow()
    query = sa.select(Hold).where(owned_by(owner), Hold.status == "active", Hold.expires_at > now)
    if trip_id is not None:
        query = query.where(Hold.trip_id == trip_id)
    if event_id is not None:
        query = query.where(Hold.event_id == event_id)
    return list(db.session.scalars(query.order_by(Hold.created_at)))


def get_active(token: str, owner: Owner, *, now: datetime | None = None, for_update: bool = False) -> Hold:
    """The owner's active hold with this token, else HoldNotFound."""
    now = now or utcnow()
    query = sa.select(Hold).where(Hold.token == token, owned_by(owner), Hold.status == "active",
                                  Hold.expires_at > now)
    hold = db.session.scalar(query.with_for_update() if for_update else query)
    if hold is None:
        raise HoldNotFound(str(_l("This hold has ended: its time ran out or it was released.")))
    return hold


def end_holds(hold_ids: list[int], status: str, now: datetime, changes: Changes, *,
              only_expired: bool = False) -> list[int]:
    """End these holds (status `expired` or `released`) unless something else ended them first;
    delete their held claims and give back their quantities. Returns the ids it ended."""
    if not hold_ids:
        return []
    update = (sa.update(Hold).where(Hold.id.in_(hold_ids), Hold.status == "active")
              .values(status=status, ended_at=now).returning(Hold.id))
    if only_expired:
        update = update.where(Hold.expires_at <= now)
    ended = sorted(db.session.scalars(update, execution_options={"synchronize_session": False}))
    if not ended:
        return []
    freed_rail = db.session.execute(
        sa.delete(SeatClaim).where(SeatClaim.hold_id.in_(ended), SeatClaim.status == "held")
        .returning(SeatClaim.trip_id, SeatClaim.seat_id, SeatClaim.board_seq, SeatClaim.alight_seq))
    for trip_id, seat_id, board, alight in freed_rail:
        changes.add(f"trip:{trip_id}", seat=seat_id, board=board, alight=alight, state="free", tag=None)
    freed_plan = db.session.execute(
        sa.delete(EventSeatClaim).where(EventSeatClaim.hold_id.in_(ended), EventSeatClaim.status == "held")
        .returning(EventSeatClaim.event_id, EventSeatClaim.seat_id))
    for event_id, seat_id in freed_plan:
        changes.add(f"event:{event_id}", seat=seat_id, state="free", tag=None)
    give_back_items(sa.select(HoldItem.ticket_type_id, HoldItem.time_slot_id, HoldItem.quantity, Hold.event_id)
                    .join(Hold, Hold.id == HoldItem.hold_id).where(HoldItem.hold_id.in_(ended)), changes)
    return ended


def give_back_items(items_query, changes: Changes) -> None:
    """Take the quantities of these hold items off the `held` counters, in id order (the order
    every hold takes those rows in, so sweeps and holds do not deadlock)."""
    per_type, per_slot, events = defaultdict(int), defaultdict(int), {}
    for ticket_type_id, slot_id, quantity, event_id in db.session.execute(items_query):
        per_type[ticket_type_id] += quantity
        events[("ticket_type", ticket_type_id)] = event_id
        if slot_id is not None:
            per_slot[slot_id] += quantity
            events[("slot", slot_id)] = event_id
    for type_id in sorted(per_type):
        db.session.execute(sa.update(TicketType).where(TicketType.id == type_id)
                           .values(held=TicketType.held - per_type[type_id]))
        changes.add(f"event:{events[('ticket_type', type_id)]}", ticket_type=type_id, left=None)
    for slot_id in sorted(per_slot):
        db.session.execute(sa.update(TimeSlot).where(TimeSlot.id == slot_id)
                           .values(held=TimeSlot.held - per_slot[slot_id]))
        changes.add(f"event:{events[('slot', slot_id)]}", slot=slot_id, left=None)


def take_over_expired(hold_ids, now: datetime, changes: Changes) -> None:
    """End the expired holds standing in the way of a new one, in the new one's transaction."""
    ids = sorted(set(hold_ids))
    if ids:
        end_holds(ids, "expired", now, changes, only_expired=True)


def release(token: str, owner: Owner, *, now: datetime | None = None) -> None:
    """The customer lets the whole hold go."""
    now = now or utcnow()
    changes = Changes()

    def unit():
        hold = get_active(token, owner, now=now, for_update=True)
        end_holds([hold.id], "released", now, changes)
        transactions.commit()

    transactions.run(unit)
    changes.publish()


def release_seat(token: str, seat_id: int, owner: Owner, *, now: datetime | None = None) -> bool:
    """Let one seat of a hold go (a rail seat or a plan seat). The hold ends with its last seat
    or item. Returns whether the hold is still active."""
    now = now or utcnow()
    changes = Changes()
    still_active = True

    def unit():
        nonlocal still_active
        hold = get_active(token, owner, now=now, for_update=True)
        if hold.trip_id is not None:
            gone = db.session.execute(sa.delete(SeatClaim).where(
                SeatClaim.hold_id == hold.id, SeatClaim.seat_id == seat_id, SeatClaim.status == "held")
                .returning(SeatClaim.board_seq, SeatClaim.alight_seq)).all()
            for board, alight in gone:
                changes.add(f"trip:{hold.trip_id}", seat=seat_id, board=board, alight=alight, state="free", tag=None)
        else:
            gone = db.session.execute(sa.delete(EventSeatClaim).where(
                EventSeatClaim.hold_id == hold.id, EventSeatClaim.seat_id == seat_id,
                EventSeatClaim.status == "held").returning(EventSeatClaim.id)).all()
            if gone:
                changes.add(f"event:{hold.event_id}", seat=seat_id, state="free", tag=None)
        if not gone:
            raise InventoryError(str(_l("That seat is not in your hold.")))
        still_active = _end_if_empty(hold, now, changes)
        transactions.commit()

    transactions.run(unit)
    changes.publish()
    return still_active


def release_item(token: str, item_id: int, owner: Owner, *, now: datetime | None = None) -> bool:
    """Let one quantity line of a hold go. Returns whether the hold is still active."""
    now = now or utcnow()
    changes = Changes()
    still_active = True

    def unit():
        nonlocal still_active
        hold = get_active(token, owner, now=now, for_update=True)
        item = db.session.scalar(sa.select(HoldItem).where(HoldItem.id == item_id, HoldItem.hold_id == hold.id))
        if item is None:
            raise InventoryError(str(_l("That line is not in your hold.")))
        give_back_items(sa.select(HoldItem.ticket_type_id, HoldItem.time_slot_id, HoldItem.quantity, Hold.event_id)
                        .join(Hold, Hold.id == HoldItem.hold_id).where(HoldItem.id == item.id), changes)
        db.session.execute(sa.delete(HoldItem).where(HoldItem.id == item.id))
        db.session.expire(hold, ["items"])
        still_active = _end_if_empty(hold, now, changes)
        transactions.commit()

    transactions.run(unit)
    changes.publish()
    return still_active


def _end_if_empty(hold: Hold, now: datetime, changes: Changes) -> bool:
    left = db.session.scalar(sa.select(sa.func.count()).select_from(SeatClaim).where(SeatClaim.hold_id == hold.id))
    left += db.session.scalar(sa.select(sa.func.count()).select_from(EventSeatClaim)
                              .where(EventSeatClaim.hold_id == hold.id))
    left += db.session.scalar(sa.select(sa.func.count()).select_from(HoldItem).where(HoldItem.hold_id == hold.id))
    if left:
        return True
    end_holds([hold.id], "released", now, changes)
    return False


def extend(token: str, owner: Owner, *, now: datetime | None = None) -> Hold:
    """Give the hold one more hold period from now, once (while the customer is at the gateway)."""
    now = now or utcnow()

    def unit():
        hold = get_active(token, owner, now=now, for_update=True)
        if hold.extensions >= 1:
            raise InventoryError(str(_l("This hold has already been extended once.")))
        extend_locked(hold, now)
        transactions.commit()
        return hold

    return transactions.run(unit)


def extend_locked(hold: Hold, now: datetime) -> None:
    """Extend a hold the caller has locked (FOR UPDATE) and knows to be active and never extended."""
    expires = now + hold_ttl()
    hold.expires_at, hold.extensions = expires, hold.extensions + 1
    db.session.execute(sa.update(SeatClaim).where(SeatClaim.hold_id == hold.id, SeatClaim.status == "held")
                       .values(expires_at=expires))
    db.session.execute(sa.update(EventSeatClaim).where(EventSeatClaim.hold_id == hold.id,
                                                       EventSeatClaim.status == "held").values(expires_at=expires))


def expire_due(*, now: datetime | None = None, batch: int = SWEEP_BATCH) -> int:
    """The sweep: end every active hold whose time is up, give back what it kept, tell the seat
    maps. Harmless to run twice or alongside takeovers. Returns how many holds it ended."""
    now = now or utcnow()
    total = 0
    while True:
        changes = Changes()

        def unit(changes=changes):
            due = list(db.session.scalars(sa.select(Hold.id).where(Hold.status == "active", Hold.expires_at <= now)
                                          .order_by(Hold.id).limit(batch)))
            ended = end_holds(due, "expired", now, changes, only_expired=True)
            transactions.commit()
            return len(due), len(ended)

        found, ended = transactions.run(unit)
        changes.publish()
        total += ended
        if found < batch:
            return total


def owned(token: str, owner: Owner) -> Hold | None:
    """The owner's hold with this token in any state (to know where to go back to after it ended)."""
    return db.session.scalar(sa.select(Hold).where(Hold.token == token, owned_by(owner)))


def adopt_guest_holds(guest_key: str, customer_id: int, *, now: datetime | None = None) -> int:
    """A guest who logs in keeps what they held: the browser session's active holds become the
    customer's. Returns how many."""
    now = now or utcnow()

    def unit():
        moved = db.session.execute(
            sa.update(Hold).where(Hold.guest_key == guest_key, Hold.customer_id.is_(None), Hold.status == "active",
                                  Hold.expires_at > now).values(customer_id=customer_id, guest_key=None),
            execution_options={"synchronize_session": False}).rowcount
        transactions.commit()
        return moved

    return transactions.run(unit)
