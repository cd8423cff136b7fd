"""Imaging benchmark (issue: XDS-I.b Imaging Document Source, DICOMweb): us next to Orthanc.

In one run, in one temp folder:

1. Generates a CT-like study (default 500 instances of 512x512, 16-bit, 2 series; ~260 MB)
   twice (A for C-STORE and retrieval, B for STOW-RS) and 2,000 one-instance studies of 16x16
   spread over 200 patients (for QIDO-RS).
2. Starts Orthanc (Debian's package, with its DICOMweb plugin; ``TCP_NODELAY=1`` in its
   environment, ``SyncStorageArea`` left at its default ``true``: fsync per file) and
   ``beeldportaal serve`` (own temp home, SQLite, 2 workers, durable store: fsync per file).
3. Measures, each against both:
   - C-STORE ingest of A with dcmtk's ``storescu`` (``TCP_NODELAY=1``, 128 KiB PDU, one
     association): instances/s; also, for scale, into our SCP's pynetdicom AE (same PDU size
     and socket options) with a handler that stores nothing: the transport's own ceiling;
   - STOW-RS of B in one request (the same multipart body file for both): s and MB/s;
   - WADO-RS retrieve of the whole study A with ``curl -o /dev/null`` (median of 3): MB/s;
   - WADO-RS study metadata of A (median of 5 after one warm-up): ms;
   - QIDO-RS ``/studies?PatientID=...`` with the small studies indexed (median of 20): ms;
   - peak RSS (VmHWM, reset before) of our workers while retrieving A, and with ``--big`` a
     2 GB study (ours only).

Targets (ours / Orthanc): C-STORE >= 0.9x, STOW-RS >= 1.0x, WADO-RS retrieve >= 1.0x,
QIDO-RS >= 3x (faster), study metadata <= 20 ms for 500 instances, worker peak RSS < 300 MB
while retrieving a 2 GB study. MB = 10^6 bytes. Writes ``bench/out/imaging.json``. Loopback
only; every request and command has a timeout; the temp folder is removed at the end.

Usage: ``python bench/imaging.py [--instances 500] [--studies 2000] [--big]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import requests
from pydicom.uid import generate_uid
from pynetdicom import evt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.repository import children, others_running, peak_rss_mb  # noqa: E402
from imaging_source import scp  # noqa: E402
from tests.conftest import LiveServer, free_port, start_server  # noqa: E402
from tests.imaging_source.dicom_factory import Patient, StudyPlan, make_instance, part10  # noqa: E402
from tests.imaging_source.orthanc import Orthanc, ensure_installed  # noqa: E402

MB = 1_000_000
TIMEOUT = 1800
OUR_AE = "BEELDPORTAAL"
DICOM = 'multipart/related; type="application/dicom"'
TARGETS = {"cstore": 0.9, "stow": 1.0, "wado": 1.0, "qido": 3.0, "metadata_ms": 20.0,
           "rss_mb": 300.0}  # fmt: skip


def generate_study(folder: Path, instances: int, size: int, patient: str) -> tuple[str, int]:
    """Write a CT-like study (2 series) of ``size``x``size`` 16-bit images; (UID, bytes)."""
    folder.mkdir(parents=True)
    plan = StudyPlan(patient=Patient(patient_id=patient), accession=patient[-16:], series=2,
                     instances=instances)  # fmt: skip
    rng = np.random.default_rng(instances)
    base = (np.add.outer(np.arange(size), np.arange(size)) * 3 % 4096).astype("<u2")
    series = [generate_uid(), generate_uid()]
    total = 0
    for n in range(instances):
        s = n * 2 // instances
        ds = make_instance(plan, series[s], s, n)
        ds.Rows = ds.Columns = size
        noise = rng.integers(0, 64, size=(size, size), dtype="<u2")
        ds.PixelData = ((base + noise + n) % 4096).astype("<u2").tobytes()
        data = part10(ds)
        (folder / f"IM{n:05d}.dcm").write_bytes(data)
        total += len(data)
    return plan.study_uid, total


def small_studies(count: int, patients: int) -> list[bytes]:
    """``count`` one-instance studies of 16x16 pixels over ``patients`` patients."""
    out = []
    for n in range(count):
        plan = StudyPlan(patient=Patient(patient_id=f"PQ-{n % patients:04d}"),
                         accession=f"Q{n:06d}", series=1, instances=1)  # fmt: skip
        ds = make_instance(plan, generate_uid(), 0, 0)
        ds.Rows = ds.Columns = 16
        ds.PixelData = bytes(16 * 16 * 2)
        del ds.IconImageSequence
        out.append(part10(ds))
    return out


def multipart(parts: list[Path] | list[bytes], target: Path) -> str:
    """Write a ``multipart/related`` body of DICOM parts to ``target``; its Content-Type."""
    boundary = uuid.uuid4().hex
    with target.open("wb") as out:
        for part in parts:
            out.write(f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode())
            out.write(part.read_bytes() if isinstance(part, Path) else part)
            out.write(b"\r\n")
        out.write(f"--{boundary}--\r\n".encode())
    return f"{DICOM}; boundary={boundary}"


def stow(url: str, body: Path, content_type: str) -> float:
    """POST one STOW-RS body; seconds until the answer (200 required)."""
    started = time.perf_counter()
    with body.open("rb") as f:
        answer = requests.post(url, data=f, timeout=TIMEOUT, headers={
            "Content-Type": content_type, "Accept": "application/dicom+json"})  # fmt: skip
    seconds = time.perf_counter() - started
    if answer.status_code != 200:
        raise RuntimeError(f"STOW-RS {url}: HTTP {answer.status_code}: {answer.text[:300]}")
    return seconds


def storescu(ae: str, port: int, folder: Path) -> float:
    """dcmtk storescu of every file in ``folder`` on one association; seconds."""
    cmd = ["storescu", "-aet", "BENCH", "-aec", ae, "--max-pdu", "131072", "+sd",
           "127.0.0.1", str(port), str(folder)]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT,
                          env={**os.environ, "TCP_NODELAY": "1"})  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"storescu to {ae}: {done.stderr[-500:]}")
    return time.perf_counter() - started


def pynetdicom_floor(folder: Path) -> float:
    """storescu into our SCP's AE whose C-STORE handler stores nothing; seconds."""
    handlers = [(evt.EVT_C_STORE, lambda _event: 0x0000), *scp.socket_handlers()]
    ae = scp.build_ae(OUR_AE)
    server = ae.start_server(("127.0.0.1", 0), block=False, evt_handlers=handlers)
    assert server is not None
    try:
        return storescu(OUR_AE, int(server.server_address[1]), folder)
    finally:
        server.shutdown()


