"""Demo staff for every demo tenant: one account per role, password `jatra-demo`."""
import sqlalchemy as sa

from models import db
from models.people import STAFF_ROLES, StaffMember
from services import staff
from services.audit import Actor
from services.tenant_db import require_tenant

DEMO_PASSWORD = "jatra-demo"


def seed_demo_staff() -> str | None:
    slug = require_tenant().slug
    made = []
    for role in STAFF_ROLES:
        email = f"{role}@{slug}.example.com"
        if db.session.scalar(sa.select(StaffMember.id).where(StaffMember.email == email)) is None:
            staff.create_staff(email, f"Demo {role}", role, DEMO_PASSWORD, actor=Actor.system("flask demo seed"))
            made.append(role)
    return f"staff accounts {', '.join(made)} (password {DEMO_PASSWORD})" if made else None
