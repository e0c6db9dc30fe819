"""Rail holds and the coach map: seats of one trip held for a stretch [board_seq, alight_seq).

`hold_seats` takes, in one transaction and in this order: an advisory lock on the customer (so two
holds of one customer cannot both pass the per-trip limit), advisory locks on (trip, seat) sorted
(so overlapping holds queue rather than deadlock inside the exclusion constraint), takes over
expired holds on those seats, and inserts the claims. The constraint (or SQLite's trigger) has the
last word; a violation becomes SeatsTaken naming the seats.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError

from models import db
from models.base import utcnow
from models.rail import Coach, CoachClass, LayoutTemplate, Seat, SeatClaim, Trip, TripStop
from models.sales import Hold
from services import transactions
from services.inventory import (HoldLimit, InventoryError, NotOnSale, Owner, SeatsTaken, hold_ttl, new_token,
                                rail_seat_limit)
from services.inventory.holds import Changes, is_postgres, keep_loaded, owned_by, take_over_expired

OVERLAP_CONSTRAINTS = ("ex_seat_claims_no_overlap",)
# Worst first: what a seat shows when several claims overlap the stretch looked at.
STATE_RANK = {"sold": 0, "blocked": 1, "held": 2, "mine": 3}


@dataclass
class Stretch:
    trip: Trip
    board: TripStop
    alight: TripStop

    @property
    def departs_at(self) -> datetime:
        return self.board.departs_at + timedelta(minutes=self.trip.delay_minutes or 0)

    @property
    def arrives_at(self) -> datetime | None:
        arrives = self.alight.arrives_at or self.alight.departs_at
        return None if arrives is None else arrives + timedelta(minutes=self.trip.delay_minutes or 0)

    @property
    def distance_km(self) -> Decimal:
        return Decimal(self.alight.distance_km) - Decimal(self.board.distance_km)


def overlapping(board_seq: int, alight_seq: int):
    return sa.and_(SeatClaim.board_seq < alight_seq, SeatClaim.alight_seq > board_seq)


def live_claim(now: datetime):
    """Sold and blocked claims always count; a held one until it expires (before any sweep)."""
    return sa.or_(SeatClaim.status != "held", SeatClaim.expires_at > now)


# Made once: an alias is a new set of column objects, costly to make on every request.
# The whole statement is made once, at import, in one thread: building it from shared aliases in many
# request threads at once raced inside SQLAlchemy under load (NoSuchColumnError 'alight.trip_id').
_BOARD, _ALIGHT = sa.orm.aliased(TripStop, name="board"), sa.orm.aliased(TripStop, name="alight")
_STRETCH = (sa.select(Trip, _BOARD, _ALIGHT)
            .join(_BOARD, sa.and_(_BOARD.trip_id == Trip.id, _BOARD.seq == sa.bindparam("board_seq")))
            .join(_ALIGHT, sa.and_(_ALIGHT.trip_id == Trip.id, _ALIGHT.seq == sa.bindparam("alight_seq")))
            .where(Trip.id == sa.bindparam("trip_id"), _BOARD.seq < _ALIGHT.seq))


def stretch_of(trip_id: int, board_seq: int, alight_seq: int) -> Stretch:
    """The trip and its two stops, or InventoryError when they are not a forward stretch of it."""
    found = db.session.execute(  # one round trip: this runs for every hold and every map
        _STRETCH, {"trip_id": trip_id, "board_seq": board_seq, "alight_seq": alight_seq}).first()
    if found is not None:
        return Stretch(*found)
    if db.session.get(Trip, trip_id) is None:
        raise InventoryError(str(_l("That train is no longer on sale.")))
    raise InventoryError(str(_l("Choose where you board and where you get off on this train.")))


def check_on_sale(stretch: Stretch, now: datetime) -> None:
    """Cancelled trips, trains that have left the boarding stop and dates outside the sales
    window are not sold."""
    from services.rail.search import window
    from services.rail.trips import tenant_zone

    if stretch.trip.status == "cancelled":
        raise NotOnSale(str(_l("This train is cancelled.")))
    if stretch.board.departs_at is None or stretch.departs_at <= now:
        raise NotOnSale(str(_l("This train has already left %(station)s.", station=stretch.board.station.name_en)))
    first, last = window()
    if not first <= stretch.departs_at.astimezone(tenant_zone()).date() <= last:
        raise NotOnSale(str(_l("Tickets for this day are not on sale: they are sold from %(first)s to %(last)s.",
                               first=first.isoformat(), last=last.isoformat())))


def seat_labels(seat_ids, *, train_id: int | None = None) -> dict[int, str]:
    """{seat id: "KA-12"} as printed on a ticket (only seats of `train_id` when given)."""
    query = (sa.select(Seat.id, Coach.code, Seat.label).join(Coach, Coach.id == Seat.coach_id)
             .where(Seat.id.in_(list(seat_ids))))
    if train_id is not None:
        query = query.where(Coach.train_id == train_id)
    return {seat_id: f"{code}-{label}" for seat_id, code, label in db.session.execute(query)}


def _taken_message(labels: list[str]) -> str:
    return ngettext("Seat %(seats)s was just taken by someone else. Choose another seat.",
                    "Seats %(seats)s were just taken by someone else. Choose other seats.",
                    len(labels), seats=", ".join(labels))


def hold_seats(trip_id: int, seat_ids: list[int], *, board_seq: int, alight_seq: int, owner: Owner,
               now: datetime | None = None) -> Hold:
    """Hold these seats of the trip for the stretch, all or none; they join the customer's active
    hold for the same stretch if there is one. Raises SeatsTaken, HoldLimit, NotOnSale."""
    now = now or utcnow()
    seat_ids = sorted({int(s) for s in seat_ids})
    if not seat_ids:
        raise InventoryError(str(_l("Choose at least one seat.")))
    if owner.customer_id is None:
        raise InventoryError(str(_l("Log in to hold train seats.")))
    limit = rail_seat_limit()
    if len(seat_ids) > limit:
        raise HoldLimit(ngettext("You can hold at most %(num)d seat at a time.",
                                 "You can hold at most %(num)d seats at a time.", limit))
    changes = Changes()

    def unit():
        stretch = stretch_of(trip_id, board_seq, alight_seq)
        check_on_sale(stretch, now)
        labels = seats_of_train(stretch.trip.train_id, seat_ids)
        if is_postgres():
            # One customer's holds on a trip queue here, so the limit below is counted on what is committed.
            # A hold's commit need not wait for the disk: one lost in a crash frees its seats, never sells
            # one twice (the constraint is checked before the commit either way).
            db.session.execute(sa.text("SELECT set_config('synchronous_commit', 'off', true), "
                                       "pg_advisory_xact_lock(:key)"), {"key": owner.customer_id})
        already = _seats_held_by(owner, trip_id, now)
        if already + len(seat_ids) > limit:
            raise HoldLimit(ngettext(
                "You can hold at most %(num)d seat on this train; you already hold %(held)d.",
                "You can hold at most %(num)d seats on this train; you already hold %(held)d.",
                limit, held=already))
        lock_seats(trip_id, seat_ids)
        # What stands on these seats now. A live claim refuses the hold at once (the common answer at
        # 8 a.m., without a failed insert); expired holds are taken over. This read never lets a hold
        # through: the insert below does, and the constraint has the last word on it.
        standing = db.session.execute(
            sa.select(SeatClaim.seat_id, SeatClaim.hold_id, SeatClaim.status, SeatClaim.expires_at, Hold.customer_id)
            .outerjoin(Hold, Hold.id == SeatClaim.hold_id)
            .where(SeatClaim.trip_id == trip_id, SeatClaim.seat_id.in_(seat_ids),
                   overlapping(board_seq, alight_seq))).all()
        live = [row for row in standing if row.status != "held" or row.expires_at > now]
        if live:
            states = {}
            for row in live:
                state = "mine" if row.status == "held" and row.customer_id == owner.customer_id else row.status
                if row.seat_id not in states or STATE_RANK[state] < STATE_RANK[states[row.seat_id]]:
                    states[row.seat_id] = state
            names = [labels[s] for s in sorted(states)]
            raise SeatsTaken(_taken_message(names), names, sorted(states), states=states, stretch=stretch)
        take_over_expired([row.hold_id for row in standing], now, changes)
        hold = _open_hold(owner, stretch, now)
        try:
            db.session.execute(sa.insert(SeatClaim), [
                {"trip_id": trip_id, "seat_id": s, "board_seq": board_seq, "alight_seq": alight_seq,
                 "status": "held", "expires_at": hold.expires_at, "hold_id": hold.id, "created_at": now}
                for s in seat_ids])
        except IntegrityError as exc:
            if transactions.constraint_name(exc) not in OVERLAP_CONSTRAINTS:
                raise
            db.session.rollback()
            changes.by_channel.clear()
            taken = taken_now(trip_id, seat_ids, board_seq, alight_seq, now)
            names = [labels[s] for s in taken] or [labels[s] for s in seat_ids]
            raise SeatsTaken(_taken_message(names), names, taken, stretch=stretch) from None
        for s in seat_ids:
            changes.add(f"trip:{trip_id}", seat=s, board=board_seq, alight=alight_seq, state="held", tag=hold.tag)
        changes.service_dates[trip_id] = stretch.trip.service_date
        hold.stretch = stretch  # for the answer: the page shows the hold's fares on this stretch
        with keep_loaded():
            transactions.commit()
        return hold

    hold = transactions.run(unit)
    changes.publish()
    return hold


def seats_of_train(train_id: int, seat_ids: list[int]) -> dict[int, str]:
    """{seat id: "KA-12"} for these seats, all of which must be on the train."""
    labels = seat_labels(seat_ids, train_id=train_id)
    if set(labels) != set(seat_ids):
        raise InventoryError(str(_l("Some of the chosen seats are not on this train.")))
    return labels


def _seats_held_by(owner: Owner, trip_id: int, now: datetime) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(SeatClaim.id)).join(Hold, Hold.id == SeatClaim.hold_id)
        .where(Hold.trip_id == trip_id, owned_by(owner), Hold.status == "active", Hold.expires_at > now)) or 0


def lock_seats(trip_id: int, seat_ids: list[int]) -> None:
    """Transaction-level advisory locks on (trip, seat), always in seat order. Not the `seats` rows:
    every trip of the train shares them. SQLite needs none: its writers already take turns."""
    if is_postgres():
        db.session.execute(sa.text(
            "SELECT count(pg_advisory_xact_lock(:trip, s)) FROM "
            "(SELECT s FROM unnest(CAST(:seats AS integer[])) AS s ORDER BY s) AS sorted"),
            {"trip": trip_id, "seats": seat_ids})


def _open_hold(owner: Owner, stretch: Stretch, now: datetime) -> Hold:
    """The customer's active hold for this stretch (seats added to it keep its time), or a new one."""
    hold = db.session.scalar(sa.select(Hold).where(
        owned_by(owner), Hold.trip_id == stretch.trip.id, Hold.board_seq == stretch.board.seq,
        Hold.alight_seq == stretch.alight.seq, Hold.status == "active", Hold.expires_at > now).with_for_update())
    if hold is None:
        token, tag = new_token()
        hold = Hold(token=token, tag=tag, customer_id=owner.customer_id, trip_id=stretch.trip.id,
                    board_seq=stretch.board.seq, alight_seq=stretch.alight.seq, status="active",
                    expires_at=now + hold_ttl(), extensions=0, created_at=now)
        db.session.add(hold)
        db.session.flush()
    return hold


