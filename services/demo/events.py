"""Demo events for the zoo (timed entry and special events) and the fort (day entry and a seated
sound-and-light show). Each event is made once, found again by its title; dates are relative to
the day of the first seeding."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from models import db
from models.events import Event, Venue
from services.audit import Actor
from services.events import catalog, seat_plans, slots, ticket_types
from services.events.catalog import EventData, VenueData
from services.events.slots import SlotPlan
from services.events.ticket_types import TicketTypeData
from services.events.times import to_local, to_utc
from services.tenant_db import require_tenant

ACTOR = Actor.system("flask demo seed")
SLOT_DAYS = 30


def _tz() -> str:
    return require_tenant().setting("timezone")


def _today() -> date:
    from models.base import utcnow

    return to_local(utcnow(), _tz()).date()


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return to_utc(datetime.combine(day, time(hour, minute)), _tz())


def _venue(data: VenueData, zones: list[tuple[str, int]]) -> Venue:
    venue = db.session.scalar(sa.select(Venue).where(Venue.name == data.name))
    if venue is None:
        venue = catalog.save_venue(data, actor=ACTOR)
        for name, capacity in zones:
            catalog.add_zone(venue.id, name, capacity, actor=ACTOR)
    return venue


def _exists(title: str) -> bool:
    return db.session.scalar(sa.select(Event.id).where(Event.title == title)) is not None


def _event(data: EventData, tickets: list[TicketTypeData]) -> Event:
    event = catalog.create_event(data, actor=ACTOR)
    for ticket in tickets:
        ticket_types.add_ticket_type(event.id, ticket, actor=ACTOR)
    return event


def _publish(event: Event) -> None:
    catalog.set_status(event.id, "published", actor=ACTOR)


def seed_zoo() -> str | None:
    today, made = _today(), []
    venue = _venue(VenueData(name="National Zoo, Mirpur", address="Mirpur-1", city="Dhaka",
                             latitude=Decimal("23.813600"), longitude=Decimal("90.348600"), capacity=20000,
                             amenities=["Parking", "Wheelchair access", "Food court", "Toilets", "Baby care room"]),
                   [("Bird park", 400), ("Lake", 300)])
    zones = {z.name: z.id for z in venue.zones}

    title = "Daily entry to the zoo · চিড়িয়াখানা প্রবেশ"
    if not _exists(title):
        event = _event(
            EventData(title=title, category="Attraction", venue_id=venue.id, admission="timed",
                      starts_at=_at(today, 9), ends_at=_at(today + timedelta(days=SLOT_DAYS - 1), 17),
                      description="Tigers, elephants, giraffes and more than 130 species on 75 hectares in Mirpur. "
                                  "Choose a day and an hour of entry; stay as long as you like.\n\n"
                                  "মিরপুরের জাতীয় চিড়িয়াখানায় বাঘ, হাতি, জিরাফসহ ১৩০টিরও বেশি প্রজাতির প্রাণী। "
                                  "প্রবেশের দিন ও সময় বেছে নিন।"),
            [TicketTypeData(name="Adult", kind="adult", price=Decimal("50"), max_per_order=10),
             TicketTypeData(name="Child (3-12)", kind="child", price=Decimal("20"), max_per_order=10),
             TicketTypeData(name="Student", kind="student", price=Decimal("30"), max_per_order=10)])
        slots.generate_slots(event.id, SlotPlan(first_day=today, last_day=today + timedelta(days=SLOT_DAYS - 1),
                                                opens=time(9), closes=time(17), every_minutes=60, capacity=250),
                             tz=_tz(), actor=ACTOR)
        _publish(event)
        made.append("daily entry with hourly slots")

    specials = [
        ("Bird-watching walk at the lake · পাখি দেখা", "Nature walk", 5, (7, 0), (9, 0), "Lake",
         "An early-morning walk with a naturalist around the zoo lake: winter migratory ducks, kingfishers and "
         "herons. Binoculars provided.\n\nভোরে প্রকৃতিবিদের সঙ্গে লেকের পাড়ে পাখি দেখা: পরিযায়ী হাঁস, মাছরাঙা ও বক।",
         [TicketTypeData(name="Adult", kind="adult", price=Decimal("150"), quantity=30, max_per_order=4),
          TicketTypeData(name="Child (8-12)", kind="child", price=Decimal("80"), quantity=15, max_per_order=4)]),
        ("Elephant bath and feeding time", "Show", 9, (10, 30), (11, 30), None,
         "Watch the keepers bathe and feed the zoo's elephants, and learn how they are cared for.",
         [TicketTypeData(name="Adult", kind="adult", price=Decimal("100"), quantity=80, max_per_order=6),
          TicketTypeData(name="Child (3-12)", kind="child", price=Decimal("50"), quantity=40, max_per_order=6)]),
        ("Night sounds: a guided evening tour · রাতের চিড়িয়াখানা", "Tour", 14, (18, 30), (20, 30), None,
         "After closing time, listen for owls, jackals and the big cats on a guided torch-lit tour.\n\n"
         "সন্ধ্যার পর টর্চের আলোয় পেঁচা, শেয়াল আর বড় বিড়ালদের ডাক শোনার গাইডেড ট্যুর।",
         [TicketTypeData(name="Adult", kind="adult", price=Decimal("300"), quantity=25, max_per_order=4)]),
    ]
    for title, category, in_days, (h1, m1), (h2, m2), zone, description, tickets in specials:
        if _exists(title):
            continue
        day = today + timedelta(days=in_days)
        event = _event(EventData(title=title, category=category, venue_id=venue.id, zone_id=zones.get(zone),
                                 starts_at=_at(day, h1, m1), ends_at=_at(day, h2, m2), description=description),
                       tickets)
        _publish(event)
        made.append(title.split(" · ")[0])

    draft = "Reptile house reopening (draft)"
    if not _exists(draft):
        day = today + timedelta(days=40)
        _event(EventData(title=draft, category="Exhibition", venue_id=venue.id, starts_at=_at(day, 10),
                         ends_at=_at(day, 16), description="Not announced yet: staff only."),
               [TicketTypeData(name="Adult", kind="adult", price=Decimal("40"))])
        made.append("a draft event")
    return f"events: {', '.join(made)}" if made else None


def seed_fort() -> str | None:
    today, made = _today(), []
    venue = _venue(VenueData(name="Lalbagh Fort", address="Lalbagh Road", city="Dhaka",
                             latitude=Decimal("23.718900"), longitude=Decimal("90.388200"), capacity=5000,
                             amenities=["Museum", "Gardens", "Toilets", "Wheelchair access (grounds)"]),
                   [("Fort grounds", 4000), ("Open-air stage", 300)])
    zones = {z.name: z.id for z in venue.zones}

    title = "Daytime entry · দিনের প্রবেশ"
    if not _exists(title):
        event = _event(
            EventData(title=title, category="Heritage site", venue_id=venue.id, zone_id=zones["Fort grounds"],
                      admission="timed", starts_at=_at(today, 10),
                      ends_at=_at(today + timedelta(days=SLOT_DAYS - 1), 17),
                      description="The unfinished Mughal fort of 1678: the Tomb of Pari Bibi, the Diwan-i-Aam and its "
                                  "hammam, the three-domed mosque and the gardens. Entry for the whole day.\n\n"
                                  "১৬৭৮ সালের মুঘল দুর্গ: পরী বিবির মাজার, দেওয়ান-ই-আম ও তিন গম্বুজ মসজিদ।"),
            [TicketTypeData(name="Adult", kind="adult", price=Decimal("50"), max_per_order=10),
             TicketTypeData(name="Child (under 12)", kind="child", price=Decimal("20"), max_per_order=10),
             TicketTypeData(name="Foreign visitor", kind="general", price=Decimal("500"), max_per_order=10)])
        slots.generate_slots(event.id, SlotPlan(first_day=today, last_day=today + timedelta(days=SLOT_DAYS - 1),
                                                opens=time(10), closes=time(17), every_minutes=7 * 60,
                                                capacity=2000), tz=_tz(), actor=ACTOR)
        _publish(event)
        made.append("daytime entry")

    for in_days in (1, 2, 3):
        day = today + timedelta(days=in_days)
        title = f"Sound and light show · আলো ও ধ্বনি প্রদর্শনী ({day.isoformat()})"
        if _exists(title):
            continue
        event = _event(EventData(title=title, category="Show", venue_id=venue.id, zone_id=zones["Open-air stage"],
                                 admission="seated", starts_at=_at(day, 19), ends_at=_at(day, 20),
                                 description="The story of the fort, Prince Azam and Shaista Khan told in light and "
                                             "sound on the walls of the Diwan-i-Aam, after dark.\n\n"
                                             "দেওয়ান-ই-আমের দেয়ালে আলো ও শব্দে লালবাগ দুর্গের ইতিহাস।"), [])
        _draw_show_plan(event.id)
        _publish(event)
        made.append(f"show on {day.isoformat()} (300 seats)")
    return f"events: {', '.join(made)}" if made else None


def _draw_show_plan(event_id: int) -> None:
    """300 seats: a centre block of 10 × 20 and two side blocks of 10 × 5; the front rows dearest."""
    premium = seat_plans.add_category(event_id, "Premium", Decimal("500"), "#7b2d26", actor=ACTOR)
    standard = seat_plans.add_category(event_id, "Standard", Decimal("300"), "#d4a017", actor=ACTOR)
    economy = seat_plans.add_category(event_id, "Economy", Decimal("150"), "#2e6b8f", actor=ACTOR)
    by_row = {**{r: premium.id for r in (1, 2)}, **{r: standard.id for r in range(3, 7)},
              **{r: economy.id for r in range(7, 11)}}
    for name, per_row in (("Left", 5), ("Centre", 20), ("Right", 5)):
        section = seat_plans.add_section(event_id, name, 10, per_row, category_id=economy.id, actor=ACTOR)
        for row, category_id in by_row.items():
            if category_id != economy.id:
                seat_plans.assign_row(section.id, row, category_id, actor=ACTOR)
