"""Coach classes (with their distance fares), coach layouts drawn as grids, and each train's
coaches in order, whose seats are made from a layout."""
from __future__ import annotations

import string
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from models import db
from models.rail import Coach, CoachClass, LayoutTemplate, Seat
from services.audit import Actor
from services.rail.errors import RailError
from services.rail.network import commit_change, get_train, snapshot

SEAT, BERTH, AISLE, UNAVAILABLE = "S", "B", "A", "X"
# Coach codes as painted on Bangladesh Railway coaches (ক, খ, গ...), in order.
COACH_CODES = ("KA", "KHA", "GA", "GHA", "UMA", "CHA", "SCHA", "JA", "JHA", "NEO", "TA", "THA", "DA", "DHA",
               "TO", "THO")
CLASS_FIELDS = ("code", "name", "is_ac", "rate_per_km", "minimum_fare", "vat_percent")


# --- coach classes ----------------------------------------------------------------------------

def list_classes() -> list[CoachClass]:
    return list(db.session.scalars(sa.select(CoachClass).order_by(CoachClass.position, CoachClass.id)))


def save_class(data: dict, *, actor: Actor, class_id: int | None = None) -> CoachClass:
    code = (data.get("code") or "").strip().upper().replace(" ", "_")
    if not code:
        raise RailError(_("Give the class a code."), "code")
    klass = db.session.get(CoachClass, class_id) if class_id else CoachClass()
    if klass is None:
        raise RailError(_("That class no longer exists."))
    before = snapshot(klass, CLASS_FIELDS) if class_id else None
    klass.code, klass.name, klass.is_ac = code, data["name"].strip(), bool(data.get("is_ac"))
    klass.rate_per_km = Decimal(data["rate_per_km"])
    klass.minimum_fare = Decimal(data["minimum_fare"])
    klass.vat_percent = Decimal(data.get("vat_percent") or 0)
    if class_id is None:
        klass.position = (db.session.scalar(sa.select(sa.func.max(CoachClass.position))) or 0) + 1
        db.session.add(klass)
    commit_change(actor, "coach_class.update" if class_id else "coach_class.create", "coach_class",
                  lambda: klass.id, before=before, after=snapshot(klass, CLASS_FIELDS),
                  conflict=RailError(_("A class with code %(code)s already exists.", code=code), "code"))
    return klass


# --- layouts ----------------------------------------------------------------------------------

def column_letters(row: str) -> list[str | None]:
    """The letter of each column of a grid row: seat positions get A, B, C...; aisles None."""
    letters, n = [], 0
    for cell in row:
        if cell == AISLE:
            letters.append(None)
        else:
            letters.append(string.ascii_uppercase[n])
            n += 1
    return letters


def build_cells(rows: int, cols: int, aisles: list[int], berths: bool, unavailable: list[str]) -> list[str]:
    """A layout grid from its description. `aisles` are 1-based column numbers; `unavailable`
    lists seat labels ("1A", "14E") that are never sold. Raises RailError for a layout that
    makes no sense, including one with no seats."""
    if not (1 <= rows <= 40 and 1 <= cols <= 12):
        raise RailError(_("A layout has 1 to 40 rows and 1 to 12 columns."), "rows")
    bad = [a for a in aisles if not 1 <= a <= cols]
    if bad:
        raise RailError(_("Aisle column %(col)s is outside the grid.", col=bad[0]), "aisles")
    kind = BERTH if berths else SEAT
    template = "".join(AISLE if c + 1 in aisles else kind for c in range(cols))
    grid = [list(template) for _r in range(rows)]
    letters = column_letters(template)
    wanted = {label.strip().upper() for label in unavailable if label.strip()}
    for label in wanted:
        number, letter = label.rstrip(string.ascii_uppercase), label.lstrip(string.digits)
        if not number.isdigit() or not 1 <= int(number) <= rows or letter not in letters:
            raise RailError(_("%(label)s is not a seat of this grid (rows 1-%(rows)s, letters %(first)s-%(last)s).",
                              label=label, rows=rows, first="A",
                              last=[x for x in letters if x][-1] if any(letters) else "A"),
                            "unavailable")
        grid[int(number) - 1][letters.index(letter)] = UNAVAILABLE
    cells = ["".join(r) for r in grid]
    if seat_count(cells) == 0:
        raise RailError(_("This layout has no seats: leave at least one cell that is not an aisle or unavailable."),
                        "cols")
    return cells


