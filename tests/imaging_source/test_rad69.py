"""RAD-69 Retrieve Imaging Document Set over HTTP against a real server (RAD TF-3 4.69).

A server of its own (its Imaging Document Source OID is the one NIST's XDS-I tests use) is
loaded with test studies through ``beeldportaal import``; requests go over real HTTP with SOAP
1.2 + WS-Addressing, MTOM answers are read with our streaming reader. Golden request plus one
change, one expected error code (RAD TF-3 4.69.4.2.3, ITI TF-2b 3.43.4.2.3).

The helpers here are shared with ``test_rad69_corpus.py``.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
import pytest
import requests
from lxml import etree
from pydicom.dataset import Dataset
from pydicom.uid import (
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEGBaseline8Bit,
    generate_uid,
)

from imaging_source.store import instance_key
from profiles import namespaces as ns
from profiles import transactions as tx
from profiles.vocabulary import ResponseStatus
from tests.conftest import LiveServer, start_server
from tests.imaging_source.dicom_factory import (
    Patient,
    StudyPlan,
    encapsulate,
    make_instance,
    make_mr_rle,
    part10,
)
from tests.soap_client import envelope
from tests.xds_repository import procs
from xds_common.mtom import mtom_response, read_mtom

#: The Imaging Document Source OID of NIST's XDS-I test kit (ids_4810 ... ids_4820).
NIST_IDS = "1.3.6.1.4.1.21367.13.80.110"
SUCCESS, FAILURE = ResponseStatus.SUCCESS, ResponseStatus.FAILURE
PARTIAL = ResponseStatus.PARTIAL_SUCCESS
EXPLICIT, IMPLICIT = str(ExplicitVRLittleEndian), str(ImplicitVRLittleEndian)


@dataclass
class Rad69Server:
    """The running server and the Part 10 bytes of every instance loaded into it."""

    server: LiveServer
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.base_url + "/xds/imaging-source"

    def load(self, folder: Path, datasets: dict[str, bytes]) -> None:
        """Write ``datasets`` (SOP Instance UID -> Part 10) into ``folder`` and import it."""
        folder.mkdir(parents=True)
        for n, data in enumerate(datasets.values()):
            (folder / f"{n:05d}.dcm").write_bytes(data)
        result = self.server.cli("import", str(folder))
        assert result.returncode == 0, result.stderr
        self.files.update(datasets)


@dataclass(frozen=True)
class Ask:
    """One DocumentRequest with the study and series it is asked under."""

    study: str
    series: str
    document: str
    repository: str = NIST_IDS
    home: str = ""


def request_xml(asks: list[Ask], syntaxes: list[str] | None = None) -> str:
    """A RetrieveImagingDocumentSetRequest (RAD TF-3 4.69.4.1.2): one Study/SeriesRequest
    per ask, in order."""
    docs = []
    for a in asks:
        home = f"<xdsb:HomeCommunityId>{a.home}</xdsb:HomeCommunityId>" if a.home else ""
        docs.append(
            f'<xdsi:StudyRequest studyInstanceUID="{a.study}">'
            f'<xdsi:SeriesRequest seriesInstanceUID="{a.series}"><xdsb:DocumentRequest>{home}'
            f"<xdsb:RepositoryUniqueId>{a.repository}</xdsb:RepositoryUniqueId>"
            f"<xdsb:DocumentUniqueId>{a.document}</xdsb:DocumentUniqueId>"
            "</xdsb:DocumentRequest></xdsi:SeriesRequest></xdsi:StudyRequest>"
        )
    tsl = "".join(
        f"<xdsi:TransferSyntaxUID>{t}</xdsi:TransferSyntaxUID>" for t in syntaxes or [EXPLICIT]
    )
    return (
        f'<xdsi:RetrieveImagingDocumentSetRequest xmlns:xdsi="{ns.XDSI}" xmlns:xdsb="{ns.XDSB}">'
        f"{''.join(docs)}<xdsi:TransferSyntaxUIDList>{tsl}</xdsi:TransferSyntaxUIDList>"
        "</xdsi:RetrieveImagingDocumentSetRequest>"
    )


@dataclass
class Rad69Reply:
    """What came back: HTTP status, headers, status, errors and returned files."""

    http_status: int
    action: str
    relates_to: str
    status: str
    errors: list[tuple[str, str]]  # (errorCode, location)
    documents: dict[str, bytes]  # DocumentUniqueId -> bytes
    responses: list[etree._Element]

    @property
    def codes(self) -> list[str]:
        return [code for code, _ in self.errors]


def _header(env: etree._Element, local: str) -> str:
    return env.findtext(f"{ns.qn(ns.SOAP12, 'Header')}/{ns.qn(ns.WSA, local)}") or ""


def send(url: str, body: str, tmp: Path, *, mtom_request: bool = False) -> Rad69Reply:
    """POST a RAD-69 body (plain SOAP, or as an MTOM package) and read the MTOM answer."""
    data, message_id = envelope(tx.RAD_69.request_action, body, url)
    content_type = "application/soap+xml; charset=UTF-8"
    if mtom_request:
        package = mtom_response(data, [], action=tx.RAD_69.request_action)
        data, content_type = b"".join(package.body), package.content_type
    reply = requests.post(
        url, data=data, headers={"Content-Type": content_type}, stream=True, timeout=120
    )
    reply.raw.decode_content = True
    staging = tmp / f"reply-{message_id[-12:]}"
    staging.mkdir(parents=True, exist_ok=True)
    with read_mtom(
        reply.raw, reply.headers["Content-Type"], staging,
        max_root_bytes=1 << 24, max_total_bytes=1 << 32,
    ) as message:  # fmt: skip
        env = message.envelope
        answer = env.find(ns.qn(ns.SOAP12, "Body"))[0]  # type: ignore[index]
        registry = answer.find(ns.qn(ns.RS, "RegistryResponse"))
        errors = [
            (e.get("errorCode", ""), e.get("location", ""))
            for e in answer.iter(ns.qn(ns.RS, "RegistryError"))
        ]
        responses = list(answer.iter(ns.qn(ns.XDSB, "DocumentResponse")))
        documents = {
            r.findtext(ns.qn(ns.XDSB, "DocumentUniqueId")) or "": message.content(
                r.find(ns.qn(ns.XDSB, "Document"))  # type: ignore[arg-type]
            ).path.read_bytes()
            for r in responses
        }
    assert message_id == _header(env, "RelatesTo")
    status = registry.get("status", "") if registry is not None else ""
    action = _header(env, "Action")
    return Rad69Reply(reply.status_code, action, message_id, status, errors, documents, responses)


# ---------------------------------------------------------------- the server and its studies


BACKENDS = (
    ["sqlite", "postgresql"] if os.environ.get("BEELDPORTAAL_TEST_POSTGRES_URL") else ["sqlite"]
)


@pytest.fixture(scope="session", params=BACKENDS)
def rad69_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Rad69Server]:
    """A server whose Imaging Document Source OID is NIST's (one worker, its own home), on
    SQLite and, when ``make test`` started one, on PostgreSQL."""
    tmp = tmp_path_factory.mktemp(f"rad69-{request.param}")
    env = {"BEELDPORTAAL_IMAGING_SOURCE_UNIQUE_ID": NIST_IDS, "BEELDPORTAAL_WORKERS": "1"}
    server = start_server(tmp, request.param, env)
    yield Rad69Server(server)
    server.stop()
    shutil.rmtree(tmp, ignore_errors=True)


@dataclass
class Study:
    """A loaded test study: its UID and, per series UID, the SOP Instance UIDs."""

    uid: str
    series: dict[str, list[str]]

    def asks(self, **change: str) -> list[Ask]:
        return [
            Ask(self.uid, s, i, **change) for s, instances in self.series.items() for i in instances
        ]


def _ct(plan: StudyPlan, series_uid: str, s: int, i: int) -> Dataset:
    return make_instance(plan, series_uid, s, i)


def _jpeg_baseline(plan: StudyPlan, series_uid: str) -> bytes:
    """An instance stored as JPEG Baseline (lossy: never re-encoded by us)."""
    ds = _ct(plan, series_uid, 0, 9)
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
    ds.PixelData = encapsulate([b"\xff\xd8\xff\xdb" + bytes(60) + b"\xff\xd9"])
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    return part10(ds, JPEGBaseline8Bit)


@pytest.fixture(scope="session")
def studies(
    rad69_server: Rad69Server, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Study]:
    """CT 2x3 in Explicit VR LE ("ct"), a series in Implicit VR LE ("implicit"), RLE MR
    ("rle") and one JPEG Baseline instance ("jpeg"), loaded once."""
    plan = StudyPlan(patient=Patient(patient_id="RAD69-1"), accession="RAD69-ACC")
    files: dict[str, bytes] = {}
    ct = Study(plan.study_uid, {})
    for s in range(2):
        series_uid = str(generate_uid())
        ct.series[series_uid] = []
        for i in range(3):
            ds = _ct(plan, series_uid, s, i)
            files[ds.SOPInstanceUID] = part10(ds)
            ct.series[series_uid].append(ds.SOPInstanceUID)
    implicit = Study(plan.study_uid, {generate_uid(): []})
    for implicit_series, uids in implicit.series.items():
        for i in range(2):
            ds = _ct(plan, implicit_series, 2, i)
            files[ds.SOPInstanceUID] = part10(ds, ImplicitVRLittleEndian)
            uids.append(ds.SOPInstanceUID)
    rle = Study(plan.study_uid, {})
    for data in make_mr_rle(StudyPlan(patient=plan.patient, study_uid=plan.study_uid), count=2):
        ds = pydicom.dcmread(io.BytesIO(data))
        rle.series.setdefault(ds.SeriesInstanceUID, []).append(ds.SOPInstanceUID)
        files[ds.SOPInstanceUID] = data
    jpeg_series = generate_uid()
    jpeg_data = _jpeg_baseline(plan, jpeg_series)
    jpeg_uid = pydicom.dcmread(io.BytesIO(jpeg_data)).SOPInstanceUID
    files[jpeg_uid] = jpeg_data
    rad69_server.load(tmp_path_factory.mktemp("golden") / "in", files)
    jpeg = Study(plan.study_uid, {jpeg_series: [jpeg_uid]})
    return {"ct": ct, "implicit": implicit, "rle": rle, "jpeg": jpeg}


def _send(
    server: Rad69Server, asks: list[Ask], tmp: Path, syntaxes: list[str] | None = None
) -> Rad69Reply:
    return send(server.url, request_xml(asks, syntaxes), tmp)


def _dataset(data: bytes) -> Dataset:
    return pydicom.dcmread(io.BytesIO(data))


# ---------------------------------------------------------------- golden and one change


def test_golden_study_returns_every_instance_byte_identical(
    rad69_server: Rad69Server, studies: dict[str, Study], tmp_path: Path
) -> None:
    asks = studies["ct"].asks()
    reply = _send(rad69_server, asks, tmp_path)
    assert (reply.http_status, reply.status, reply.errors) == (200, SUCCESS, [])
    assert reply.action == tx.RAD_69.response_action
    assert reply.documents == {a.document: rad69_server.files[a.document] for a in asks}
    for node in reply.responses:
        assert node.findtext(ns.qn(ns.XDSB, "mimeType")) == "application/dicom"
        assert node.findtext(ns.qn(ns.XDSB, "RepositoryUniqueId")) == NIST_IDS
        assert node.find(ns.qn(ns.XDSB, "HomeCommunityId")) is None


def test_mtom_request_is_answered_alike(
    rad69_server: Rad69Server, studies: dict[str, Study], tmp_path: Path
) -> None:
    ask = studies["ct"].asks()[0]
    reply = send(rad69_server.url, request_xml([ask]), tmp_path, mtom_request=True)
    assert (reply.status, reply.documents) == (
        SUCCESS,
        {ask.document: rad69_server.files[ask.document]},
    )


def test_home_community_id_is_echoed(
    rad69_server: Rad69Server, studies: dict[str, Study], tmp_path: Path
) -> None:
    home = "urn:oid:1.3.6.1.4.1.21367.13.70.200"
    reply = _send(rad69_server, studies["ct"].asks(home=home)[:1], tmp_path)
    assert reply.status == SUCCESS
    assert [r.findtext(ns.qn(ns.XDSB, "HomeCommunityId")) for r in reply.responses] == [home]


def _one_changed(studies: dict[str, Study], **change: str) -> tuple[list[Ask], Ask]:
    """The golden request with its first instance changed; returns (asks, changed ask)."""
    asks = studies["ct"].asks()
    first = asks[0]
    changed = Ask(**{**first.__dict__, **change})
    return [changed, *asks[1:]], changed


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"repository": NIST_IDS + ".999"}, "XDSUnknownRepositoryId"),
        ({"document": "1.2.3.999.4.5.6"}, "XDSDocumentUniqueIdError"),
        ({"series": "1.2.3.999.7"}, "XDSDocumentUniqueIdError"),
        ({"study": "1.2.3.999.8"}, "XDSDocumentUniqueIdError"),
        ({"study": ""}, "XDSIRequestError"),
        ({"series": ""}, "XDSIRequestError"),
    ],
    ids=["repository", "unknown-instance", "other-series", "other-study", "no-study", "no-series"],
)
def test_one_bad_instance_gives_partial_success(
    rad69_server: Rad69Server,
    studies: dict[str, Study],
    tmp_path: Path,
    change: dict[str, str],
    code: str,
) -> None:
    asks, changed = _one_changed(studies, **change)
    reply = _send(rad69_server, asks, tmp_path)
    assert (reply.status, reply.errors) == (PARTIAL, [(code, changed.document)])
    assert sorted(reply.documents) == sorted(a.document for a in asks[1:])


def test_instance_of_another_series_of_the_study(
    rad69_server: Rad69Server, studies: dict[str, Study], tmp_path: Path
) -> None:
    ct = studies["ct"]
    first, second = ct.series
    ask = Ask(ct.uid, first, ct.series[second][0])
    reply = _send(rad69_server, [ask], tmp_path)
    assert (reply.status, reply.errors, reply.documents) == (
        FAILURE, [("XDSDocumentUniqueIdError", ask.document)], {},
    )  # fmt: skip


def test_no_acceptable_transfer_syntax(
    rad69_server: Rad69Server, studies: dict[str, Study], tmp_path: Path
) -> None:
    asks = studies["ct"].asks()[:2]
    reply = _send(rad69_server, asks, tmp_path, [str(JPEGBaseline8Bit), "1.2.840.10008.1.2.1.999"])
    assert reply.status == FAILURE
    assert reply.errors == [("XDSRepositoryError", a.document) for a in asks]


def test_empty_transfer_syntax(
    rad69_server: Rad69Server, studies: dict[str, Study], tmp_path: Path
) -> None:
    ask = studies["ct"].asks()[0]
    reply = _send(rad69_server, [ask], tmp_path, [""])
    assert (reply.status, reply.errors) == (FAILURE, [("XDSRepositoryError", ask.document)])


# ---------------------------------------------------------------- transfer syntaxes


def test_preference_order_keeps_the_stored_syntax_when_listed(
    rad69_server: Rad69Server, studies: dict[str, Study], tmp_path: Path
) -> None:
    asks = studies["implicit"].asks()
    reply = _send(rad69_server, asks, tmp_path, [EXPLICIT, IMPLICIT])
    assert reply.status == SUCCESS
    assert reply.documents == {a.document: rad69_server.files[a.document] for a in asks}


@pytest.mark.parametrize(("kind", "target"), [("implicit", EXPLICIT), ("ct", IMPLICIT)])
def test_lossless_transcoding_between_little_endian_syntaxes(
    rad69_server: Rad69Server, studies: dict[str, Study], tmp_path: Path, kind: str, target: str
) -> None:
    asks = studies[kind].asks()
    reply = _send(rad69_server, asks, tmp_path, [target])
    assert (reply.status, reply.errors) == (SUCCESS, [])
    for ask in asks:
        got, stored = (
            _dataset(reply.documents[ask.document]),
            _dataset(rad69_server.files[ask.document]),
        )
        assert got.file_meta.TransferSyntaxUID == target
        assert got.SOPInstanceUID == ask.document
        assert got.PixelData == stored.PixelData
        assert (got.PatientName, got.IconImageSequence[0].PixelData) == (
            stored.PatientName, stored.IconImageSequence[0].PixelData,
        )  # fmt: skip
    staging = rad69_server.server.home / "dicom" / "staging"
    assert list(staging.iterdir()) == []  # re-encoded copies are removed once sent


def test_rle_lossless_is_decoded_for_an_uncompressed_request(
    rad69_server: Rad69Server, studies: dict[str, Study], tmp_path: Path
) -> None:
    asks = studies["rle"].asks()
    reply = _send(rad69_server, asks, tmp_path, [EXPLICIT])
    assert reply.status == SUCCESS
    for ask in asks:
        got, stored = (
            _dataset(reply.documents[ask.document]),
            _dataset(rad69_server.files[ask.document]),
        )
        assert got.file_meta.TransferSyntaxUID == EXPLICIT
        assert got.SOPInstanceUID == ask.document
        assert (got.pixel_array == stored.pixel_array).all()


def test_lossy_stored_instance_only_in_its_own_syntax(
    rad69_server: Rad69Server, studies: dict[str, Study], tmp_path: Path
) -> None:
    ask = studies["jpeg"].asks()[0]
    refused = _send(rad69_server, [ask], tmp_path, [EXPLICIT, IMPLICIT])
    assert (refused.status, refused.errors) == (FAILURE, [("XDSRepositoryError", ask.document)])
    given = _send(rad69_server, [ask], tmp_path, [EXPLICIT, str(JPEGBaseline8Bit)])
    assert (given.status, given.documents) == (
        SUCCESS,
        {ask.document: rad69_server.files[ask.document]},
    )


def test_instance_whose_file_is_gone(
    rad69_server: Rad69Server, studies: dict[str, Study], tmp_path: Path
) -> None:
    plan = StudyPlan(patient=Patient(patient_id="RAD69-GONE"))
    series_uid = str(generate_uid())
    ds = _ct(plan, series_uid, 0, 0)
    data = part10(ds)
    rad69_server.load(tmp_path / "in", {ds.SOPInstanceUID: data})
    key = instance_key(ds.SOPInstanceUID, hashlib.sha1(data, usedforsecurity=False).hexdigest())
    (rad69_server.server.home / "dicom" / "instances" / key).unlink()
    gone, fine = Ask(plan.study_uid, series_uid, ds.SOPInstanceUID), studies["ct"].asks()[0]
    reply = _send(rad69_server, [gone, fine], tmp_path)
    assert (reply.status, reply.errors) == (PARTIAL, [("XDSRepositoryError", gone.document)])
    assert list(reply.documents) == [fine.document]


# ---------------------------------------------------------------- requests that fail as a whole

RAD69_OPEN = f'<xdsi:RetrieveImagingDocumentSetRequest xmlns:xdsi="{ns.XDSI}">'


@pytest.mark.parametrize(
    "body",
    [
        RAD69_OPEN + "<xdsi:TransferSyntaxUIDList><xdsi:TransferSyntaxUID>"
        f"{EXPLICIT}</xdsi:TransferSyntaxUID></xdsi:TransferSyntaxUIDList>"
        "</xdsi:RetrieveImagingDocumentSetRequest>",
        f'<xdsb:RetrieveDocumentSetRequest xmlns:xdsb="{ns.XDSB}"/>',
    ],
    ids=["no-study-request", "iti43-body"],
)
def test_request_without_instances_fails_whole(
    rad69_server: Rad69Server, tmp_path: Path, body: str
) -> None:
    reply = send(rad69_server.url, body, tmp_path)
    assert (reply.http_status, reply.status, reply.codes) == (200, FAILURE, ["XDSRepositoryError"])


def test_request_without_transfer_syntax_list_fails_whole(
    rad69_server: Rad69Server, studies: dict[str, Study], tmp_path: Path
) -> None:
    body = request_xml(studies["ct"].asks()[:1])
    body = (
        body[: body.index("<xdsi:TransferSyntaxUIDList>")]
        + "</xdsi:RetrieveImagingDocumentSetRequest>"
    )
    reply = send(rad69_server.url, body, tmp_path)
    assert (reply.status, reply.codes, reply.documents) == (FAILURE, ["XDSRepositoryError"], {})


def test_broken_envelope_is_a_soap_fault(rad69_server: Rad69Server) -> None:
    reply = requests.post(
        rad69_server.url, data=b"<s:Envelope", timeout=30,
        headers={"Content-Type": "application/soap+xml; charset=UTF-8"},
    )  # fmt: skip
    assert reply.status_code == 400
    fault = etree.fromstring(reply.content).find(f".//{ns.qn(ns.SOAP12, 'Fault')}")
    assert fault is not None


def test_unknown_action_is_a_soap_fault(rad69_server: Rad69Server) -> None:
    data, _ = envelope(tx.ITI_43.request_action, "<x/>", rad69_server.url)
    reply = requests.post(
        rad69_server.url, data=data, timeout=30,
        headers={"Content-Type": "application/soap+xml; charset=UTF-8"},
    )  # fmt: skip
    assert reply.status_code == 400
    assert b"ActionNotSupported" in reply.content


def test_oversized_request_is_refused_unread(rad69_server: Rad69Server) -> None:
    reply = requests.post(
        rad69_server.url, data=b"x" * (20 * 1024 * 1024 + 1), timeout=60,
        headers={"Content-Type": "application/soap+xml; charset=UTF-8"},
    )  # fmt: skip
    assert reply.status_code == 413


def test_get_describes_the_endpoint(rad69_server: Rad69Server) -> None:
    reply = requests.get(rad69_server.url, timeout=30)
    assert reply.status_code == 200 and "RAD-69" in reply.text
    assert requests.get(rad69_server.url + "?wsdl", timeout=30).status_code == 200


# ---------------------------------------------------------------- bounded memory

MIB = 1 << 20
LARGE_FRAMES = 16  # 2048 x 2048 x 16 bit = 8 MiB a frame: 128 MiB of pixel data
#: Peak RSS growth allowed while a 128 MiB instance is sent (a whole-file read needs more).
RSS_GROWTH_LIMIT_KIB = 48 * 1024


def write_large_instance(path: Path, plan: StudyPlan, series_uid: str) -> tuple[str, str, int]:
    """A multi-frame CT written in pieces (never whole in memory): its SOP Instance UID,
    SHA-1 and size."""
    ds = _ct(plan, series_uid, 0, 0)
    del ds.PixelData
    ds.Rows = ds.Columns = 2048
    ds.NumberOfFrames = LARGE_FRAMES
    frame = 2048 * 2048 * 2
    digest = hashlib.sha1(usedforsecurity=False)
    with path.open("wb") as out:
        for piece in (
            part10(ds),
            struct.pack("<HH2sHL", 0x7FE0, 0x0010, b"OW", 0, frame * LARGE_FRAMES),
        ):
            out.write(piece)
            digest.update(piece)
        for n in range(LARGE_FRAMES):
            data = bytes([n]) * frame
            out.write(data)
            digest.update(data)
    return str(ds.SOPInstanceUID), digest.hexdigest(), path.stat().st_size


def test_large_instance_streams_with_bounded_memory(
    rad69_server: Rad69Server, tmp_path: Path
) -> None:
    plan = StudyPlan(patient=Patient(patient_id="RAD69-LARGE"))
    series_uid = str(generate_uid())
    folder = tmp_path / "large"
    folder.mkdir()
    uid, sha1, size = write_large_instance(folder / "large.dcm", plan, series_uid)
    assert rad69_server.server.cli("import", str(folder)).returncode == 0
    (folder / "large.dcm").unlink()
    workers = procs.worker_pids(rad69_server.server)
    before = {pid: procs.status_kib(pid, "VmHWM") for pid in workers}
    data, _ = envelope(
        tx.RAD_69.request_action, request_xml([Ask(plan.study_uid, series_uid, uid)]), ""
    )
    reply = requests.post(
        rad69_server.url, data=data, stream=True, timeout=600,
        headers={"Content-Type": "application/soap+xml; charset=UTF-8"},
    )  # fmt: skip
    reply.raw.decode_content = True
    staging = tmp_path / "reply"
    staging.mkdir()
    with read_mtom(
        reply.raw, reply.headers["Content-Type"], staging,
        max_root_bytes=1 << 20, max_total_bytes=1 << 32,
    ) as message:  # fmt: skip
        document = message.envelope.find(f".//{ns.qn(ns.XDSB, 'Document')}")
        assert document is not None
        part = message.content(document)
        assert (part.sha1, part.size) == (sha1, size)
    growth = max(procs.status_kib(pid, "VmHWM") - kib for pid, kib in before.items())
    print(f"\nRAD-69 of a {size >> 20} MiB instance: worker peak RSS grew {growth} KiB")
    assert growth < RSS_GROWTH_LIMIT_KIB, f"worker peak RSS grew by {growth} KiB"