def taken_now(trip_id, seat_ids, board_seq, alight_seq, now) -> list[int]:
    return sorted(set(db.session.scalars(sa.select(SeatClaim.seat_id).where(
        SeatClaim.trip_id == trip_id, SeatClaim.seat_id.in_(seat_ids), overlapping(board_seq, alight_seq),
        live_claim(now)))))


# --- what the seat map shows -------------------------------------------------------------------

@dataclass
class CoachTab:
    coach: Coach
    free: int
    total: int


def coaches_of_class(trip: Trip, class_code: str | None, board_seq: int, alight_seq: int,
                     now: datetime | None = None) -> list[CoachTab]:
    """The trip's coaches of a class (all classes when none is given), in formation order, with
    the seats free on the stretch."""
    now = now or utcnow()
    taken = sa.select(SeatClaim.id).where(SeatClaim.trip_id == trip.id, SeatClaim.seat_id == Seat.id,
                                          overlapping(board_seq, alight_seq), live_claim(now)).exists()
    counts = (sa.select(Coach.id, sa.func.count(Seat.id), sa.func.sum(sa.case((taken, 0), else_=1)))
              .join(Seat, Seat.coach_id == Coach.id).where(Coach.train_id == trip.train_id).group_by(Coach.id))
    by_coach = {coach_id: (int(total), int(free or 0)) for coach_id, total, free in db.session.execute(counts)}
    query = sa.select(Coach).where(Coach.train_id == trip.train_id).order_by(Coach.position)
    if class_code:
        query = query.join(CoachClass, CoachClass.id == Coach.coach_class_id).where(CoachClass.code == class_code)
    return [CoachTab(coach, by_coach.get(coach.id, (0, 0))[1], by_coach.get(coach.id, (0, 0))[0])
            for coach in db.session.scalars(query)]


