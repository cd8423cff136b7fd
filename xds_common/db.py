"""Database engines and sessions (SQLite by default, PostgreSQL in production).

One engine per process and URL; SQLite gets WAL journaling and a busy timeout so that
several worker processes can share one file, and durable (fsynced) commits on writers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

_ENGINES: dict[str, Engine] = {}


class Base(DeclarativeBase):
    """Declarative base shared by the components' storage modules."""


def _sqlite_pragmas(synchronous: str) -> Any:
    """Connection set-up: WAL, busy timeout, foreign keys, and the ``synchronous`` level.

    Write connections use ``FULL``: in WAL mode only that fsyncs the WAL at every commit, so
    a Success answered after a commit survives a power loss (SQLite pragma.html#pragma_synchronous);
    ``NORMAL`` would only survive a process crash. Readers never commit anything.
    """

    def connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return connect


def _begin_immediate(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _begin_deferred(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN")


def get_engine(url: str, *, write: bool = False) -> Engine:
    """Return the process-wide engine for ``url``, creating it on first use.

    On SQLite, ``write=True`` engines start every transaction with ``BEGIN IMMEDIATE`` so
    that concurrent writers in several processes queue on the lock instead of failing
    with SQLITE_BUSY_SNAPSHOT; readers keep deferred transactions (WAL snapshots).
    """
    is_sqlite = url.startswith("sqlite")
    key = f"{url}#{'w' if write and is_sqlite else 'r'}"
    engine = _ENGINES.get(key)
    if engine is None:
        if is_sqlite:
            engine = create_engine(
                url,
                connect_args={
                    "timeout": 30,
                    "check_same_thread": False,
                    "isolation_level": None,
                },
            )
            event.listen(engine, "connect", _sqlite_pragmas("FULL" if write else "NORMAL"))
            event.listen(engine, "begin", _begin_immediate if write else _begin_deferred)
        else:
            engine = create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)
        _ENGINES[key] = engine
    return engine


def dispose_engines() -> None:
    """Close every pooled connection (used after fork and in tests)."""
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()


def session_factory(url: str, *, write: bool = False) -> sessionmaker[Session]:
    """A session factory bound to the engine for ``url`` (see :func:`get_engine`)."""
    return sessionmaker(bind=get_engine(url, write=write), expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One database transaction: commit on success, roll back on any exception."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
