"""The live server with ``BEELDPORTAAL_DOCUMENT_STORE=s3``: ITI-41 into an S3-compatible
store (moto on 127.0.0.1) and ITI-43 back out, byte-identical."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from profiles import namespaces as ns
from profiles.vocabulary import ResponseStatus
from tests.conftest import LiveServer, start_server
from tests.xds_registry import messages as m
from tests.xds_repository import messages as r
from tests.xds_repository.conftest import CREDENTIALS


@pytest.fixture
def s3_server(tmp_path: Path, s3_endpoint: str, s3_admin: Any) -> Iterator[tuple[LiveServer, str]]:
    bucket = f"bp-live-{uuid.uuid4().hex[:12]}"
    s3_admin.create_bucket(Bucket=bucket)
    env = {
        "BEELDPORTAAL_DOCUMENT_STORE": "s3",
        "BEELDPORTAAL_S3_ENDPOINT_URL": s3_endpoint,
        "BEELDPORTAAL_S3_BUCKET": bucket,
        "BEELDPORTAAL_S3_REGION": CREDENTIALS["region"],
        "BEELDPORTAAL_S3_ACCESS_KEY_ID": CREDENTIALS["access_key_id"],
        "BEELDPORTAAL_S3_SECRET_ACCESS_KEY": CREDENTIALS["secret_access_key"],
    }
    server = start_server(tmp_path, "sqlite", env)
    yield server, bucket
    server.stop()


def test_round_trip_through_s3(
    s3_server: tuple[LiveServer, str], s3_admin: Any, tmp_path: Path
) -> None:
    server, bucket = s3_server
    patient = m.new_patient()
    server.cli("patients", "add", patient)
    data = bytes(range(256)) * 20_000  # 5 MB, crosses no multipart threshold by default
    doc = m.Doc(hash=hashlib.sha1(data).hexdigest(), size=str(len(data)))
    url = server.base_url + "/xds/repository"
    response = r.post_provide(url, patient, [doc], [r.Attachment(doc.id, data)])
    assert response.get("status") == ResponseStatus.SUCCESS
    assert s3_admin.list_objects_v2(Bucket=bucket)["KeyCount"] == 1
    home = Path(server.env["BEELDPORTAAL_HOME"])
    assert not list((home / "documents").glob("**/*.part"))
    repo_id = server.cli("init").stdout.split("repositoryUniqueId ")[1].split()[0]
    out = tmp_path / "out"
    out.mkdir()
    with r.post_retrieve(url, [(repo_id, doc.unique_id)], out) as message:
        document = message.envelope.find(f".//{{{ns.XDSB}}}Document")
        assert document is not None
        assert message.content(document).path.read_bytes() == data
