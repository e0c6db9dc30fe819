"""Seat plans of seated events: sections drawn as grids of rows × seats, each seat in a price
category; cells can be blocked (aisles, pillars) so the grid matches the real hall."""
from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from models import db
from models.events import PlanSeat, PriceCategory, SeatPlan, SeatSection
from services import audit
from services.audit import Actor
from services.events import EventsError, NotFound
from services.events.catalog import commit_or_explain, flush_or_explain, get_event

MAX_ROWS, MAX_SEATS_PER_ROW = 100, 200
_CATEGORY_MESSAGES = {
    "uq_event_price_categories_seat_plan_id_name": _l("This seat plan already has a category with this name."),
}
_SECTION_MESSAGES = {
    "uq_event_seat_sections_seat_plan_id_name": _l("This seat plan already has a section with this name."),
}
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def hex_color(value: str | None, default: str = "#0b6e4f") -> str:
    """Only #rrggbb is stored: colours reach style attributes on the seat map."""
    return value if value and _HEX.match(value) else default


def row_label(row: int) -> str:
    """1 → A, 26 → Z, 27 → AA: how halls letter their rows."""
    label = ""
    while row > 0:
        row, rest = divmod(row - 1, 26)
        label = chr(ord("A") + rest) + label
    return label


def get_plan(event_id: int) -> SeatPlan | None:
    return db.session.scalar(
        sa.select(SeatPlan).where(SeatPlan.event_id == event_id)
        .options(selectinload(SeatPlan.categories),
                 selectinload(SeatPlan.sections).selectinload(SeatSection.seats)))


def _plan_for_change(event_id: int) -> SeatPlan:
    event = get_event(event_id)
    if event.admission != "seated":
        raise EventsError(str(_l("Only a seated event has a seat plan.")))
    if event.status in ("cancelled", "completed"):
        raise EventsError(str(_l("This event is closed: its seat plan cannot change.")))
    plan = get_plan(event.id)
    if plan is None:
        plan = SeatPlan(event=event)
        db.session.add(plan)
        db.session.flush()
    return plan


def add_category(event_id: int, name: str, price: Decimal, color: str, *, actor: Actor) -> PriceCategory:
    if not name.strip():
        raise EventsError(str(_l("Give the price category a name.")), "name")
    if price is None or price < 0:
        raise EventsError(str(_l("The price cannot be negative.")), "price")
    plan = _plan_for_change(event_id)
    category = PriceCategory(seat_plan=plan, name=name.strip(), price=price, color=hex_color(color))
    db.session.add(category)
    flush_or_explain(_CATEGORY_MESSAGES)
    audit.record(actor, "price_category.created", "price_category", category.id,
                 after={"event_id": event_id, "name": category.name, "price": str(price), "color": category.color})
    commit_or_explain(_CATEGORY_MESSAGES)
    return category


def add_section(event_id: int, name: str, rows: int, seats_per_row: int, *, category_id: int | None = None,
                actor: Actor) -> SeatSection:
    """A section of `rows` × `seats_per_row` seats, every seat available, in `category_id` if given."""
    if not name.strip():
        raise EventsError(str(_l("Give the section a name.")), "name")
    if not (1 <= rows <= MAX_ROWS and 1 <= seats_per_row <= MAX_SEATS_PER_ROW):
        raise EventsError(str(_l("A section has 1 to %(r)s rows of 1 to %(s)s seats.", r=MAX_ROWS,
                                 s=MAX_SEATS_PER_ROW)), "rows")
    plan = _plan_for_change(event_id)
    if plan.event.status != "draft":
        raise EventsError(str(_l("Sections can only be added while the event is a draft.")))
    category = _category_of(plan, category_id)
    section = SeatSection(seat_plan=plan, name=name.strip(), rows=rows, seats_per_row=seats_per_row,
                          position=len(plan.sections))
    db.session.add(section)
    flush_or_explain(_SECTION_MESSAGES)
    db.session.execute(sa.insert(PlanSeat), [
        {"section_id": section.id, "row": r, "number": n, "label": f"{row_label(r)}{n}",
         "category_id": category.id if category else None, "status": "available"}
        for r in range(1, rows + 1) for n in range(1, seats_per_row + 1)])
    audit.record(actor, "seat_section.created", "seat_section", section.id,
                 after={"event_id": event_id, "name": section.name, "rows": rows, "seats_per_row": seats_per_row,
                        "category_id": category_id})
    commit_or_explain(_SECTION_MESSAGES)
    return section


def delete_section(section_id: int, *, actor: Actor) -> int:
    section = _section(section_id)
    event_id = section.seat_plan.event_id
    if section.seat_plan.event.status != "draft":
        raise EventsError(str(_l("Sections can only be removed while the event is a draft.")))
    audit.record(actor, "seat_section.deleted", "seat_section", section.id,
                 before={"event_id": event_id, "name": section.name, "rows": section.rows,
                         "seats_per_row": section.seats_per_row})
    db.session.delete(section)
    commit_or_explain({})
    return event_id


def toggle_seat(seat_id: int, *, actor: Actor) -> PlanSeat:
    """Block an available cell (aisle, pillar) or make a blocked one a seat again."""
    seat = db.session.get(PlanSeat, seat_id)
    if seat is None:
        raise NotFound(str(_l("No such seat.")))
    _plan_for_change(seat.section.seat_plan.event_id)
    before = seat.status
    seat.status = "blocked" if before == "available" else "available"
    audit.record(actor, "seat.status", "seat", seat.id, before={"status": before}, after={"status": seat.status})
    commit_or_explain({})
    return seat


def assign_row(section_id: int, row: int, category_id: int | None, *, actor: Actor) -> SeatSection:
    """Put every seat of one row of a section in a price category."""
    section = _section(section_id)
    plan = _plan_for_change(section.seat_plan.event_id)
    if not 1 <= row <= section.rows:
        raise EventsError(str(_l("That row is not in this section.")), "row")
    category = _category_of(plan, category_id)
    db.session.execute(sa.update(PlanSeat).where(PlanSeat.section_id == section.id, PlanSeat.row == row)
                       .values(category_id=category.id if category else None))
    audit.record(actor, "seat_row.category", "seat_section", section.id,
                 after={"row": row, "category_id": category.id if category else None})
    commit_or_explain({})
    db.session.expire_all()
    return section


def _section(section_id: int) -> SeatSection:
    section = db.session.get(SeatSection, section_id)
    if section is None:
        raise NotFound(str(_l("No such section.")))
    return section


def _category_of(plan: SeatPlan, category_id: int | None) -> PriceCategory | None:
    if not category_id:
        return None
    category = db.session.get(PriceCategory, category_id)
    if category is None or category.seat_plan_id != plan.id:
        raise EventsError(str(_l("That price category is not part of this seat plan.")), "category_id")
    return category


def category_counts(plan: SeatPlan | None) -> list[tuple[PriceCategory, int]]:
    """(category, seats available in it), dearest first. The inventory area subtracts the seats
    it has sold or holds."""
    if plan is None:
        return []
    counts = Counter(seat.category_id for section in plan.sections for seat in section.seats
                     if seat.status == "available" and seat.category_id is not None)
    return [(category, counts.get(category.id, 0)) for category in plan.categories]


def seat_count(plan: SeatPlan | None) -> int:
    if plan is None:
        return 0
    return sum(1 for section in plan.sections for seat in section.seats if seat.status == "available")
