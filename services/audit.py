"""The append-only audit trail: who did what to which record, before and after, from where."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from models import db
from models.people import AuditLog


@dataclass(frozen=True)
class Actor:
    """Who acts: a staff member, a customer or the system, seen from an address."""

    type: str  # staff | customer | system
    id: int | None = None
    label: str | None = None
    ip: str | None = None
    user_agent: str | None = None

    @classmethod
    def system(cls, label: str = "system") -> "Actor":
        return cls("system", None, label)


def record(actor: Actor, action: str, resource: str, resource_id=None, *, before: dict | None = None,
           after: dict | None = None, commit: bool = False) -> AuditLog:
    """Add an audit row to the current transaction (so it commits or rolls back with the change
    it describes); `commit=True` for events that have no other change, such as a failed login."""
    changes = {}
    if before is not None:
        changes["before"] = before
    if after is not None:
        changes["after"] = after
    row = AuditLog(actor_type=actor.type, actor_id=actor.id, actor_label=actor.label, action=action,
                   resource=resource, resource_id=None if resource_id is None else str(resource_id),
                   changes=changes, ip_address=actor.ip, user_agent=(actor.user_agent or "")[:500] or None)
    db.session.add(row)
    if commit:
        db.session.commit()
    return row


def search(*, action: str | None = None, resource: str | None = None, actor_type: str | None = None,
           text: str | None = None, limit: int = 100, before_id: int | None = None) -> list[AuditLog]:
    query = sa.select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
    if action:
        query = query.where(AuditLog.action == action)
    if resource:
        query = query.where(AuditLog.resource == resource)
    if actor_type:
        query = query.where(AuditLog.actor_type == actor_type)
    if text:
        like = f"%{text}%"
        query = query.where(sa.or_(AuditLog.actor_label.ilike(like), AuditLog.resource_id.ilike(like)))
    if before_id:
        query = query.where(AuditLog.id < before_id)
    return list(db.session.scalars(query))
