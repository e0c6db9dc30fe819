"""Customers find events: ranked full-text search with prefixes and Bangla, filters, and what is
hidden (drafts) or closed (sales windows, sold out). On PostgreSQL, and the FTS5 path on SQLite."""
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from models import db
from models.base import utcnow
from models.events import TicketType
from services.events.search import EventQuery, search_events
from tests.support.events import make_event, make_venue

TZ = "Asia/Dhaka"


def _titles(**query):
    return [e.title for e in search_events(EventQuery(**query), tz=TZ)]


@pytest.fixture
def zoo(make_tenant, in_tenant):
    from services import tenant_db

    info = make_tenant("wildlife")  # not "Zoo": the platform page test looks for that name
    with in_tenant(info):
        yield info
    tenant_db.dispose_engine(info.slug)  # its pooled connections are not needed after the test


def test_a_title_match_ranks_above_a_description_match(zoo):
    make_event("Lake cruise", description="A boat trip with a guide who loves elephants.")
    make_event("Elephant feeding", description="Watch the keepers at work.")
    make_event("Tiger talk", description="Big cats.")
    assert _titles(text="elephant") == ["Elephant feeding", "Lake cruise"]


def test_words_match_as_prefixes_and_all_words_must_match(zoo):
    make_event("Bird-watching walk", description="Kingfishers and herons at the lake")
    make_event("Lakeside picnic", description="Food by the water")
    assert _titles(text="kingf") == ["Bird-watching walk"]
    assert sorted(_titles(text="lake")) == ["Bird-watching walk", "Lakeside picnic"]
    assert _titles(text="lake hero") == ["Bird-watching walk"]
    assert _titles(text="lake zebra") == []


def test_bangla_words_are_found_whole_and_by_prefix(zoo):
    make_event("Daily entry", description="মিরপুরের জাতীয় চিড়িয়াখানায় বাঘ ও হাতি")
    make_event("পাখি দেখা", description="Early morning walk")
    assert _titles(text="চিড়িয়া") == ["Daily entry"]
    assert _titles(text="হাতি") == ["Daily entry"]
    assert _titles(text="পাখ") == ["পাখি দেখা"]


def test_venue_and_category_words_are_searched_too(zoo):
    venue = make_venue("Lalbagh Fort", city="Dhaka")
    make_event("Sound and light show", category="Show", venue_id=venue)
    make_event("Museum hours", category="Heritage")
    assert _titles(text="lalbagh") == ["Sound and light show"]
    assert _titles(text="herit") == ["Museum hours"]


def test_query_syntax_in_the_words_is_harmless(zoo):
    make_event("Jazz night", description="Saxophone & drums")
    assert _titles(text="jazz & | ! :* ' \" ( )") == ["Jazz night"]
    assert _titles(text="!!!") == ["Jazz night"]  # no words: everything listed


def test_drafts_cancelled_and_past_events_are_never_listed(zoo):
    make_event("Draft concert", status="draft")
    make_event("Cancelled concert", status="cancelled")
    make_event("Past concert", starts_in=timedelta(days=-2))
    make_event("Sold-out concert", status="sold_out")
    make_event("Open concert")
    assert sorted(_titles(text="concert")) == ["Open concert", "Sold-out concert"]
    assert sorted(_titles()) == ["Open concert", "Sold-out concert"]


def test_filters_by_category_dates_and_price(zoo):
    make_event("Cheap show", category="Show", starts_in=timedelta(days=2), tickets=[("Adult", "50", 10)])
    make_event("Dear show", category="Show", starts_in=timedelta(days=10), tickets=[("VIP", "900", 10)])
    make_event("Walk", category="Nature walk", starts_in=timedelta(days=2), tickets=[("Adult", "150", 10)])
    today = utcnow().date()
    assert sorted(_titles(category="Show")) == ["Cheap show", "Dear show"]
    assert sorted(_titles(date_from=today + timedelta(days=5))) == ["Dear show"]
    assert sorted(_titles(date_to=today + timedelta(days=4))) == ["Cheap show", "Walk"]
    assert sorted(_titles(price_max=Decimal("200"))) == ["Cheap show", "Walk"]
    assert _titles(text="show", price_max=Decimal("100")) == ["Cheap show"]


