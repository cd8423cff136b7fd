"""Alembic, driven from code: every component keeps its own migrations and version table.

Each component has ``<component>/migrations/`` (env.py calls :func:`run_online`) and a
``migrate.upgrade(url)`` that calls :func:`upgrade`; no alembic.ini is needed.
"""

from __future__ import annotations

from alembic import command, context
from alembic.config import Config

from xds_common.db import get_engine


def upgrade(database_url: str, script_location: str) -> None:
    """Run every pending migration of ``script_location`` (``package:folder``)."""
    config = Config()
    config.set_main_option("script_location", script_location)
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    command.upgrade(config, "head")


def run_online(version_table: str) -> None:
    """Body of a component's env.py: migrate the configured URL in one transaction."""
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("sqlalchemy.url is not set")
    with get_engine(url).connect() as connection:
        context.configure(connection=connection, version_table=version_table)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
