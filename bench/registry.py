"""Registry benchmark (issue: Foundation and the XDS.b Document Registry).

1. Loads DocumentEntries through the registry's own storage code (``add_documents_bulk``):
   first 10,000 (100 patients x 100), measures, then up to 1,000,000 (10,000 x 100).
2. Starts ``beeldportaal serve`` on that database and measures over HTTP with two client
   processes: ITI-18 FindDocuments (patient + status + classCode) latency p50/p99 for
   ObjectRef and for LeafClass (100 entries each), and ITI-42 throughput with one document
   per submission.
Runs on SQLite and, when ``BEELDPORTAAL_TEST_POSTGRES_URL`` is set (``make bench`` starts
one), on PostgreSQL. Targets: ObjectRef p50 <= 5 ms, LeafClass p50 <= 30 ms,
p99 <= 4 x p50, latency at 1M within 1.5 x of 10k, ITI-42 >= 100 submissions/s.

Usage: ``python bench/registry.py [--documents 1000000] [--seconds 15] [--backend sqlite]``
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from profiles.stored_queries import FIND_DOCUMENTS  # noqa: E402
from profiles.transactions import ITI_18, ITI_42  # noqa: E402
from tests import soap_client  # noqa: E402
from tests.conftest import LiveServer, start_server  # noqa: E402
from tests.xds_registry import messages as m  # noqa: E402

PER_PATIENT = 100
CLASS = "REPORTS^^1.2.3.6"
APPROVED = "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')"


def patient_id(n: int) -> str:
    return f"BENCH{n:06d}^^^&{m.AUTHORITY}&ISO"


def _template() -> tuple[Any, str, list[str]]:
    """One registered-form DocumentEntry, its stored XML and the ids it owns."""
    from xds_common.ebrim.ids import assign_uuids
    from xds_common.ebrim.reader import read_object_list
    from xds_common.xml import parse
    from xds_registry.stored import stored_xml

    object_list = parse(m.submission(patient_id(0)).encode())[0]
    assign_uuids(object_list)
    result = read_object_list(object_list)
    de = result.submission.documents[0]
    xml = stored_xml(result, de.entry_uuid, 1)
    owned = [e.get("id", "") for e in result.raw[de.entry_uuid].element.iter() if e.get("id")]
    return de, xml, owned


def load(database_url: str, first: int, last: int) -> float:
    """Register patients [first, last) with PER_PATIENT documents each; return seconds."""
    import dataclasses

    from xds_common.db import session_factory
    from xds_registry.storage import objects, patients

    de0, xml0, owned = _template()
    sessions = session_factory(database_url, write=True)
    started = time.perf_counter()
    for p in range(first, last):
        pid = patient_id(p)
        with sessions() as session, session.begin():
            patients.add(session, pid)
            batch = []
            for _ in range(PER_PATIENT):
                xml = xml0.replace(de0.patient_id.replace("&", "&amp;"), pid.replace("&", "&amp;"))
                fresh = {old: f"urn:uuid:{uuid.uuid4()}" for old in owned}
                for old, new in fresh.items():
                    xml = xml.replace(old, new)
                unique_id = f"2.25.{uuid.uuid4().int}"
                xml = xml.replace(de0.unique_id, unique_id)
                de = dataclasses.replace(
                    de0,
                    entry_uuid=fresh[de0.entry_uuid],
                    lid=fresh[de0.entry_uuid],
                    patient_id=pid,
                    unique_id=unique_id,
                )
                batch.append((de, xml))
            objects.add_documents_bulk(session, batch)
    return time.perf_counter() - started


def _query_worker(args: tuple[str, str, int, float]) -> list[float]:
    url, return_type, patients_n, seconds = args
    session = requests.Session()
    timings: list[float] = []
    deadline = time.monotonic() + seconds
    i = os.getpid()
    while time.monotonic() < deadline and len(timings) < 20000:
        i = (i * 7919 + 13) % patients_n
        body = m.query(
            FIND_DOCUMENTS.id,
            return_type,
            XDSDocumentEntryPatientId=f"'{patient_id(i)}'",
            XDSDocumentEntryStatus=APPROVED,
            XDSDocumentEntryClassCode=f"('{CLASS}')",
        )
        data, _ = soap_client.envelope(ITI_18.request_action, body, url)
        t0 = time.perf_counter()
        response = session.post(url, data=data, timeout=30,
                                headers={"Content-Type": "application/soap+xml"})  # fmt: skip
        timings.append(time.perf_counter() - t0)
        assert response.status_code == 200 and b"Success" in response.content[:2000]
        if return_type == "LeafClass":
            assert response.content.count(b"<rim:ExtrinsicObject") == PER_PATIENT
    return timings


def _register_worker(args: tuple[str, str, float]) -> int:
    url, pid, seconds = args
    session = requests.Session()
    done = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and done < 50000:
        data, _ = soap_client.envelope(ITI_42.request_action, m.submission(pid), url)
        response = session.post(url, data=data, timeout=30,
                                headers={"Content-Type": "application/soap+xml"})  # fmt: skip
        assert b"ResponseStatusType:Success" in response.content, response.content[:2000]
        done += 1
    return done


def measure_queries(server: LiveServer, patients_n: int, seconds: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with multiprocessing.Pool(2) as pool:
        for return_type in ("ObjectRef", "LeafClass"):
            _query_worker((server.registry_url, return_type, patients_n, 1.0))  # warm-up
            runs = pool.map(
                _query_worker, [(server.registry_url, return_type, patients_n, seconds)] * 2
            )
            timings = sorted(t for run in runs for t in run)
            out[return_type] = {
                "requests": len(timings),
                "p50_ms": round(statistics.median(timings) * 1000, 2),
                "p99_ms": round(timings[int(len(timings) * 0.99) - 1] * 1000, 2),
            }
    return out


def measure_register(server: LiveServer, seconds: float) -> dict[str, Any]:
    pid = m.new_patient()
    server.cli("patients", "add", pid)
    with multiprocessing.Pool(2) as pool:
        counts = pool.map(_register_worker, [(server.registry_url, pid, seconds)] * 2)
    return {"submissions": sum(counts), "per_second": round(sum(counts) / seconds, 1)}


def _measure_small(backend: str, seconds: float, tmp: Path) -> dict[str, Any]:
    """10,000 entries in a fresh database: the baseline for the 1.5x scaling target."""
    server = start_server(tmp / f"{backend}-small", backend, {"BEELDPORTAAL_WORKERS": "2"})
    try:
        small = 10_000 // PER_PATIENT
        url = server.env["BEELDPORTAAL_DATABASE_URL"]
        return {"load_s": round(load(url, 0, small), 1), **measure_queries(server, small, seconds)}
    finally:
        server.stop()


def big_server(backend: str, home: Path, documents: int) -> tuple[LiveServer, float | None]:
    """A server on the big database; loads it unless ``home`` already holds it (SQLite)."""
    marker = home / f"loaded-{documents}"
    extra = {"BEELDPORTAAL_WORKERS": "2"}
    if marker.exists():
        extra["BEELDPORTAAL_DATABASE_URL"] = marker.read_text().strip()
    server = start_server(home, backend, extra)
    if marker.exists():
        return server, None
    url = server.env["BEELDPORTAAL_DATABASE_URL"]
    seconds = load(url, 0, documents // PER_PATIENT)
    marker.write_text(url)
    return server, seconds


def run_backend(
    backend: str, documents: int, seconds: float, tmp: Path, keep: Path | None
) -> dict[str, Any]:
    """Measure at 10k and at ``documents`` entries, then ITI-42 throughput."""
    result: dict[str, Any] = {"backend": backend, "at_10k": _measure_small(backend, seconds, tmp)}
    home = (keep / backend) if keep else tmp / f"{backend}-big"
    home.mkdir(parents=True, exist_ok=True)
    server, load_s = big_server(backend, home, documents)
    try:
        result["load_s"] = load_s if load_s is None else round(load_s, 1)
        result["documents"] = documents
        result[f"at_{documents}"] = measure_queries(server, documents // PER_PATIENT, seconds)
        result["iti42"] = measure_register(server, seconds)
    finally:
        server.stop()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument(
        "--keep",
        type=Path,
        help="keep the big SQLite database in this folder and reuse it on the next run",
    )
    args = parser.parse_args()
    backends = args.backend or ["sqlite"] + (
        ["postgresql"] if os.environ.get("BEELDPORTAAL_TEST_POSTGRES_URL") else []
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-registry-") as tmp:
        for backend in backends:
            print(f"== {backend}: loading and measuring ...", flush=True)
            keep = args.keep if backend == "sqlite" else None
            result = run_backend(backend, args.documents, args.seconds, Path(tmp), keep)
            print(json.dumps(result, indent=2), flush=True)
            results.append(result)
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "registry.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
