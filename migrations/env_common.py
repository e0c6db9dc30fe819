"""Shared Alembic environment: run migrations for one schema against one URL."""
from __future__ import annotations

import sqlalchemy as sa
from alembic import context


def run(metadata: sa.MetaData, url) -> None:
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True,
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
                user_module_prefix="models.base.",
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()
