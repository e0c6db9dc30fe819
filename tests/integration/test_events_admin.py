"""Operators manage venues, events, ticket types, timed-entry slots, seat plans and images through
the staff pages; every change is audited, bad input changes nothing."""
import io
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from models import db
from models.base import utcnow
from models.events import Event, PlanSeat, TicketType, TimeSlot
from models.people import AuditLog
from services.events import EventsError, ticket_types
from services.events.ticket_types import TicketTypeData
from tests.support.events import ACTOR, login_staff, make_event, make_staff

HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}


@pytest.fixture
def zoo(make_tenant, in_tenant):
    from services import tenant_db

    info = make_tenant("wildlife")  # not "Zoo": the platform page test looks for that name
    with in_tenant(info):
        yield info
    tenant_db.dispose_engine(info.slug)  # its pooled connections are not needed after the test


@pytest.fixture
def operator(zoo, client_for):
    client = client_for(zoo)
    login_staff(client, make_staff("operator"))
    return client


def _png(size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, "PNG")
    return out.getvalue()


def _actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)))


def _day(days: int) -> str:
    return (utcnow() + timedelta(days=days)).date().isoformat()


@pytest.mark.parametrize("role", ["gate", "viewer"])
def test_only_staff_who_manage_events_reach_the_event_pages(zoo, client_for, role):
    client = client_for(zoo)
    assert client.get("/staff/events/").status_code == 302  # not logged in: to the login page
    login_staff(client, make_staff(role))
    assert client.get("/staff/events/").status_code == 403
    assert client.post("/staff/events/new", data={"title": "x"}).status_code == 403


def test_an_operator_creates_an_event_adds_two_ticket_types_and_publishes_it(zoo, operator):
    venue = operator.post("/staff/events/venues", data={"name": "Open-air stage", "city": "Dhaka", "capacity": "300",
                                                         "amenities": "Toilets, Parking"})
    assert venue.status_code == 303
    venue_id = int(venue.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    created = operator.post("/staff/events/new", data={
        "title": "Baul night", "description": "Folk songs by the lake", "category": "Music", "venue_id": venue_id,
        "zone_id": 0, "starts_at": f"{_day(7)}T19:00", "ends_at": f"{_day(7)}T21:30", "admission": "general"})
    assert created.status_code == 303
    event_id = int(created.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    event = db.session.get(Event, event_id)
    assert event.status == "draft" and event.starts_at.hour == 13  # 19:00 in Dhaka is 13:00 UTC
    assert event.search_extra == "Music Open-air stage Dhaka"

    refused = operator.post(f"/staff/events/{event_id}/status/published", headers=HTMX)
    assert refused.status_code == 422 and "Add at least one ticket type" in refused.text

    for name, price, quantity in (("Adult", "300", "100"), ("Student", "150", "40")):
        added = operator.post(f"/staff/events/{event_id}/ticket-types", headers=HTMX, data={
            "name": name, "kind": "adult", "price": price, "quantity": quantity, "min_per_order": 1,
            "max_per_order": 6})
        assert added.status_code == 200 and name in added.text
    duplicate = operator.post(f"/staff/events/{event_id}/ticket-types", headers=HTMX, data={
        "name": "Adult", "kind": "adult", "price": "1", "min_per_order": 1, "max_per_order": 6})
    assert duplicate.status_code == 422 and "already has a ticket type with this name" in duplicate.text

    assert operator.post(f"/staff/events/{event_id}/status/published").status_code == 303
    db.session.expire_all()
    assert db.session.get(Event, event_id).status == "published"
    actions = _actions()
    assert "venue.created" in actions
    assert actions[-4:] == ["event.created", "ticket_type.created", "ticket_type.created", "event.status"]


def test_bad_event_input_is_explained_and_changes_nothing(zoo, operator):
    answer = operator.post("/staff/events/new", headers=HTMX, data={
        "title": "Backwards", "starts_at": f"{_day(3)}T19:00", "ends_at": f"{_day(3)}T18:00", "admission": "general",
        "venue_id": 0, "zone_id": 0})
    assert answer.status_code == 422 and "must end after it starts" in answer.text
    event = make_event("Gala", tickets=[("Adult", "100", 10)])
    answer = operator.post(f"/staff/events/{event}/ticket-types", headers=HTMX, data={
        "name": "Group", "kind": "group", "price": "50", "min_per_order": 5, "max_per_order": 2})
    assert answer.status_code == 422 and "most per order" in answer.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketType)) == 1


