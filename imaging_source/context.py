"""What the imaging source's HTTP routes share: settings, database sessions, the instance
store and the ingestor. Built once per app by :func:`build_context`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from imaging_source.ingest import Ingestor
from imaging_source.store import InstanceStore
from xds_common.db import session_factory
from xds_common.settings import Settings


@dataclass(frozen=True)
class ImagingContext:
    """Shared state of the imaging source routes (read-only after start)."""

    settings: Settings
    read: sessionmaker[Session]
    write: sessionmaker[Session]
    store: InstanceStore
    ingestor: Ingestor


def build_context(settings: Settings) -> ImagingContext:
    """Sessions, store and ingestor for ``settings`` (the store lives in ``$HOME/dicom``)."""
    write = session_factory(settings.database_url, write=True)
    store = InstanceStore(settings.home / "dicom")
    return ImagingContext(
        settings=settings,
        read=session_factory(settings.database_url),
        write=write,
        store=store,
        ingestor=Ingestor(store, write),
    )