def seat_states(trip_id: int, coach_id: int, board_seq: int, alight_seq: int, owner: Owner | None,
                now: datetime | None = None) -> dict[int, str]:
    """{seat id: free | held | sold | blocked | mine} for one coach on the stretch."""
    now = now or utcnow()
    seats = list(db.session.scalars(sa.select(Seat.id).where(Seat.coach_id == coach_id)))
    return _claim_states(trip_id, seats, board_seq, alight_seq, owner, now)


def _claim_states(trip_id: int, seats: list[int], board_seq: int, alight_seq: int, owner: Owner | None,
                  now: datetime, expiries: list | None = None) -> dict[int, str]:
    """{seat: state}; `expiries` collects when each of the shown holds runs out."""
    states = {s: "free" for s in seats}
    rows = db.session.execute(
        sa.select(SeatClaim.seat_id, SeatClaim.status, Hold.customer_id, Hold.guest_key, SeatClaim.expires_at)
        .outerjoin(Hold, Hold.id == SeatClaim.hold_id)
        .where(SeatClaim.trip_id == trip_id, SeatClaim.seat_id.in_(seats), overlapping(board_seq, alight_seq),
               live_claim(now)))
    for seat_id, status, customer_id, guest_key, expires_at in rows:
        if status == "held" and expiries is not None:
            expiries.append(expires_at)
        state = status
        if status == "held" and owner is not None and (
                (owner.customer_id is not None and customer_id == owner.customer_id)
                or (owner.customer_id is None and guest_key == owner.guest_key)):
            state = "mine"
        current = states[seat_id]
        if current == "free" or STATE_RANK[state] < STATE_RANK[current]:
            states[seat_id] = state
    return states


