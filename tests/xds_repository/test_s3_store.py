"""S3-compatible document store against a local moto server: multipart, abort, metadata, crash."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.xds_repository.conftest import generated_chunks
from xds_repository.store import DocumentStoreError, document_key, open_store, stage_chunks
from xds_repository.store.s3 import MIN_PART_SIZE, S3DocumentStore

ROOT = Path(__file__).resolve().parents[2]
MIB = 1 << 20


def make_store(options: dict[str, Any], **more: Any) -> S3DocumentStore:
    store = open_store("s3", **{**options, "part_size": MIN_PART_SIZE, **more})
    assert isinstance(store, S3DocumentStore)
    return store


def pending_uploads(admin: Any, bucket: str) -> list[Any]:
    return list(admin.list_multipart_uploads(Bucket=bucket).get("Uploads", []))


def test_large_file_goes_up_in_parts_with_metadata(
    s3_options: dict[str, Any], s3_admin: Any
) -> None:
    store = make_store(s3_options)
    staged = stage_chunks(store, generated_chunks(12 * MIB + 5))
    key = document_key("1.2.3.multipart")
    store.put(key, staged.path, staged.sha1, staged.size, "application/dicom")
    head = s3_admin.head_object(Bucket=store.bucket, Key=f"documents/{key}")
    assert head["ETag"].strip('"').endswith("-3"), "three 5 MiB parts"
    assert head["ContentType"] == "application/dicom"
    assert head["Metadata"] == {"sha1": staged.sha1}
    assert hashlib.sha1(b"".join(store.iter_chunks(key))).hexdigest() == staged.sha1
    assert pending_uploads(s3_admin, store.bucket) == []


def test_small_file_is_one_put(s3_options: dict[str, Any], s3_admin: Any) -> None:
    store = make_store(s3_options)
    staged = stage_chunks(store, [b"<ClinicalDocument/>"])
    key = document_key("1.2.3.single")
    store.put(key, staged.path, staged.sha1, staged.size, "text/xml")
    head = s3_admin.head_object(Bucket=store.bucket, Key=f"documents/{key}")
    assert "-" not in head["ETag"]
    assert (head["ContentType"], head["Metadata"]["sha1"]) == ("text/xml", staged.sha1)


class FailingClient:
    """Delegates to a real client but fails the second part of any multipart upload."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def upload_part(self, **kwargs: Any) -> Any:
        if kwargs["PartNumber"] == 2:
            raise ConnectionResetError("connection reset by peer")
        return self.real.upload_part(**kwargs)


class FreshUploadsClient:
    """Delegates to a real client but reports every pending upload as initiated just now."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def get_paginator(self, name: str) -> Any:
        real = self.real.get_paginator(name)

        class Paginator:
            def paginate(self, **kwargs: Any) -> Iterator[Any]:
                for page in real.paginate(**kwargs):
                    for upload in page.get("Uploads", []):
                        upload["Initiated"] = datetime.now(UTC)
                    yield page

        return Paginator()


def test_failed_multipart_upload_is_aborted(s3_options: dict[str, Any], s3_admin: Any) -> None:
    store = make_store(s3_options, client=FailingClient(s3_admin))
    staged = stage_chunks(store, generated_chunks(11 * MIB))
    key = document_key("1.2.3.aborted")
    with pytest.raises(DocumentStoreError, match="connection reset"):
        store.put(key, staged.path, staged.sha1, staged.size, "application/pdf")
    assert pending_uploads(s3_admin, store.bucket) == []
    assert not store.exists(key)
    assert staged.path.exists(), "the caller discards the staged file"


def test_cleanup_aborts_stale_uploads_under_the_prefix(
    s3_options: dict[str, Any], s3_admin: Any
) -> None:
    store = make_store(s3_options)
    bucket = store.bucket
    s3_admin.create_multipart_upload(Bucket=bucket, Key=f"documents/{document_key('1.2.3.x')}")
    s3_admin.create_multipart_upload(Bucket=bucket, Key="elsewhere/not-ours")
    # moto reports a fixed 2010 'Initiated'; a real server reports now for a fresh upload.
    fresh = make_store(s3_options, client=FreshUploadsClient(s3_admin))
    assert fresh.cleanup_staging(older_than=3600) == 0
    assert len(pending_uploads(s3_admin, bucket)) == 2
    assert store.cleanup_staging() == 1
    assert [u["Key"] for u in pending_uploads(s3_admin, bucket)] == ["elsewhere/not-ours"]


def test_custom_prefix(s3_options: dict[str, Any], s3_admin: Any) -> None:
    store = make_store(s3_options, prefix="/tenant-a/docs/")
    staged = stage_chunks(store, [b"abc"])
    key = document_key("1.2.3.prefix")
    store.put(key, staged.path, staged.sha1, 3, "text/plain")
    assert store.object_name(key) == f"tenant-a/docs/{key}"
    assert s3_admin.get_object(Bucket=store.bucket, Key=f"tenant-a/docs/{key}")["Body"].read() == (
        b"abc"
    )


CHILD = textwrap.dedent(
    """
    import json, sys
    from xds_repository.store import document_key, open_store, stage_chunks
    from tests.xds_repository.conftest import generated_chunks

    store = open_store("s3", **json.loads(sys.argv[1]))
    real_upload_part = store._client.upload_part

    def stalling_upload_part(**kwargs):
        if kwargs["PartNumber"] == 2:
            print("uploading", flush=True)
            sys.stdin.readline()  # stalls mid-upload until killed
        return real_upload_part(**kwargs)

    store._client.upload_part = stalling_upload_part
    staged = stage_chunks(store, generated_chunks(11 << 20))
    store.put(document_key("1.2.3.killed"), staged.path, staged.sha1, staged.size, "text/plain")
    """
)


def test_sigkill_mid_upload_leaves_no_visible_document(
    s3_options: dict[str, Any], s3_admin: Any
) -> None:
    options = {**s3_options, "staging_dir": str(s3_options["staging_dir"])}
    options["part_size"] = MIN_PART_SIZE

    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, json.dumps(options)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == b"uploading\n"
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert len(pending_uploads(s3_admin, options["bucket"])) == 1

    restarted = make_store(s3_options)
    assert not restarted.exists(document_key("1.2.3.killed"))
    assert restarted.cleanup_staging() == 2, "one staging file and one multipart upload"
    assert pending_uploads(s3_admin, options["bucket"]) == []
    assert list(restarted.stage_dir().iterdir()) == []
