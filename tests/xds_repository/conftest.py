"""Fixtures for the document store tests: both implementations behind one parametrised fixture.

The S3 store talks to moto's standalone S3-compatible server, started by the tests themselves
on 127.0.0.1 (loopback only, nothing leaves the machine).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from xds_repository.store import DocumentStore, open_store

#: Fixed test credentials for the local moto server (not secrets).
CREDENTIALS = {"access_key_id": "testing", "secret_access_key": "testing", "region": "us-east-1"}
STORE_KINDS = ["filesystem", "s3"]


def generated_chunks(size: int, seed: int = 1, chunk: int = 1 << 20) -> Iterator[bytes]:
    """Deterministic pseudo-random bytes, generated on the fly one chunk at a time."""
    rng = random.Random(seed)
    left = size
    while left > 0:
        n = min(chunk, left)
        yield rng.randbytes(n)
        left -= n


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server on 127.0.0.1 (a free port), stopped after the session."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    assert host == "127.0.0.1"
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def s3_admin(s3_endpoint: str) -> Any:
    """A plain boto3 client on the test server (to create buckets and look behind the store)."""
    return boto3.session.Session(
        aws_access_key_id=CREDENTIALS["access_key_id"],
        aws_secret_access_key=CREDENTIALS["secret_access_key"],
        region_name=CREDENTIALS["region"],
    ).client("s3", endpoint_url=s3_endpoint)


@pytest.fixture
def s3_options(s3_endpoint: str, s3_admin: Any, tmp_path: Path) -> dict[str, Any]:
    """Options for ``open_store("s3", ...)`` on a fresh bucket of the test server."""
    bucket = f"bp-{uuid.uuid4().hex[:16]}"
    s3_admin.create_bucket(Bucket=bucket)
    return {
        "bucket": bucket,
        "staging_dir": tmp_path / "s3-staging",
        "endpoint_url": s3_endpoint,
        "addressing_style": "path",
        **CREDENTIALS,
    }


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> DocumentStore:
    """Each document store implementation in turn, on fresh storage."""
    if request.param == "filesystem":
        return open_store("filesystem", root=tmp_path / "store")
    options: dict[str, Any] = request.getfixturevalue("s3_options")
    return open_store("s3", **options)
