"""Reading the index for WADO-RS metadata: stored DICOM JSON as bytes, joined chunk by chunk."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session, sessionmaker

from imaging_source.dicom_json import metadata_chunks
from imaging_source.index.reader import Target, metadata, metadata_texts
from imaging_source.ingest import Ingestor
from tests.imaging_source.dicom_factory import StudyPlan, make_study
from tests.imaging_source.dicom_factory import part10 as encode

BASE = "https://beeldportaal.example/dicom-web"


def test_chunked_metadata_is_the_joined_text(
    ingestor: Ingestor, read: sessionmaker[Session]
) -> None:
    plan = StudyPlan(series=2, instances=3)
    with ingestor.batch() as batch:
        for ds in make_study(plan):
            batch.add(encode(ds))
        batch.finish()
    with read() as s:
        texts = metadata_texts(s, Target(plan.study_uid))
        whole = metadata(s, Target(plan.study_uid), BASE)
        assert metadata_texts(s, Target("1.2.3.4")) == []
    assert all(isinstance(t, bytes) for t in texts) and len(texts) == 6
    assert whole is not None
    for per_chunk in (1, 4, 64):
        body = b"".join(metadata_chunks(texts, BASE + "/", per_chunk))
        assert body.decode() == whole
    docs = json.loads(whole)
    assert docs[0]["00100010"]["Value"] == [{"Alphabetic": "Jansen^Zoë^^^"}]  # UTF-8 kept
    assert docs[0]["7FE00010"]["BulkDataURI"].startswith(f"{BASE}/studies/{plan.study_uid}/")
