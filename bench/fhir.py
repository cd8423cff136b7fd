"""FHIR facade benchmark (issue 5: FHIR R4 facade, MHD).

1. Search: ITI-67 ``GET /fhir/DocumentReference?patient.identifier=…&status=current`` next to
   ITI-18 FindDocuments (LeafClass, patient + status) for the same patients in the same run,
   p50/p99 over HTTP with two client processes; each patient has 100 DocumentEntries, so
   both answers carry 100 entries. Target: ITI-67 p50 <= 2 x ITI-18 p50.
2. ITI-65 throughput: single-document Comprehensive bundles (one SubmissionSet List, one
   DocumentReference, one 2 KB Binary) from two client processes. Target: >= 50 bundles/s.

The database comes from ``bench/registry.py``'s loader: ``--documents 10000`` loads a fresh
one; bigger runs reuse ``--keep DIR`` (the folder ``bench/registry.py --keep`` fills, e.g.
``/tmp/bench-keep``) when it already holds that many entries, else load it there.

Usage: ``python bench/fhir.py [--documents 1000000] [--seconds 15] [--keep /tmp/bench-keep]``
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
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.registry import APPROVED, PER_PATIENT, big_server, load, patient_id  # noqa: E402
from profiles.stored_queries import FIND_DOCUMENTS  # noqa: E402
from profiles.transactions import ITI_18  # noqa: E402
from tests import soap_client  # noqa: E402
from tests.conftest import LiveServer, start_server  # noqa: E402
from tests.fhir_facade.mhd import Facade, comprehensive_bundle  # noqa: E402
from tests.xds_registry import messages as m  # noqa: E402

SMALL = 10_000


def _iti18(session: requests.Session, url: str, n: int) -> float:
    body = m.query(FIND_DOCUMENTS.id, "LeafClass", XDSDocumentEntryPatientId=f"'{patient_id(n)}'",
                   XDSDocumentEntryStatus=APPROVED)  # fmt: skip
    data, _ = soap_client.envelope(ITI_18.request_action, body, url)
    started = time.perf_counter()
    answer = session.post(url, data=data, timeout=60,
                          headers={"Content-Type": "application/soap+xml"})  # fmt: skip
    elapsed = time.perf_counter() - started
    assert answer.content.count(b"<rim:ExtrinsicObject") == PER_PATIENT, answer.content[:500]
    return elapsed


def _iti67(session: requests.Session, url: str, n: int) -> float:
    pid = patient_id(n).split("^", 1)[0]
    params = {"patient.identifier": f"urn:oid:{m.AUTHORITY}|{pid}", "status": "current",
              "_count": str(PER_PATIENT)}  # fmt: skip
    started = time.perf_counter()
    answer = session.get(url, params=params, timeout=60)
    elapsed = time.perf_counter() - started
    assert answer.status_code == 200, answer.text[:500]
    assert answer.json()["total"] == PER_PATIENT
    return elapsed


def _search_worker(args: tuple[str, str, int, float]) -> list[float]:
    kind, url, patients_n, seconds = args
    call = _iti18 if kind == "ITI-18" else _iti67
    session = requests.Session()
    timings: list[float] = []
    deadline = time.monotonic() + seconds
    i = os.getpid()
    while time.monotonic() < deadline and len(timings) < 20000:
        i = (i * 7919 + 13) % patients_n
        timings.append(call(session, url, i))
    return timings


def measure_search(server: LiveServer, patients_n: int, seconds: float) -> dict[str, Any]:
    """p50/p99 of ITI-18 and ITI-67 for the same queries, two client processes each."""
    urls = {"ITI-18": server.registry_url, "ITI-67": f"{server.base_url}/fhir/DocumentReference"}
    out: dict[str, Any] = {}
    with multiprocessing.Pool(2) as pool:
        for kind, url in urls.items():
            _search_worker((kind, url, patients_n, 1.0))  # warm-up (WSDL, caches)
            runs = pool.map(_search_worker, [(kind, url, patients_n, seconds)] * 2)
            timings = sorted(t for run in runs for t in run)
            out[kind] = {
                "requests": len(timings),
                "p50_ms": round(statistics.median(timings) * 1000, 2),
                "p99_ms": round(timings[max(int(len(timings) * 0.99) - 1, 0)] * 1000, 2),
            }
    out["p50_ratio_iti67_over_iti18"] = round(out["ITI-67"]["p50_ms"] / out["ITI-18"]["p50_ms"], 2)
    return out


def _provide_worker(args: tuple[str, str, float]) -> int:
    base_url, reference, seconds = args
    session = requests.Session()
    done = 0
    deadline = time.monotonic() + seconds
    content = bytes(range(256)) * 8
    while time.monotonic() < deadline and done < 50000:
        body = json.dumps(comprehensive_bundle(reference, content))
        answer = session.post(f"{base_url}/fhir", data=body, timeout=60,
                              headers={"Content-Type": "application/fhir+json"})  # fmt: skip
        assert answer.status_code == 200, answer.text[:1000]
        done += 1
    return done


def measure_provide(server: LiveServer, seconds: float) -> dict[str, Any]:
    """ITI-65 single-document bundles per second, two client processes."""
    patient = Facade(server).new_patient()
    _provide_worker((server.base_url, patient.reference, 1.0))  # warm-up
    with multiprocessing.Pool(2) as pool:
        counts = pool.map(_provide_worker, [(server.base_url, patient.reference, seconds)] * 2)
    return {"bundles": sum(counts), "per_second": round(sum(counts) / seconds, 1)}


def run(documents: int, seconds: float, tmp: Path, keep: Path | None) -> dict[str, Any]:
    """Load (or reuse) the database, then measure search and ITI-65."""
    result: dict[str, Any] = {"backend": "sqlite", "documents": documents}
    if documents <= SMALL and keep is None:
        server = start_server(tmp / "small", "sqlite", {"BEELDPORTAAL_WORKERS": "2"})
        url = server.env["BEELDPORTAAL_DATABASE_URL"]
        load_s: float | None = load(url, 0, documents // PER_PATIENT)
    else:
        home = (keep / "sqlite") if keep else tmp / "big"
        home.mkdir(parents=True, exist_ok=True)
        server, load_s = big_server("sqlite", home, documents)
    try:
        result["load_s"] = None if load_s is None else round(load_s, 1)
        result["search"] = measure_search(server, documents // PER_PATIENT, seconds)
        result["iti65"] = measure_provide(server, seconds)
    finally:
        server.stop()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--keep", type=Path, help="folder with (or for) the big SQLite database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-fhir-") as tmp:
        print(f"== sqlite, {args.documents} DocumentEntries: loading and measuring ...", flush=True)
        result = run(args.documents, args.seconds, Path(tmp), args.keep)
    print(json.dumps(result, indent=2), flush=True)
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / f"fhir-{args.documents}.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
