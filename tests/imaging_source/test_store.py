"""The instance store: staging, linking in without replacing, directory sync."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from imaging_source.errors import IngestError, Reason
from imaging_source.store import InstanceStore, instance_key, stage
from tests.imaging_source.dicom_factory import make_study
from tests.imaging_source.dicom_factory import part10 as encode


def _staged(store: InstanceStore, data: bytes) -> Path:
    staged = stage(io.BytesIO(data), store)
    future = store.sync_later(staged.path)
    if future is not None:
        future.result()
    return staged.path


def test_place_links_in_once_and_never_replaces(tmp_path: Path) -> None:
    store = InstanceStore(tmp_path / "dicom")
    data, other = (encode(ds) for ds in make_study()[:2])
    key = instance_key("1.2.3", "a" * 40)
    first = store.place(_staged(store, data), key)
    assert first.created and store.path_of(key).parent in first.directories
    second = store.place(_staged(store, other), key)
    assert not second.created
    store.sync_dirs(first.directories | second.directories)
    assert store.path_of(key).read_bytes() == data


def test_stage_hashes_and_refuses_what_is_not_dicom(tmp_path: Path) -> None:
    store = InstanceStore(tmp_path / "dicom", durable=False)
    data = encode(make_study()[0])
    staged = stage(io.BytesIO(data), store)
    assert staged.size == len(data) and staged.path.read_bytes() == data
    assert store.sync_later(staged.path) is None  # not durable: nothing to wait for
    with pytest.raises(IngestError) as err:
        stage(io.BytesIO(b"plain text" * 50), store)
    assert err.value.reason is Reason.NOT_DICOM
    assert [p.name for p in (store.root / "staging").iterdir()] == [staged.path.name]
