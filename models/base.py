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


PLATFORM_DATABASE_OPTION = "jatra_platform_database"


def on_platform(statement):
    """Mark a statement that names no table (`sa.text(...)`) for the platform database. With a
    tenant bound, such statements go to the tenant's database: what a service working for a
    tenant means. Platform code that needs raw SQL there says so with this."""
    return statement.execution_options(**{PLATFORM_DATABASE_OPTION: True})


def _table_of(clause) -> sa.Table | None:
    if isinstance(clause, sa.Table):
        return clause
    if isinstance(clause, sa.Join):
        left = _table_of(clause.left)  # not `or`: a Table has no truth value
        return left if left is not None else _table_of(clause.right)
    element = getattr(clause, "element", None)  # an alias of a table, a subquery
    if isinstance(element, sa.Table):
        return element
    if isinstance(element, sa.Select):
        return _statement_table(element)
    table = getattr(clause, "table", None)
    if isinstance(table, sa.Table):
        return table
    return None


def _statement_table(clause) -> sa.Table | None:
    table = _table_of(clause)
    if table is None:
        froms = getattr(clause, "get_final_froms", None)
        for from_ in froms() if froms else ():
            table = _table_of(from_)
            if table is not None:
                break
    return table


class RoutingSession(FlaskSession):
    """Sends tenant tables to the bound tenant's engine and platform tables to the platform's.

    A statement that names no table (`sa.text(...)`, `SELECT 1`) goes to the bound tenant when
    there is one, else to the platform; `on_platform(statement)` sends it to the platform always.
    """

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None:
            table = None
            if mapper is not None:
                table = sa.inspect(mapper).local_table
            elif clause is not None:
                table = _statement_table(clause)
            if table is not None:
                if table.metadata.info.get("bind_key") == TENANT_BIND:
                    return _tenant_engine()
            elif not _marked_for_platform(clause):
                from services import tenant_db

                if tenant_db.current_tenant() is not None:
                    return _tenant_engine()
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


def _tenant_engine():
    from services import tenant_db

    return tenant_db.current_engine()


def _marked_for_platform(clause) -> bool:
    options = getattr(clause, "get_execution_options", None)
    return bool(options and options().get(PLATFORM_DATABASE_OPTION))


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