def curl_retrieve(url: str) -> tuple[float, int]:
    """WADO-RS retrieve with curl into /dev/null; (seconds, bytes)."""
    done = subprocess.run(
        ["curl", "-s", "-S", "-o", "/dev/null", "--max-time", str(TIMEOUT), "-H",
         f"Accept: {DICOM}", "-w", "%{http_code} %{size_download} %{time_total}", url],
        capture_output=True, text=True, timeout=TIMEOUT + 30, check=True,
    )  # fmt: skip
    status, size, seconds = done.stdout.split()
    if status != "200":
        raise RuntimeError(f"WADO-RS {url}: HTTP {status}")
    return float(seconds), int(size)


def median_ms(session: requests.Session, url: str, accept: str, repeat: int) -> float:
    """Median milliseconds of ``repeat`` GETs after one warm-up (200 required)."""
    runs = []
    for n in range(repeat + 1):
        started = time.perf_counter()
        answer = session.get(url, headers={"Accept": accept}, timeout=TIMEOUT)
        elapsed = (time.perf_counter() - started) * 1000
        if answer.status_code != 200:
            raise RuntimeError(f"GET {url}: HTTP {answer.status_code}")
        if n:
            runs.append(elapsed)
    return statistics.median(runs)


class Sides:
    """The two servers and their DICOMweb roots."""

    def __init__(self, server: LiveServer, pacs: Orthanc) -> None:
        self.server, self.pacs = server, pacs
        self.web = {"ours": f"{server.base_url}/dicomweb", "orthanc": pacs.dicomweb_url}
        self.dicom = {"ours": (OUR_AE, int(server.env["BEELDPORTAAL_DICOM_PORT"])),
                      "orthanc": (pacs.ae_title, pacs.dicom_port)}  # fmt: skip

    def workers(self) -> list[int]:
        return children(self.server.process.pid)

    def reset_peaks(self) -> None:
        """Reset VmHWM of our workers (``/proc/PID/clear_refs`` 5, Linux >= 4.0)."""
        for pid in self.workers():
            Path(f"/proc/{pid}/clear_refs").write_text("5")

    def peak_mb(self) -> float:
        return max(peak_rss_mb(pid) for pid in self.workers())