def test_a_quantity_below_what_is_sold_is_refused_by_the_database(zoo):
    event = make_event("Gala", tickets=[("Adult", "100", 10)])
    ticket = db.session.scalar(sa.select(TicketType).where(TicketType.event_id == event))
    db.session.execute(sa.update(TicketType).where(TicketType.id == ticket.id).values(sold=8))
    db.session.commit()
    with pytest.raises(EventsError, match="less than what is already sold"):
        ticket_types.update_ticket_type(ticket.id, TicketTypeData(name="Adult", price=Decimal("100"), quantity=5),
                                        actor=ACTOR)
    db.session.expire_all()
    assert db.session.get(TicketType, ticket.id).quantity == 10


def test_timed_entry_slots_are_generated_once_per_start(zoo, operator, client_for):
    event = make_event("Zoo entry", admission="timed", tickets=[("Adult", "50", None)], status="draft")
    form = {"first_day": _day(1), "last_day": _day(3), "opens": "09:00", "closes": "17:00", "every_minutes": 60,
            "capacity": 250}
    first = operator.post(f"/staff/events/{event}/slots", headers=HTMX, data=form)
    assert first.status_code == 200 and "24 new slots added" in first.text
    again = operator.post(f"/staff/events/{event}/slots", headers=HTMX, data={**form, "last_day": _day(4)})
    assert "8 new slots added" in again.text  # only the extra day
    assert db.session.scalar(sa.select(sa.func.count()).where(TimeSlot.event_id == event)) == 32
    bad = operator.post(f"/staff/events/{event}/slots", headers=HTMX, data={**form, "closes": "08:00"})
    assert bad.status_code == 422 and "Closing time must be after opening time" in bad.text

    operator.post(f"/staff/events/{event}/status/published")
    page = client_for(zoo).get(f"/events/{event}?day={_day(2)}")
    assert page.status_code == 200 and "09:00–10:00" in page.text and "250 places left" in page.text
    fragment = client_for(zoo).get(f"/events/{event}?day={_day(3)}", headers=HTMX)
    assert 'id="slots"' in fragment.text and "<html" not in fragment.text


def test_a_seat_plan_is_drawn_as_a_grid_with_rows_in_price_categories(zoo, operator, client_for):
    event = make_event("Light show", admission="seated", tickets=None, status="draft")
    answer = operator.post(f"/staff/events/{event}/seats/categories",
                           data={"category-name": "Premium", "category-price": "500", "category-color": "#7b2d26"})
    assert answer.status_code == 303
    operator.post(f"/staff/events/{event}/seats/categories", data={"category-name": "Economy",
                                                                   "category-price": "150",
                                                                   "category-color": "red;x:1"})
    page = operator.get(f"/staff/events/{event}/seats")
    assert "red;x" not in page.text  # only #rrggbb colours are kept

    def seats():
        return list(db.session.scalars(sa.select(PlanSeat).order_by(PlanSeat.row, PlanSeat.number)))

    from models.events import PriceCategory

    premium, economy = (db.session.scalar(sa.select(PriceCategory.id).where(PriceCategory.name == n))
                        for n in ("Premium", "Economy"))
    assert operator.post(f"/staff/events/{event}/seats/sections", data={
        "section-name": "Centre", "section-rows": 3, "section-seats_per_row": 4,
        "section-category_id": economy}).status_code == 303
    assert [s.label for s in seats()][:5] == ["A1", "A2", "A3", "A4", "B1"]
    section_id = seats()[0].section_id
    answer = operator.post(f"/staff/events/sections/{section_id}/rows", headers=HTMX,
                           data={"row": 1, "category_id": premium})
    assert answer.status_code == 200 and 'id="plan"' in answer.text
    db.session.expire_all()
    assert {s.category_id for s in seats() if s.row == 1} == {premium}
    operator.post(f"/staff/events/seats/{seats()[5].id}/toggle", headers=HTMX)
    db.session.expire_all()
    assert seats()[5].status == "blocked"

    assert operator.post(f"/staff/events/{event}/status/published").status_code == 303
    public = client_for(zoo).get(f"/events/{event}").text
    assert "Premium" in public and "4 seats" in public and "7 seats" in public  # 8 economy, one blocked


