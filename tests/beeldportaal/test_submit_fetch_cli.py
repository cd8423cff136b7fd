"""``beeldportaal submit`` then ``beeldportaal fetch`` against the live server, end to end.

ITI-41 to ``/xds/repository`` (which stores the bytes and registers them with ITI-42), then
ITI-18 FindDocuments on ``/xds/registry`` and ITI-43 on ``/xds/repository``: the fetched file
is byte-identical to the submitted one and matches the hash and size the repository
registered. Skipped while the repository endpoint is not served (``?wsdl`` answers 404).
"""

# zeep ships py.typed but leaves most functions unannotated:
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from uuid import uuid4

import pytest
import requests
import zeep

from profiles import transactions as tx
from tests.conftest import NIST_AUTHORITY, LiveServer

#: A small PDF-like document with bytes that trouble careless MIME handling.
DOCUMENT = (
    b"%PDF-1.4\r\n%\xe2\xe3\xcf\xd3\r\n1 0 obj << /Type /Catalog >> endobj\r\n"
    b"\r\n--MIMEBoundary_fake\r\nContent-ID: <not-a-part>\r\n\r\n"
    + bytes(range(256)) * 64
    + b"\r\ntrailer << /Root 1 0 R >>\r\n%%EOF\r\n"
)


@pytest.fixture(scope="module")
def repository_url(live_server: LiveServer) -> str:
    """``/xds/repository`` of the live server, or a skip while it is not served."""
    url = f"{live_server.base_url}/xds/repository"
    status = requests.get(url + "?wsdl", timeout=10).status_code
    if status == 404:
        pytest.skip(f"the Document Repository endpoint is not served yet (GET {url}?wsdl: 404)")
    assert status == 200, f"GET {url}?wsdl answered {status}"
    return url


@pytest.fixture
def patient(live_server: LiveServer) -> str:
    pid = f"{uuid4().hex[:10]}^^^&{NIST_AUTHORITY}&ISO"
    live_server.cli("patients", "add", pid)
    return pid


def test_repository_wsdl_loads_in_zeep(repository_url: str) -> None:
    """The served WSDL names the endpoint, and its schemas (xdsb.xsd ...) are served."""
    client = zeep.Client(repository_url + "?wsdl")
    port = client.wsdl.services["DocumentRepository_Service"].ports[
        "DocumentRepository_Port_Soap12"
    ]
    assert port.binding_options["address"] == repository_url
    actions = {op.abstract.wsa_action for op in port.binding.all().values()}
    assert actions == {tx.ITI_41.request_action, tx.ITI_43.request_action}


def test_submit_then_fetch_is_byte_identical(
    live_server: LiveServer, repository_url: str, patient: str, tmp_path: Path
) -> None:
    source = tmp_path / "verslag.pdf"
    source.write_bytes(DOCUMENT)

    submitted = live_server.cli(
        "submit",
        str(source),
        "--repository",
        repository_url,
        "--patient",
        patient,
        "--title",
        "CT thorax verslag",
        "--quiet",
        check=False,
    )

    assert submitted.returncode == 0, submitted.stdout + submitted.stderr
    assert "Traceback" not in submitted.stderr
    out = tmp_path / "out"
    fetched = live_server.cli(
        "fetch",
        "--registry",
        live_server.registry_url,
        "--repository",
        repository_url,
        "--patient",
        patient,
        "--out",
        str(out),
        "--quiet",
        check=False,
    )

    assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    (document,) = folder.glob("*.pdf")
    assert document.name == "CT_thorax_verslag.pdf"
    assert document.read_bytes() == DOCUMENT
    record = json.loads((folder / "metadata.json").read_text())
    assert record["matchesRegistry"] == {"hash": True, "size": True}
    entry = record["documentEntry"]
    assert entry["hash"] == hashlib.sha1(DOCUMENT, usedforsecurity=False).hexdigest()
    assert entry["size"] == str(len(DOCUMENT))
    assert entry["patient_id"] == patient
    assert entry["title"] == "CT thorax verslag"
    assert entry["mime_type"] == "application/pdf"
    assert entry["unique_id"] in submitted.stdout