@dataclass
class SeatCell:
    seat_id: int
    label: str
    kind: str  # seat | berth
    position: str  # window | aisle | middle
    state: str  # free | held | sold | blocked | mine
    row: int = 0
    col: int = 0
    coach_code: str = ""


# A coach's drawing never changes: its seats are made from the layout when the coach is added, and
# removed only with the coach. Kept per process, keyed by tenant, coach and layout.
_DRAWINGS: dict[tuple, list[list[tuple | None]]] = {}
_DRAWINGS_MAX = 2048


def coach_drawing(coach_id: int, layout_id: int) -> list[list[tuple | None]]:
    """The coach as rows of (seat id, label, kind, position) or None (aisle, no seat)."""
    from services import tenant_db

    key = (tenant_db.require_tenant().slug, coach_id, layout_id)
    drawing = _DRAWINGS.get(key)
    if drawing is None:
        cells = db.session.scalar(sa.select(LayoutTemplate.cells).where(LayoutTemplate.id == layout_id)) or []
        by_place = {(r, c): (i, label, kind) for i, label, kind, r, c in db.session.execute(
            sa.select(Seat.id, Seat.label, Seat.kind, Seat.row, Seat.col).where(Seat.coach_id == coach_id))}
        drawing = []
        for r, line in enumerate(cells, start=1):
            drawing.append([None if (r, c) not in by_place else (*by_place[(r, c)], _position(line, c - 1))
                            for c in range(1, len(line) + 1)])
        if len(_DRAWINGS) >= _DRAWINGS_MAX:
            _DRAWINGS.clear()
        _DRAWINGS[key] = drawing
    return drawing


