"""The SQLAlchemy handle and the two model families.

Platform models (the registry) use the default bind: PLATFORM_DATABASE_URL. Tenant models derive
from `TenantModel`; their tables live in every tenant's own database, and the session sends their
queries to the engine of the tenant bound to the current request, job or command
(`services.tenant_db`). There are no tenant_id columns: the database is the tenant.
"""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeDecorator

TENANT_BIND = "tenant"

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _table_of(clause) -> sa.Table | None:
    if isinstance(clause, sa.Table):
        return clause
    table = getattr(clause, "table", None)
    if isinstance(table, sa.Table):
        return table
    return None


class RoutingSession(FlaskSession):
    """Sends tenant tables to the bound tenant's engine, everything else to the platform."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None:
            table = None
            if mapper is not None:
                table = sa.inspect(mapper).local_table
            elif clause is not None:
                table = _table_of(clause)
                if table is None:
                    froms = getattr(clause, "get_final_froms", None)
                    for from_ in froms() if froms else ():
                        table = _table_of(from_)
                        if table is not None:
                            break
            if table is not None and table.metadata.info.get("bind_key") == TENANT_BIND:
                from services import tenant_db

                return tenant_db.current_engine()
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


db = SQLAlchemy(
    metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
    session_options={"class_": RoutingSession},
)


class TenantModel(db.Model):
    """Base of every table that lives in a tenant's own database."""

    __abstract__ = True
    __bind_key__ = TENANT_BIND


tenant_metadata: sa.MetaData = db.metadatas[TENANT_BIND]
platform_metadata: sa.MetaData = db.metadata


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timestamp that is always timezone-aware UTC in Python, on PostgreSQL and SQLite alike."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given: use aware UTC times")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class JSONType(TypeDecorator):
    """JSON everywhere, JSONB (indexable, compact) on PostgreSQL."""

    impl = sa.JSON()
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.JSONB())
        return dialect.type_descriptor(sa.JSON())


class Timestamps:
    created_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow)
