"""One transaction helper: constraint violations mapped by name, concurrency failures retried; and
real transactions on SQLite (BEGIN IMMEDIATE), so the row locks services take hold there too."""
import threading
import time

import pytest
import sqlalchemy as sa

from models import db
from models.events import Venue
from models.people import StaffMember
from services import staff, tenant_db, transactions
from services.audit import Actor
from services.errors import Retryable, ServiceError

MESSAGES = {
    "uq_venues_name": ("A venue with this name already exists.", "name"),
    "ck_venues_capacity_positive": "A capacity is a positive number.",
}


@pytest.fixture(params=["postgresql", "sqlite"])
def tenant(request, make_tenant, make_sqlite_tenant):
    return make_tenant("zoo") if request.param == "postgresql" else make_sqlite_tenant("zoo")


def _venue_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Venue))


def test_a_unique_violation_is_mapped_by_its_constraint_name(tenant, in_tenant):
    with in_tenant(tenant):
        db.session.add(Venue(name="Lake"))
        transactions.commit(MESSAGES)
        db.session.add(Venue(name="Lake"))
        with pytest.raises(ServiceError) as refused:
            transactions.commit(MESSAGES)
        assert (refused.value.message, refused.value.field) == ("A venue with this name already exists.", "name")
        assert _venue_count() == 1  # rolled back: the session works on


def test_a_check_violation_is_mapped_by_its_constraint_name(tenant, in_tenant):
    from services.events import EventsError

    with in_tenant(tenant):
        db.session.add(Venue(name="Lake", capacity=0))
        with pytest.raises(EventsError, match="A capacity is a positive number.") as refused:
            transactions.flush(MESSAGES, error=EventsError)
        assert refused.value.field is None
        assert _venue_count() == 0


def test_a_violation_nobody_named_is_not_hidden(tenant, in_tenant):
    with in_tenant(tenant):
        db.session.add(Venue(name="Lake", latitude=100))
        with pytest.raises(sa.exc.IntegrityError) as raised:
            transactions.commit(MESSAGES)
        assert transactions.constraint_name(raised.value) == "ck_venues_latitude_range"


def test_domain_errors_share_one_base():
    from services.customers import CustomerError
    from services.events import EventsError, NotFound
    from services.otp import OtpError
    from services.phones import PhoneError
    from services.platform_admins import PlatformAdminError
    from services.rail.errors import RailError
    from services.staff import StaffError
    from services.tenants import TenantError

    for error in (RailError, EventsError, NotFound, StaffError, CustomerError, OtpError, PhoneError, TenantError,
                  PlatformAdminError):
        assert issubclass(error, ServiceError), error
        exc = error("Not like that.", "name")
        assert (str(exc), exc.message, exc.field) == ("Not like that.", "Not like that.", "name")


# --- deadlocks and serialization failures (PostgreSQL) ----------------------------------------------

def _serializable_increment(venue_id: int, interfere) -> int:
    """Read a venue's capacity and write it back plus one, in a SERIALIZABLE transaction;
    `interfere()` runs between the read and the write."""
    db.session.connection(execution_options={"isolation_level": "SERIALIZABLE"})
    capacity = db.session.scalar(sa.select(Venue.capacity).where(Venue.id == venue_id))
    interfere()
    db.session.execute(sa.update(Venue).where(Venue.id == venue_id).values(capacity=capacity + 1))
    transactions.commit()
    return capacity + 1


def _lake(info, in_tenant):
    with in_tenant(info):
        venue = Venue(name="Lake", capacity=10)
        db.session.add(venue)
        db.session.commit()
        return venue.id


def _someone_else_adds(info, venue_id, n):
    engine = sa.create_engine(info.database_url, poolclass=sa.pool.NullPool)

    def add():
        with engine.begin() as conn:
            conn.execute(sa.update(Venue).where(Venue.id == venue_id).values(capacity=Venue.capacity + n))

    return add, engine


def test_a_serialization_failure_is_retried_and_loses_nothing(make_tenant, in_tenant):
    info = make_tenant("zoo")
    venue_id = _lake(info, in_tenant)
    add_five, engine = _someone_else_adds(info, venue_id, 5)
    attempts = []

    def unit():
        attempts.append(1)
        return _serializable_increment(venue_id, add_five if len(attempts) == 1 else (lambda: None))

    with in_tenant(info):
        assert transactions.run(unit) == 16  # 10, +5 by the other, +1: the first try's stale 11 never landed
        assert len(attempts) == 2
        assert db.session.scalar(sa.select(Venue.capacity)) == 16
    engine.dispose()


def test_a_unit_that_keeps_failing_ends_in_a_retryable_error_and_changes_nothing(make_tenant, in_tenant):
    info = make_tenant("zoo")
    venue_id = _lake(info, in_tenant)
    add_five, engine = _someone_else_adds(info, venue_id, 5)
    attempts = []

    def unit():
        attempts.append(1)
        return _serializable_increment(venue_id, add_five)

    with in_tenant(info):
        with pytest.raises(Retryable, match="Nothing was saved: please try again."):
            transactions.run(unit, backoff=0)
        assert len(attempts) == transactions.ATTEMPTS
        assert db.session.scalar(sa.select(Venue.capacity)) == 10 + 5 * transactions.ATTEMPTS
    engine.dispose()