def seat_cells(trip_id: int, seat_ids, board_seq: int, alight_seq: int, owner: Owner | None,
               now: datetime | None = None, states: dict[int, str] | None = None) -> list[SeatCell]:
    """The map cells of a few seats as they are now (what a hold's answer redraws); `states` when
    the caller knows them (seats it has just held)."""
    now = now or utcnow()
    seat_ids = sorted(set(seat_ids))
    coaches = db.session.execute(sa.select(Coach.id, Coach.layout_id, Coach.code).join(Seat, Seat.coach_id == Coach.id)
                                 .where(Seat.id.in_(seat_ids)).distinct()).all()
    if states is None:
        states = _claim_states(trip_id, seat_ids, board_seq, alight_seq, owner, now)
    out = []
    for coach_id, layout_id, code in coaches:
        for r, line in enumerate(coach_drawing(coach_id, layout_id), start=1):
            for c, cell in enumerate(line, start=1):
                if cell is not None and cell[0] in states:
                    out.append(SeatCell(cell[0], cell[1], cell[2], cell[3], states[cell[0]], r, c, code))
    return out


@dataclass
class HeldSeat:
    seat_id: int
    label: str  # "KA-12", as on the ticket
    fare: Decimal
    fare_class: str = "other"  # ac | first | other: what a cancellation's flat charge depends on


def fare_class_of(klass: CoachClass) -> str:
    """Bangladesh Railway's refund table charges by AC, first class (F_BERTH, F_SEAT, F_CHAIR) or other."""
    if klass.is_ac:
        return "ac"
    return "first" if klass.code.upper().startswith("F_") else "other"


@dataclass
class SeatMap:
    stretch: Stretch
    tabs: list[CoachTab]
    coach: Coach | None
    rows: list[list[SeatCell | None]]  # None: an aisle or a position with no seat
    hold: Hold | None
    limit: int
    version: int = 0  # the trip's live version, read before the seats (data-live-version)
    fare: Decimal | None = None  # one seat of the shown coach's class on the stretch
    held: list[HeldSeat] = field(default_factory=list)  # the hold's seats, by label, with their fares
    closed: str | None = None  # why nothing can be held on this trip now (NotOnSale's message)
    next_expiry: datetime | None = None  # when the first hold shown runs out: its seats are free from then

    @property
    def held_total(self) -> Decimal:
        return sum((h.fare for h in self.held), Decimal("0.00"))


def stretch_fares(stretch: Stretch):
    """fare(klass) -> one seat's fare of that class on the stretch (an explicit stop-to-stop fare wins),
    as the search results price it."""
    from services.rail import fares

    explicit = fares.overrides(stretch.board.station_id, stretch.alight.station_id)
    return lambda klass: fares.fare_for(klass, stretch.distance_km, explicit.get(klass.id))


def held_seats(hold: Hold, fare_of) -> list[HeldSeat]:
    rows = db.session.execute(
        sa.select(Seat.id, Coach.code, Seat.label, CoachClass).join(Coach, Coach.id == Seat.coach_id)
        .join(CoachClass, CoachClass.id == Coach.coach_class_id).join(SeatClaim, SeatClaim.seat_id == Seat.id)
        .where(SeatClaim.hold_id == hold.id).order_by(Coach.position, Seat.id))
    return [HeldSeat(seat_id, f"{code}-{label}", fare_of(klass), fare_class_of(klass))
            for seat_id, code, label, klass in rows]


def _position(row: str, col: int) -> str:
    cells = [i for i, c in enumerate(row) if c in ("S", "B", "X")]
    if not cells:
        return "middle"
    if col in (cells[0], cells[-1]):
        return "window"
    if (col > 0 and row[col - 1] == "A") or (col + 1 < len(row) and row[col + 1] == "A"):
        return "aisle"
    return "middle"