def seat_count(cells: list[str]) -> int:
    return sum(row.count(SEAT) + row.count(BERTH) for row in cells)


def seats_of(cells: list[str]) -> list[dict]:
    """The seats a layout makes, numbered 1, 2, 3... row by row as on Bangladesh Railway's coaches
    (a ticket reads "KA-12"), with their row and column (1-based) and kind. Unavailable positions
    take no number."""
    seats = []
    for r, row in enumerate(cells, start=1):
        for c, cell in enumerate(row, start=1):
            if cell in (SEAT, BERTH):
                seats.append({"label": str(len(seats) + 1), "row": r, "col": c,
                              "kind": "berth" if cell == BERTH else "seat"})
    return seats


def list_layouts() -> list[LayoutTemplate]:
    return list(db.session.scalars(sa.select(LayoutTemplate).order_by(LayoutTemplate.name)))


def create_layout(data: dict, *, actor: Actor) -> LayoutTemplate:
    cells = build_cells(data["rows"], data["cols"], data.get("aisles") or [], bool(data.get("berths")),
                        data.get("unavailable") or [])
    name = data["name"].strip()
    layout = LayoutTemplate(name=name, rows=data["rows"], cols=data["cols"], cells=cells, seat_count=seat_count(cells))
    db.session.add(layout)
    commit_change(actor, "layout.create", "layout", lambda: layout.id,
                  after={"name": name, "rows": layout.rows, "cols": layout.cols, "cells": cells},
                  conflict=RailError(_("A layout called %(name)s already exists.", name=name), "name"))
    return layout


# --- coaches ----------------------------------------------------------------------------------

def add_coach(train_id: int, *, coach_class_id: int, layout_id: int, code: str | None, actor: Actor) -> Coach:
    """Append a coach to the train's formation and make its seats from the layout."""
    train = get_train(train_id)
    klass = db.session.get(CoachClass, coach_class_id)
    layout = db.session.get(LayoutTemplate, layout_id)
    if klass is None:
        raise RailError(_("Choose a class."), "coach_class_id")
    if layout is None:
        raise RailError(_("Choose a layout."), "layout_id")
    used = {c.code for c in train.coaches}
    code = (code or "").strip().upper() or next((c for c in COACH_CODES if c not in used), f"C{len(used) + 1}")
    position = (train.coaches[-1].position + 1) if train.coaches else 1
    coach = Coach(code=code, position=position, coach_class=klass, layout=layout,
                  seats=[Seat(**s) for s in seats_of(layout.cells)])
    train.coaches.append(coach)
    commit_change(actor, "coach.create", "train", train.id,
                  after={"code": code, "position": position, "class": klass.code, "layout": layout.name},
                  conflict=RailError(_("This train already has a coach %(code)s.", code=code), "code"))
    return coach


def remove_coach(train_id: int, coach_id: int, *, actor: Actor) -> None:
    """Remove a coach and its seats (refused by the database once any of its seats is claimed)."""
    train = get_train(train_id)
    coach = next((c for c in train.coaches if c.id == coach_id), None)
    if coach is None:
        raise RailError(_("That coach is no longer in the formation."))
    before = {"code": coach.code, "position": coach.position, "class": coach.coach_class.code}
    train.coaches.remove(coach)
    commit_change(actor, "coach.delete", "train", train.id, before=before,
                  conflict=RailError(_("Coach %(code)s has seats held or sold: it cannot be removed.",
                                       code=before["code"])))
