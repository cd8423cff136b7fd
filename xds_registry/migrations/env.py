"""Alembic environment of the registry's tables (run through ``beeldportaal init``)."""

from __future__ import annotations

from alembic import context

from xds_common.db import get_engine

VERSION_TABLE = "alembic_version_registry"


def run() -> None:
    """Run migrations online against the configured database URL."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url
    engine = get_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, version_table=VERSION_TABLE)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run()