def seat_map(trip_id: int, *, class_code: str | None, board_seq: int, alight_seq: int, coach_id: int | None,
             owner: Owner | None, now: datetime | None = None) -> SeatMap:
    """What the seat map page shows: the class's coaches as tabs (with seats free on the stretch),
    the chosen coach drawn from its layout with each seat's state, and the owner's hold."""
    from services import live

    now = now or utcnow()
    version = live.version(live.trip_channel(trip_id))  # before the seats: a change in between comes as newer
    stretch = stretch_of(trip_id, board_seq, alight_seq)
    try:
        check_on_sale(stretch, now)
    except NotOnSale as exc:  # the page says why, and shows no seats to pick
        return SeatMap(stretch, [], None, [], None, rail_seat_limit(), version, closed=exc.message)
    tabs = coaches_of_class(stretch.trip, class_code, board_seq, alight_seq, now)
    coach = next((t.coach for t in tabs if t.coach.id == coach_id), tabs[0].coach if tabs else None)
    rows: list[list[SeatCell | None]] = []
    expiries: list[datetime] = []
    if coach is not None:
        drawing = coach_drawing(coach.id, coach.layout_id)
        states = _claim_states(trip_id, [c[0] for line in drawing for c in line if c], board_seq, alight_seq,
                               owner, now, expiries)
        rows = [[None if cell is None else SeatCell(cell[0], cell[1], cell[2], cell[3], states[cell[0]], r, c)
                 for c, cell in enumerate(line, start=1)] for r, line in enumerate(drawing, start=1)]
    fare_of = stretch_fares(stretch)
    hold, held = owner_hold(trip_id, board_seq, alight_seq, owner, fare_of, now)
    return SeatMap(stretch, tabs, coach, rows, hold, rail_seat_limit(), version,
                   fare=fare_of(coach.coach_class) if coach is not None else None, held=held,
                   next_expiry=min(expiries, default=None))


def owner_hold(trip_id: int, board_seq: int, alight_seq: int, owner: Owner | None, fare_of,
               now: datetime) -> tuple[Hold | None, list[HeldSeat]]:
    """The owner's active hold on this stretch of the trip and its seats with their fares."""
    if owner is None or owner.customer_id is None:
        return None, []
    hold = db.session.scalar(sa.select(Hold).where(
        owned_by(owner), Hold.trip_id == trip_id, Hold.board_seq == board_seq, Hold.alight_seq == alight_seq,
        Hold.status == "active", Hold.expires_at > now).order_by(Hold.id.desc()).limit(1))
    return (hold, held_seats(hold, fare_of)) if hold is not None else (None, [])


@dataclass
class HoldAnswer:
    """What the page needs after a hold is made or refused: the hold panel and the seats that changed."""

    hold: Hold | None
    held: list[HeldSeat]
    limit: int
    cells: list[SeatCell]
    panel: bool = True  # whether the hold panel changed (and is in the answer)

    @property
    def held_total(self) -> Decimal:
        return sum((h.fare for h in self.held), Decimal("0.00"))


def hold_answer(trip_id: int, seat_ids, board_seq: int, alight_seq: int, owner: Owner, *,
                now: datetime | None = None, hold: Hold | None = None,
                refused: SeatsTaken | None = None) -> HoldAnswer:
    """After `hold` was made (its seats are the owner's now): the hold panel and those seats. After
    a refusal: only the refused seats as they are (the owner's hold did not change)."""
    now = now or utcnow()
    if hold is None:
        states = refused.states if refused is not None else None
        return HoldAnswer(None, [], rail_seat_limit(),
                          seat_cells(trip_id, seat_ids, board_seq, alight_seq, owner, now, states), panel=False)
    stretch = getattr(hold, "stretch", None) or stretch_of(trip_id, board_seq, alight_seq)
    held = held_seats(hold, stretch_fares(stretch))
    return HoldAnswer(hold, held, rail_seat_limit(),
                      seat_cells(trip_id, seat_ids, board_seq, alight_seq, owner, now, {s: "mine" for s in seat_ids}))
