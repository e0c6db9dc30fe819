"""A demo customer for every demo tenant: verified phone and email, password `jatra-demo`."""
import sqlalchemy as sa

from models import db
from models.base import utcnow
from models.people import User
from services import passwords
from services.audit import Actor, record
from services.demo.staff import DEMO_PASSWORD
from services.tenant_db import require_tenant

DEMO_PHONE = "+8801700000001"


def seed_demo_customer() -> str | None:
    email = f"customer@{require_tenant().slug}.example.com"
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        return None
    now = utcnow()
    user = User(name="Demo Customer", email=email, phone=DEMO_PHONE,
                password_hash=passwords.hash_password(DEMO_PASSWORD),
                email_verified_at=now, phone_verified_at=now, is_active=True, session_version=1)
    db.session.add(user)
    db.session.flush()
    record(Actor.system("flask demo seed"), "customer.register", "user", user.id,
           after={"name": user.name, "email": email, "phone": DEMO_PHONE})
    db.session.commit()
    return f"customer {email} / 01700-000001 (password {DEMO_PASSWORD})"
