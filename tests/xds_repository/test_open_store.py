"""``open_store``: the kind table behind ``BEELDPORTAAL_DOCUMENT_STORE`` and its start-up errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port
from xds_repository.store import STORE_KINDS, DocumentStoreConfigError, open_store
from xds_repository.store.filesystem import FilesystemDocumentStore
from xds_repository.store.s3 import S3DocumentStore

ROOT = Path(__file__).resolve().parents[2]


def test_kinds() -> None:
    assert sorted(STORE_KINDS) == ["filesystem", "s3"]


def test_unknown_kind_names_the_choices(tmp_path: Path) -> None:
    with pytest.raises(DocumentStoreConfigError, match=r"'azure'.*filesystem, s3"):
        open_store("azure", root=tmp_path)


def test_kind_is_case_insensitive(tmp_path: Path) -> None:
    assert isinstance(open_store(" FileSystem ", root=tmp_path), FilesystemDocumentStore)


def test_bad_option_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(DocumentStoreConfigError, match="filesystem"):
        open_store("filesystem", root=tmp_path, bucket="x")


def test_s3_opens_with_settings(s3_options: dict[str, Any]) -> None:
    store = open_store("s3", **s3_options)
    assert isinstance(store, S3DocumentStore)
    assert store.bucket == s3_options["bucket"]


def test_s3_missing_bucket_fails_at_start(s3_options: dict[str, Any]) -> None:
    with pytest.raises(DocumentStoreConfigError, match="not reachable"):
        open_store("s3", **{**s3_options, "bucket": "no-such-bucket"})


def test_s3_unreachable_endpoint_fails_at_start(tmp_path: Path) -> None:
    with pytest.raises(DocumentStoreConfigError, match="not reachable"):
        open_store(
            "s3",
            bucket="b",
            staging_dir=tmp_path,
            endpoint_url=f"http://127.0.0.1:{free_port()}",
            access_key_id="testing",
            secret_access_key="testing",
            region="us-east-1",
            max_attempts=1,
        )


@pytest.mark.parametrize(
    ("options", "message"),
    [({"bucket": ""}, "bucket name"), ({"part_size": 1 << 20}, "part size")],
)
def test_s3_bad_settings(s3_options: dict[str, Any], options: dict[str, Any], message: str) -> None:
    with pytest.raises(DocumentStoreConfigError, match=message):
        open_store("s3", **{**s3_options, **options})


def test_filesystem_store_does_not_import_boto3(tmp_path: Path) -> None:
    code = (
        "import sys; from xds_repository.store import open_store; "
        f"open_store('filesystem', root={str(tmp_path)!r}); "
        "assert 'boto3' not in sys.modules"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
        timeout=60,
    )