def each(sides: Sides, measure: Callable[[str], float]) -> dict[str, float]:
    return {side: measure(side) for side in ("orthanc", "ours")}


def run(args: argparse.Namespace, tmp: Path, sides: Sides) -> dict[str, Any]:
    r: dict[str, Any] = {}
    print(f"== generating 2 studies of {args.instances} x {args.size}^2 ...", flush=True)
    uid_a, bytes_a = generate_study(tmp / "a", args.instances, args.size, "BENCH-A")
    _, bytes_b = generate_study(tmp / "b", args.instances, args.size, "BENCH-B")
    r["study_mb"] = bytes_a / MB
    print("== C-STORE (storescu) ...", flush=True)
    seconds = each(sides, lambda s: storescu(*sides.dicom[s], tmp / "a"))
    r["cstore_instances_s"] = {s: args.instances / t for s, t in seconds.items()}
    r["cstore_floor_instances_s"] = args.instances / pynetdicom_floor(tmp / "a")
    print("== STOW-RS (one request) ...", flush=True)
    body = tmp / "stow.body"
    ctype = multipart(sorted((tmp / "b").iterdir()), body)
    seconds = each(sides, lambda s: stow(f"{sides.web[s]}/studies", body, ctype))
    r["stow_mb_s"] = {s: bytes_b / MB / t for s, t in seconds.items()}
    body.unlink()
    print("== WADO-RS study retrieve (curl, median of 3) ...", flush=True)
    sides.reset_peaks()

    def wado(side: str) -> float:
        runs = [curl_retrieve(f"{sides.web[side]}/studies/{uid_a}") for _ in range(3)]
        return statistics.median(size / MB / t for t, size in runs)

    r["wado_mb_s"] = each(sides, wado)
    r["rss_mb_retrieve_study"] = sides.peak_mb()
    print("== WADO-RS study metadata (median of 5) ...", flush=True)
    http = requests.Session()
    r["metadata_ms"] = each(
        sides,
        lambda s: median_ms(
            http, f"{sides.web[s]}/studies/{uid_a}/metadata", "application/dicom+json", 5
        ),
    )
    print(f"== loading {args.studies} small studies into both (STOW-RS) ...", flush=True)
    tiny = small_studies(args.studies, max(1, args.studies // 10))
    for start in range(0, len(tiny), 250):
        batch_type = multipart(tiny[start : start + 250], body)
        for side in ("orthanc", "ours"):
            stow(f"{sides.web[side]}/studies", body, batch_type)
    print("== QIDO-RS studies by PatientID (median of 20) ...", flush=True)
    r["qido_ms"] = each(
        sides,
        lambda s: median_ms(
            http, f"{sides.web[s]}/studies?PatientID=PQ-0007", "application/dicom+json", 20
        ),
    )
    if args.big:
        r["rss_mb_retrieve_big"] = big_retrieve(args, tmp, sides)
    return r


def big_retrieve(args: argparse.Namespace, tmp: Path, sides: Sides) -> float:
    """Load a ~2 GB study into us (storescu) and retrieve it; workers' peak RSS in MB."""
    count = int(2_000 * MB / (args.size * args.size * 2))
    print(f"== --big: {count} instances (~2 GB) into us, then WADO-RS ...", flush=True)
    uid, _ = generate_study(tmp / "big", count, args.size, "BENCH-BIG")
    storescu(*sides.dicom["ours"], tmp / "big")
    sides.reset_peaks()
    curl_retrieve(f"{sides.web['ours']}/studies/{uid}")
    return sides.peak_mb()


def verdicts(r: dict[str, Any]) -> list[tuple[str, float | None, str, bool | None]]:
    """(figure, value, target, met) for each target."""

    def ratio(key: str, inverse: bool = False) -> float:
        ours, orthanc = r[key]["ours"], r[key]["orthanc"]
        return float(orthanc / ours if inverse else ours / orthanc)

    t = TARGETS
    rows: list[tuple[str, float | None, str, bool | None]] = [
        ("C-STORE ours/Orthanc", ratio("cstore_instances_s"), f">= {t['cstore']}", None),
        ("STOW-RS ours/Orthanc", ratio("stow_mb_s"), f">= {t['stow']}", None),
        ("WADO-RS retrieve ours/Orthanc", ratio("wado_mb_s"), f">= {t['wado']}", None),
        ("QIDO-RS Orthanc ms / ours ms", ratio("qido_ms", inverse=True), f">= {t['qido']}", None),
    ]
    rows = [(n, v, lim, v is not None and v >= float(lim.split()[1])) for n, v, lim, _ in rows]
    meta = r["metadata_ms"]["ours"]
    rows.append(("study metadata ms (ours)", meta, f"<= {t['metadata_ms']}",
                 meta <= t["metadata_ms"]))  # fmt: skip
    big = r.get("rss_mb_retrieve_big")
    rows.append(("worker peak RSS MB, 2 GB retrieve", big, f"< {t['rss_mb']}",
                 None if big is None else big < t["rss_mb"]))  # fmt: skip
    return rows


def report(r: dict[str, Any]) -> None:
    print(f"\nstudy: {r['study_mb']:.0f} MB")
    for key, unit in (("cstore_instances_s", "instances/s"), ("stow_mb_s", "MB/s"),
                      ("wado_mb_s", "MB/s"), ("metadata_ms", "ms"), ("qido_ms", "ms")):  # fmt: skip
        print(f"{key:20s} Orthanc {r[key]['orthanc']:9.1f}   ours {r[key]['ours']:9.1f}  {unit}")
    print(f"C-STORE into a pynetdicom SCP storing nothing: {r['cstore_floor_instances_s']:.1f} "
          "instances/s (the transport's ceiling for ours)")  # fmt: skip
    print(f"worker peak RSS while retrieving the study: {r['rss_mb_retrieve_study']:.0f} MB")
    for name, value, limit, met in verdicts(r):
        shown = "-" if value is None else f"{value:.2f}"
        verdict = {True: "met", False: "NOT met", None: "not measured (--big)"}[met]
        print(f"{name}: {shown} (target {limit}): {verdict}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instances", type=int, default=500, help="instances per study")
    parser.add_argument("--size", type=int, default=512, help="rows = columns")
    parser.add_argument("--studies", type=int, default=2000, help="small studies for QIDO-RS")
    parser.add_argument("--big", action="store_true", help="also retrieve a 2 GB study")
    args = parser.parse_args()
    binary = ensure_installed(dicomweb=True)
    for line in others_running():
        print(f"warning: running at the same time: {line}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-imaging-") as name:
        tmp = Path(name)
        dicom_port = free_port()
        pacs = Orthanc(binary, tmp / "orthanc", {OUR_AE: dicom_port}, dicomweb=True)
        print("Orthanc settings: environment TCP_NODELAY=1; SyncStorageArea not set (default "
              "true: fsync per file); DICOMweb plugin; configuration:", flush=True)  # fmt: skip
        print(json.dumps(pacs.config(), indent=1))
        server = start_server(tmp / "server", "sqlite", {
            "BEELDPORTAAL_DICOM_PORT": str(dicom_port), "BEELDPORTAAL_WORKERS": "2"})  # fmt: skip
        try:
            with pacs:
                print(f"Orthanc {pacs.system()['Version']}; ours {server.base_url}", flush=True)
                result = run(args, tmp, Sides(server, pacs))
        finally:
            server.stop()
    result["args"] = vars(args)
    result["loadavg_end"] = os.getloadavg()
    report(result)
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "imaging.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