def test_the_search_page_lists_matches_and_serves_a_fragment_to_htmx(zoo, client_for):
    make_event("Elephant bath", description="Keepers wash the elephants")
    make_event("Secret draft", description="elephants again", status="draft")
    client = client_for(zoo)
    page = client.get("/events?q=eleph")
    assert page.status_code == 200 and "Elephant bath" in page.text and "Secret draft" not in page.text
    assert "<html" in page.text
    fragment = client.get("/events?q=eleph", headers={"HX-Request": "true", "HX-Request-Type": "partial"})
    assert "Elephant bath" in fragment.text and "<html" not in fragment.text and 'id="results"' in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]
    assert "Elephant bath" in client.get("/").text  # the tenant home shows what is coming up
    assert "Secret draft" not in client.get("/").text


def test_a_bad_filter_value_is_explained_and_left_out(zoo, client_for):
    make_event("Elephant bath")
    page = client_for(zoo).get("/events?date_from=not-a-date&price_max=-3")
    assert page.status_code == 200 and "Elephant bath" in page.text
    assert "field-error" in page.text


def test_event_page_hides_drafts_and_shows_sales_windows_and_what_is_left(zoo, client_for):
    client = client_for(zoo)
    draft = make_event("Draft gala", status="draft")
    assert client.get(f"/events/{draft}").status_code == 404
    event = make_event("Open gala", tickets=[("Adult", "100", 40)])
    early = make_event("Early gala", tickets=[("Adult", "100", 40)], sales_start=utcnow() + timedelta(days=1))
    late = make_event("Late gala", tickets=[("Adult", "100", 40)], sales_end=utcnow() - timedelta(minutes=1),
                      sales_start=utcnow() - timedelta(days=1))
    db.session.execute(sa.update(TicketType).where(TicketType.event_id == event).values(sold=30, held=4))
    db.session.commit()
    assert "6 left" in client.get(f"/events/{event}").text
    assert "On sale from" in client.get(f"/events/{early}").text
    assert "Sales closed" in client.get(f"/events/{late}").text
    sold_out = make_event("Full gala", status="sold_out")
    assert "Sold out" in client.get(f"/events/{sold_out}").text


def test_the_database_refuses_to_oversell_a_ticket_type(zoo):
    event = make_event("Small show", tickets=[("Adult", "100", 5)])
    with pytest.raises(IntegrityError, match="ck_ticket_types_no_oversell"):
        db.session.execute(sa.update(TicketType).where(TicketType.event_id == event).values(sold=4, held=2))
    db.session.rollback()


@pytest.fixture
def sqlite_tenant(app, tmp_path):
    """A tenant whose database is a SQLite file, as in the embedded default; unregistered after."""
    from models.platform import Tenant
    from services import schema, tenant_db, tenants

    url = sa.engine.make_url(f"sqlite:///{tmp_path / 'tenant.sqlite3'}")
    slug = "sqlitezoo"
    with app.app_context():
        schema.upgrade_tenant(url, "t0004_events")  # this area's own branch of the tenant schema
        info = tenants.register_tenant(slug, "Sqlite Zoo", "events", url)
    yield info
    with app.app_context():
        tenant_db.dispose_engine(slug)
        db.session.execute(sa.delete(Tenant).where(Tenant.slug == slug))
        db.session.commit()
        tenants.registry.invalidate()


def test_full_text_search_on_sqlite_uses_fts5_kept_in_step_by_triggers(sqlite_tenant, in_tenant):
    from services.events import catalog
    from services.events.catalog import EventData
    from tests.support.events import ACTOR

    with in_tenant(sqlite_tenant):
        cruise = make_event("Lake cruise", description="A boat trip past the elephants")
        make_event("Elephant feeding", description="চিড়িয়াখানায় হাতি")
        make_event("Draft elephants", status="draft")
        assert _titles(text="eleph") == ["Elephant feeding", "Lake cruise"]
        assert _titles(text="চিড়িয়া") == ["Elephant feeding"]
        event = catalog.get_event(cruise)
        catalog.update_event(cruise, EventData(title="River cruise", description="Boats", starts_at=event.starts_at,
                                               ends_at=event.ends_at), actor=ACTOR)
        assert _titles(text="lake") == [] and _titles(text="river") == ["River cruise"]
        # SQLite reports a broken unique constraint by its columns: still the same clear message.
        from services.events import EventsError, ticket_types
        from services.events.ticket_types import TicketTypeData

        with pytest.raises(EventsError, match="already has a ticket type with this name"):
            ticket_types.add_ticket_type(cruise, TicketTypeData(name="Adult", price=Decimal("1")), actor=ACTOR)
