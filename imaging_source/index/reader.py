"""Read the index: what WADO-RS metadata, retrieve and the manifest builder need, no files.

WADO-RS metadata (PS3.18 10.4.1.1.2) is a join of the cached DICOM JSON of the instances,
in series and instance order, with BulkDataURIs made absolute for ``base_url``; the texts are
read as UTF-8 bytes (SQLite ``CAST … AS BLOB``, PostgreSQL ``convert_to``), so serving them
decodes and encodes nothing. Retrieve (10.4.1.1.1) lists the stored files of a study, series
or instance in that same order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, LargeBinary, Select, Table, func, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from imaging_source.dicom_json import metadata_array
from imaging_source.index.tables import ImagingInstance

_INSTANCES = cast(Table, ImagingInstance.__table__)


@dataclass(frozen=True)
class InstanceFile:
    """Where an instance's Part 10 file is and what it is."""

    sop_instance_uid: str
    study_instance_uid: str
    series_instance_uid: str
    sop_class_uid: str
    transfer_syntax_uid: str
    file_key: str
    size: int
    sha1: str


@dataclass(frozen=True)
class Target:
    """A WADO-RS target resource: a study, a series of it, or an instance of that series."""

    study_uid: str
    series_uid: str | None = None
    sop_instance_uid: str | None = None


_FILE_COLUMNS = (
    _INSTANCES.c.sop_instance_uid,
    _INSTANCES.c.study_instance_uid,
    _INSTANCES.c.series_instance_uid,
    _INSTANCES.c.sop_class_uid,
    _INSTANCES.c.transfer_syntax_uid,
    _INSTANCES.c.file_key,
    _INSTANCES.c.size,
    _INSTANCES.c.sha1,
)


def _scoped(query: Select[Any], target: Target) -> Select[Any]:
    """``query`` limited to ``target``, in series then instance order."""
    c = _INSTANCES.c
    query = query.where(c.study_instance_uid == target.study_uid)
    if target.series_uid is not None:
        query = query.where(c.series_instance_uid == target.series_uid)
    if target.sop_instance_uid is not None:
        query = query.where(c.sop_instance_uid == target.sop_instance_uid)
    return query.order_by(c.series_instance_uid, c.instance_number, c.sop_instance_uid)


def metadata(session: Session, target: Target, base_url: str) -> str | None:
    """The target's metadata as a DICOM JSON array (text), or None when nothing matches."""
    texts = session.scalars(_scoped(select(_INSTANCES.c.dicom_json), target)).all()
    return metadata_array(texts, base_url) if texts else None


def _utf8(session: Session) -> ColumnElement[bytes]:
    """The ``dicom_json`` column as its UTF-8 bytes, in the session's SQL dialect."""
    column = _INSTANCES.c.dicom_json
    if session.get_bind().dialect.name == "postgresql":  # text::bytea would read escapes
        return func.convert_to(column, "UTF8", type_=LargeBinary)
    return sql_cast(column, LargeBinary)


def metadata_texts(session: Session, target: Target) -> list[bytes]:
    """The target's instances' DICOM JSON as UTF-8 bytes, in order (empty: nothing matches).

    Join them with :func:`imaging_source.dicom_json.metadata_chunks`.
    """
    return list(session.scalars(_scoped(select(_utf8(session)), target)))


def study_metadata(session: Session, study_uid: str, base_url: str) -> str | None:
    """The study's metadata as a DICOM JSON array (text), or None for an unknown study."""
    return metadata(session, Target(study_uid), base_url)


def instance_files(session: Session, target: Target) -> list[InstanceFile]:
    """The stored files of the target's instances (empty when nothing matches)."""
    rows = session.execute(_scoped(select(*_FILE_COLUMNS), target)).all()
    return [InstanceFile(*row) for row in rows]


def instance_file(session: Session, sop_instance_uid: str) -> InstanceFile | None:
    """The stored file of one instance, or None when it is not stored."""
    row = session.execute(
        select(*_FILE_COLUMNS).where(_INSTANCES.c.sop_instance_uid == sop_instance_uid)
    ).first()
    return InstanceFile(*row) if row is not None else None
