"""The Alembic migrations create exactly the tables the code maps, in their own version table."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect

from imaging_source.index import publications, tables  # noqa: F401 - maps the imaging tables
from imaging_source.migrate import upgrade
from xds_common.db import Base, get_engine


def test_migrated_schema_matches_the_tables(db_url: str) -> None:
    imaging = MetaData()
    for table in Base.metadata.sorted_tables:
        if table.name.startswith("imaging_"):
            table.to_metadata(imaging)
    with get_engine(db_url).connect() as conn:
        names = set(inspect(conn).get_table_names())
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = [d for d in compare_metadata(context, imaging) if not _version_table(d)]
    assert diff == []
    assert {t.name for t in imaging.sorted_tables} <= names
    assert "alembic_version_imaging" in names


def _version_table(diff: Any) -> bool:
    """Alembic's own version table is not in the mapped tables."""
    return bool(diff[0] == "remove_table" and diff[1].name.startswith("alembic_version"))


def test_upgrade_is_idempotent(db_url: str) -> None:
    upgrade(db_url)
    with get_engine(db_url).connect() as conn:
        version = conn.exec_driver_sql("SELECT version_num FROM alembic_version_imaging").all()
    assert version == [("i0002",)]