def test_images_are_checked_stored_per_tenant_and_served_with_caching(zoo, operator, app, make_tenant,
                                                                     client_for, monkeypatch):
    event = make_event("Gala")
    answer = operator.post(f"/staff/events/{event}/images", headers=HTMX, content_type="multipart/form-data",
                           data={"image": (io.BytesIO(_png()), "poster.png")})
    assert answer.status_code == 200
    db.session.expire_all()
    [path] = db.session.get(Event, event).images
    stored = Path(app.config["MEDIA_FOLDER"]) / zoo.slug / path
    assert stored.read_bytes() == _png() and path.startswith("events/") and path.endswith(".png")
    served = client_for(zoo).get(f"/media/{path}")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert "immutable" in served.headers["Cache-Control"] and "max-age=31536000" in served.headers["Cache-Control"]
    assert client_for(make_tenant("heritage")).get(f"/media/{path}").status_code == 404  # another tenant's files
    assert client_for(zoo).get("/media/../../etc/passwd").status_code == 404

    fake = operator.post(f"/staff/events/{event}/images", headers=HTMX, content_type="multipart/form-data",
                         data={"image": (io.BytesIO(b"<?php echo 1; ?>"), "evil.png")})
    assert fake.status_code == 422 and "not an image we can use" in fake.text
    monkeypatch.setitem(app.config, "MEDIA_MAX_IMAGE_BYTES", 1000)
    big = operator.post(f"/staff/events/{event}/images", headers=HTMX, content_type="multipart/form-data",
                        data={"image": (io.BytesIO(_png((600, 600)) + b"\0" * 2000), "big.png")})
    assert big.status_code == 422 and "too large" in big.text
    db.session.expire_all()
    assert db.session.get(Event, event).images == [path]
    assert len(list(stored.parent.iterdir())) == 1  # refused files are never written


def test_venues_get_zones_and_a_renamed_venue_is_found_by_its_new_name(zoo, operator):
    from services.events.search import EventQuery, search_events
    from tests.support.events import make_venue

    venue = make_venue("Old hall", city="Dhaka")
    make_event("Piano recital", venue_id=venue)
    zone = operator.post(f"/staff/events/venues/{venue}/zones", headers=HTMX, data={"zone-name": "Balcony",
                                                                                    "zone-capacity": "80"})
    assert zone.status_code == 200 and "Balcony" in zone.text
    again = operator.post(f"/staff/events/venues/{venue}/zones", headers=HTMX, data={"zone-name": "Balcony"})
    assert again.status_code == 422 and "already has a zone with this name" in again.text
    saved = operator.post(f"/staff/events/venues/{venue}", headers=HTMX, data={"name": "Shilpakala hall",
                                                                               "city": "Dhaka"})
    assert saved.status_code == 200 and "Saved." in saved.text
    db.session.expire_all()
    assert [e.title for e in search_events(EventQuery(text="shilpakala"), tz="Asia/Dhaka")] == ["Piano recital"]
    assert search_events(EventQuery(text="old"), tz="Asia/Dhaka") == []
