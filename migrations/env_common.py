"""Shared Alembic environment: run migrations for one schema against one URL."""
from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import context

# Objects a migration creates for one dialect only, which no model declares: full-text search's
# generated tsvector column and GIN index (PostgreSQL), FTS5 tables and their shadow tables (SQLite).
# Model comparisons (autogenerate, the migration test) leave them alone.
DATABASE_ONLY = re.compile(r"^(\w+_fts(_\w+)?|search_vector|ix_\w+_search_vector)$")


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    return not (reflected and compare_to is None and name and DATABASE_ONLY.match(name))


def run(metadata: sa.MetaData, url) -> None:
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True, include_object=include_object,
                          render_as_batch=url.get_backend_name() == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=metadata,
                render_as_batch=connection.dialect.name == "sqlite",  # SQLite needs table copies to ALTER
                compare_type=True,
                include_object=include_object,
                user_module_prefix="models.base.",
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()