def test_a_deadlock_is_retried_and_both_units_go_through(make_tenant, in_tenant, race):
    info = make_tenant("zoo")
    with in_tenant(info):
        first, second = Venue(name="Lake", capacity=10), Venue(name="Park", capacity=10)
        db.session.add_all([first, second])
        db.session.commit()
        orders = iter([(first.id, second.id), (second.id, first.id)])  # two rows locked in opposite order
        both_hold_one = threading.Barrier(2, timeout=10)
        tries = []

        def work():
            order = next(orders)

            def unit():
                tries.append(order)
                for n, venue_id in enumerate(order):
                    db.session.execute(sa.update(Venue).where(Venue.id == venue_id)
                                       .values(capacity=Venue.capacity + 1))
                    if n == 0 and tries.count(order) == 1:
                        both_hold_one.wait()  # each now waits for the other's row: PostgreSQL picks a victim
                transactions.commit()
                return "ok"

            return transactions.run(unit)

        assert race(2, work) == ["ok", "ok"]
        assert len(tries) == 3  # the deadlock's victim ran a second time
        assert sorted(db.session.scalars(sa.select(Venue.capacity))) == [12, 12]


# --- SQLite: real transactions, so check-then-act under row locks holds ----------------------------

def _pysqlite_as_it_was(url):
    """The engine `make_engine` made before: pysqlite begins a transaction only before a write, so
    a read and the write that depends on it run in separate transactions."""
    engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 5})

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=5000"):
            dbapi_connection.execute(f"PRAGMA {pragma}")

    return engine


def _two_admins_demote_each_other_at_once(info, in_tenant, race, monkeypatch):
    with in_tenant(info):
        admins = [staff.create_staff(f"admin{n}@zoo.example.com", f"Admin {n}", "admin", "a long passphrase 12",
                                     actor=Actor.system()).id for n in (1, 2)]
        db.session.commit()  # end this thread's own read (on SQLite a transaction holds the write lock)
        # Both have counted the admins before either writes, when nothing serialises them.
        both_counted = threading.Barrier(2, timeout=1)
        keeps_an_admin = staff._keeps_an_admin

        def counted_then_decide(*args):
            try:
                both_counted.wait()
            except threading.BrokenBarrierError:  # the other is waiting for the database: go on alone
                pass
            return keeps_an_admin(*args)

        monkeypatch.setattr(staff, "_keeps_an_admin", counted_then_decide)
        targets = iter(admins)
        results = race(2, lambda: staff.change_role(next(targets), "viewer", actor=Actor.system()))
        monkeypatch.setattr(staff, "_keeps_an_admin", keeps_an_admin)
        left = db.session.scalar(sa.select(sa.func.count()).select_from(StaffMember)
                                 .where(StaffMember.role == "admin"))
        return results, left


def test_on_sqlite_two_admins_demoting_each_other_at_once_leave_one_admin(make_sqlite_tenant, in_tenant, race,
                                                                          monkeypatch):
    results, left = _two_admins_demote_each_other_at_once(make_sqlite_tenant("zoo"), in_tenant, race, monkeypatch)
    assert left == 1
    assert sorted(type(r).__name__ for r in results) == ["StaffError", "StaffMember"]


def test_control_without_real_transactions_sqlite_loses_the_last_admin(make_sqlite_tenant, in_tenant, race,
                                                                      monkeypatch):
    info = make_sqlite_tenant("zoo")
    monkeypatch.setattr(tenant_db, "make_engine", _pysqlite_as_it_was)
    tenant_db.dispose_engine(info.slug)
    results, left = _two_admins_demote_each_other_at_once(info, in_tenant, race, monkeypatch)
    assert left == 0  # both counted two admins and both demoted: the invariant is broken
    assert [type(r).__name__ for r in results] == ["StaffMember", "StaffMember"]


def test_on_sqlite_reads_do_not_wait_for_a_writer_and_savepoints_work(make_sqlite_tenant, in_tenant):
    info = make_sqlite_tenant("zoo")
    with in_tenant(info):
        db.session.add(Venue(name="Lake"))
        db.session.flush()  # this session now holds the write lock (BEGIN IMMEDIATE)...
        engine = tenant_db.current_engine()
        with engine.connect() as conn:  # ...and a read elsewhere still sees the last commit at once
            assert tenant_db.read_only(conn).scalar(sa.select(sa.func.count()).select_from(Venue)) == 0
        with db.session.begin_nested():  # SAVEPOINT: pysqlite's own transactions broke it
            db.session.add(Venue(name="Park"))
        nested = db.session.begin_nested()
        db.session.add(Venue(name="Fort"))
        db.session.flush()
        nested.rollback()
        db.session.commit()
        assert sorted(db.session.scalars(sa.select(Venue.name))) == ["Lake", "Park"]


def test_on_sqlite_pages_do_not_wait_for_a_writer(make_sqlite_tenant, client_for):
    info = make_sqlite_tenant("zoo")
    writer = tenant_db.make_engine(info.database_url)
    with writer.connect() as conn:
        conn.execute(sa.insert(Venue).values(name="Lake", address="", city="", amenities=[],
                                             created_at=sa.func.now(), updated_at=sa.func.now()))
        started = time.monotonic()  # the writer holds the write lock (BEGIN IMMEDIATE) until it ends
        assert client_for(info).get("/events").status_code == 200
        assert time.monotonic() - started < 2  # a GET begins DEFERRED: no wait for the busy timeout (5 s)
        conn.rollback()
    writer.dispose()
