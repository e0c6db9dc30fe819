"""Factories and helpers for people: customers, staff, one-time codes from the outbox."""
from __future__ import annotations

import itertools
import re

import pytest
import sqlalchemy as sa

from models.base import utcnow
from services import customers, notifications, staff
from services.audit import Actor

PASSWORD = "mango-tree-42"
_numbers = itertools.count(10_000_001)


def next_phone() -> str:
    """A fresh valid mobile number per call (017XXXXXXXX)."""
    return f"017{next(_numbers):08d}"


def make_customer(in_tenant, tenant, *, name="Rahima Khatun", phone: str | None = "auto", email=None,
                  password=PASSWORD, verified=True):
    """A customer of `tenant`; returns (user_id, canonical phone or email to log in with)."""
    phone = next_phone() if phone == "auto" else phone
    with in_tenant(tenant):
        user = customers.create_account(name, email, phone, password, actor=Actor.system("test"))
        if verified:
            from models import db

            user.phone_verified_at = utcnow() if user.phone else None
            user.email_verified_at = utcnow() if user.email else None
            db.session.commit()
        return user.id, user.phone or user.email


def make_staff(in_tenant, tenant, role: str, *, email=None, password=PASSWORD):
    email = email or f"{role}@{tenant.slug}.example.com"
    with in_tenant(tenant):
        member = staff.create_staff(email, f"Test {role}", role, password, actor=Actor.system("test"))
        return member.id, email


def login_customer(client, identifier, password=PASSWORD):
    return client.post("/account/login", data={"identifier": identifier, "password": password})


def login_staff(client, email, password=PASSWORD):
    return client.post("/staff/login", data={"email": email, "password": password})


def last_code(destination: str, tenant=None) -> str:
    """The 6-digit code in the newest message to `destination` (of `tenant`, if given)."""
    box = notifications.outbox()
    slug = getattr(tenant, "slug", tenant)
    for message in box.messages(slug, to=destination):
        found = re.search(r"\b(\d{6})\b", message.text)
        if found:
            return found.group(1)
    raise AssertionError(f"no code was sent to {destination}")


@pytest.fixture(autouse=True)
def remove_test_tenants(app):
    """Deregister and drop the tenants a test made once it ends, closing their pooled connections.
    Every test here makes its own tenants; left registered, they would add up, and a job that
    reaches every tenant (the health check) would then need more connections than PostgreSQL has."""
    from services import tenant_db, tenants

    with app.app_context():
        before = {t.slug for t in tenants.list_tenants()}
    yield
    from models import db
    from models.platform import Tenant

    with app.app_context():
        tenants.registry.invalidate()
        made = [t for t in tenants.list_tenants() if t.slug not in before]
        for info in made:
            tenant_db.dispose_engine(info.slug)
            db.session.execute(sa.delete(Tenant).where(Tenant.slug == info.slug))
            db.session.commit()
            tenants.drop_database(info.database_url)
        tenants.registry.invalidate()
    tenant_db.dispose_all()


def bulk_customers(n: int) -> list[int]:
    """n customers with verified phones, written straight to the table (no password hashing: for
    races and load, where only the ids matter). Call with a tenant bound."""
    from models import db
    from models.people import User

    now = utcnow()
    rows = [User(name=f"Buyer {i}", phone=f"+88{next_phone()}", password_hash="!", phone_verified_at=now,
                 is_active=True, session_version=1) for i in range(n)]
    db.session.add_all(rows)
    db.session.commit()
    return [u.id for u in rows]
