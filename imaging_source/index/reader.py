"""Read the index: what WADO-RS metadata, retrieve and the manifest builder need, no files.

WADO-RS metadata (PS3.18 10.4.1.1.2) is a join of the cached DICOM JSON of the instances,
in series and instance order, with BulkDataURIs made absolute for ``base_url``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, select
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


def study_metadata(session: Session, study_uid: str, base_url: str) -> str | None:
    """The study's metadata as a DICOM JSON array (text), or None for an unknown study."""
    c = _INSTANCES.c
    texts = session.scalars(
        select(c.dicom_json)
        .where(c.study_instance_uid == study_uid)
        .order_by(c.series_instance_uid, c.instance_number, c.sop_instance_uid)
    ).all()
    return metadata_array(texts, base_url) if texts else None


def instance_file(session: Session, sop_instance_uid: str) -> InstanceFile | None:
    """The stored file of one instance, or None when it is not stored."""
    c = _INSTANCES.c
    row = session.execute(
        select(
            c.sop_instance_uid,
            c.study_instance_uid,
            c.series_instance_uid,
            c.sop_class_uid,
            c.transfer_syntax_uid,
            c.file_key,
            c.size,
            c.sha1,
        ).where(c.sop_instance_uid == sop_instance_uid)
    ).first()
    return InstanceFile(*row) if row is not None else None
