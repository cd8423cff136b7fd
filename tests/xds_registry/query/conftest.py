"""Fixtures: a temporary SQLite registry holding the data set of ``dataset.py``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from tests.xds_registry.query import dataset
from xds_common.db import Base
from xds_registry.query.model import QueryConfig


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    """A session on a registry filled once per module (tests only read)."""
    path: Path = tmp_path_factory.mktemp("query") / "registry.db"
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    with Session(engine) as db:
        dataset.build(db)
        db.commit()
        yield db
    engine.dispose()


@pytest.fixture
def config() -> QueryConfig:
    """Default policy: generous limit, unknown patient = empty Success, a home id."""
    return QueryConfig(
        result_limit=1000, unknown_patient_error=False, home_community_id="urn:oid:1.2.3"
    )
