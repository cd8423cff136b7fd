"""Fixtures for the imaging source: a migrated index, an ingestor, a running SCP, dcmtk.

The index runs on SQLite, and on PostgreSQL as well when ``BEELDPORTAAL_TEST_POSTGRES_URL``
names a server (``make test`` starts one), like the rest of the suite.

dcmtk's ``storescu`` is a real-world SCU to test the Storage SCP against. When it is missing,
the test run installs Debian's ``dcmtk`` package itself if it runs as root, and skips those
tests with the command to run otherwise.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy
from sqlalchemy.orm import Session, sessionmaker

from imaging_source.ingest import Ingestor
from imaging_source.migrate import upgrade
from imaging_source.scp import ScpHandle, start_scp
from imaging_source.store import InstanceStore
from xds_common.db import session_factory

AE_TITLE = "BEELDPORTAAL"
POSTGRES_ENV = "BEELDPORTAAL_TEST_POSTGRES_URL"


def _backends() -> list[str]:
    """SQLite always; PostgreSQL too when ``make test`` started one."""
    return ["sqlite", "postgresql"] if os.environ.get(POSTGRES_ENV) else ["sqlite"]


def _fresh_postgres() -> str:
    admin = os.environ[POSTGRES_ENV]
    name = f"img_{uuid.uuid4().hex[:12]}"
    engine = sqlalchemy.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return admin.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=_backends())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database (SQLite, and PostgreSQL when available) with the imaging schema."""
    url = f"sqlite:///{tmp_path / 'index.db'}" if request.param == "sqlite" else _fresh_postgres()
    upgrade(url)
    return url


@pytest.fixture
def read(db_url: str) -> sessionmaker[Session]:
    """Read sessions on the test database."""
    return session_factory(db_url)


@pytest.fixture
def store(tmp_path: Path) -> InstanceStore:
    """A durable instance store (fsync on) in the test's folder."""
    return InstanceStore(tmp_path / "dicom")


@pytest.fixture
def ingestor(store: InstanceStore, db_url: str) -> Ingestor:
    """An ingestor on the test store and database."""
    return Ingestor(store, session_factory(db_url, write=True))


@pytest.fixture
def scp(ingestor: Ingestor) -> Iterator[ScpHandle]:
    """The Storage SCP on 127.0.0.1, on a free port."""
    handle = start_scp(ingestor, ae_title=AE_TITLE, host="127.0.0.1", port=0)
    yield handle
    handle.stop()


def _apt_install(package: str) -> bool:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package]
    if subprocess.run(cmd, env=env, capture_output=True, timeout=600).returncode == 0:
        return True
    subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=600)
    return subprocess.run(cmd, env=env, capture_output=True, timeout=600).returncode == 0


@pytest.fixture(scope="session")
def storescu() -> str:
    """Path of dcmtk's storescu, installing Debian's dcmtk when root and it is missing."""
    found = shutil.which("storescu")
    if found:
        return found
    if os.geteuid() != 0:
        pytest.skip("dcmtk's storescu is missing and we are not root: sudo apt-get install dcmtk")
    if not _apt_install("dcmtk") or not shutil.which("storescu"):
        pytest.fail("could not install Debian's dcmtk package (apt-get install dcmtk)")
    return str(shutil.which("storescu"))
