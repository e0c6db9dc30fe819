"""Trip generation for a year of 20 trains on PostgreSQL: prints how long it takes (each trip commits
whole with its frozen stops, a batch per transaction), and how long the idempotent second run takes
(it creates nothing).

    .venv/bin/python bench/trip_generation.py [postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Creates throwaway databases `jatra_bench_<id>*` on that server and drops them at the end.
"""
from __future__ import annotations

import base64
import os
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

TRAINS, DAYS = 20, 365


def main(server_url: str) -> None:
    from app import create_app
    from services import schema, tenant_db, tenants
    from services.tenant_db import tenant_context
    from tests.support import rail as make

    server = make_url(server_url)
    name = f"jatra_bench_{uuid.uuid4().hex[:8]}"
    platform = server.set(database=name)
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    app = create_app({"JATRA_ENV": "testing", "SECRET_KEY": "bench", "INSTANCE_DIR": tempfile.mkdtemp(),
                      "DATA_ENCRYPTION_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
                      "PLATFORM_DATABASE_URL": platform.render_as_string(hide_password=False),
                      "REDIS_URL": None, "JOBS_INLINE": True})
    try:
        with app.app_context():
            schema.upgrade_platform()
            info = tenants.create_tenant("rail", "Bench Railway", "rail")
            with tenant_context(info):
                stops = [("DHK", None, "07:00", 0, 0), ("BHB", "08:30", "08:33", 0, 80),
                         ("CML", "10:00", "10:03", 0, 190), ("CTG", "12:00", None, 0, 321)]
                ids = [make.train(stops, number=str(700 + i)).id for i in range(TRAINS)]
                today = make.trips.local_today()
                last = today + timedelta(days=DAYS - 1)
                started = time.perf_counter()
                run = make.generate(ids, today, last)
                first = time.perf_counter() - started
                started = time.perf_counter()
                again = make.generate(ids, today, last)
                second = time.perf_counter() - started
                created, created_again = run.created, again.created
                from models import db
                from models.rail import TripStop

                stops = db.session.scalar(sa.select(sa.func.count()).select_from(TripStop))
            print(f"trip generation, {TRAINS} trains × {DAYS} days on PostgreSQL, "
                  f"{make.trips.BATCH} trips per transaction, {stops} trip stops frozen with them")
            print(f"  first run:  {created:>5} trips created in {first:6.2f} s ({created / first:,.0f} trips/s)")
            print(f"  second run: {created_again:>5} trips created in {second:6.2f} s (idempotent)")
            tenant_db.dispose_all()
    finally:
        with admin.connect() as conn:
            for db_name in (name, f"{name}_rail"):
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
