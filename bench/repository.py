"""Repository benchmark (issue: XDS.b Document Repository, ITI-41 / ITI-43).

In one run, on one temp folder (the server's home, the source files and the ``dd`` file):

1. The disk's own write rate: ``dd if=/dev/zero of=<tmp>/dd.bin bs=1M count=1024
   conv=fdatasync``, three times.
2. Starts ``beeldportaal serve`` (SQLite, 2 workers, durable filesystem store) and a private
   nginx (Debian package, installed when missing and root; 127.0.0.1, sendfile on,
   access_log off, one worker) that serves the folder of source files.
3. For each size (default 1 MiB, 100 MiB, 1 GiB; the file is generated on disk and fsynced
   first): ITI-41 ingest with the test client (MTOM streamed from the file; time until the
   RegistryResponse is back, so it includes storing, fsync and registering); ITI-43 retrieve
   with the test client (the answer streamed to a staging file, SHA-1 checked) and with
   ``curl -o /dev/null`` posting the same envelope; nginx serving the same file to
   ``curl -o /dev/null``. Each measurement three times, the median is reported. After each
   size, the peak RSS (VmHWM) of the gunicorn workers.

Rates are MB/s with MB = 10^6 bytes (as ``dd`` prints them), computed from the document's
size (not the MIME framing around it). Targets: ITI-43 (curl) >= 0.9 x nginx at 1 GiB;
ITI-41 >= 150 MB/s and >= 0.6 x the dd rate at 1 GiB; worker peak RSS < 150 MB at every size.
Writes ``bench/out/repository.json``. Loopback only; every request has a timeout; the temp
folder (documents, files, nginx state) is removed at the end.

Usage: ``python bench/repository.py [--sizes 1M,100M,1G] [--repeat 3] [--dd-mib 1024]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.nginx import Nginx, ensure_installed  # noqa: E402
from profiles import namespaces as ns  # noqa: E402
from profiles.vocabulary import ResponseStatus  # noqa: E402
from tests.conftest import LiveServer, free_port, start_server  # noqa: E402
from tests.xds_registry import messages as m  # noqa: E402
from tests.xds_repository import messages as r  # noqa: E402
from xds_common import soap  # noqa: E402

MIB = 1 << 20
MB = 1_000_000
TIMEOUT = 600  # seconds, per request / command
UNITS = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
DD_RATE = re.compile(r"(\d+) bytes .*copied, ([\d.]+) s, ([\d.]+) ([kMGT]?B)/s")
TARGET_SIZE = 1 << 30
ITI43_VS_NGINX, ITI41_MIN_MBS, ITI41_VS_DD, RSS_MAX_MB = 0.9, 150.0, 0.6, 150.0


def parse_size(text: str) -> int:
    """``1M`` -> 1 MiB, ``100M``, ``1G``, ``512K`` or plain bytes."""
    text = text.strip().upper().removesuffix("IB").removesuffix("B")
    if text and text[-1] in UNITS:
        return int(float(text[:-1]) * UNITS[text[-1]])
    return int(text)


def label(size: int) -> str:
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} B"


def rate(size: int, seconds: float) -> float:
    return size / MB / seconds


def generate(path: Path, size: int, seed: int) -> str:
    """Write ``size`` pseudo-random bytes to ``path`` one MiB at a time, fsync; return SHA-1."""
    rng = random.Random(seed)
    digest = hashlib.sha1()
    with path.open("wb") as out:
        left = size
        while left > 0:
            chunk = rng.randbytes(min(MIB, left))
            digest.update(chunk)
            out.write(chunk)
            left -= len(chunk)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()


def disk_write_rate(folder: Path, mib: int) -> dict[str, Any]:
    """``dd ... conv=fdatasync`` into ``folder``: seconds and MB/s from its summary line."""
    target = folder / "dd.bin"
    try:
        done = subprocess.run(
            ["dd", "if=/dev/zero", f"of={target}", "bs=1M", f"count={mib}", "conv=fdatasync"],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            env={**os.environ, "LC_ALL": "C"},
            check=True,
        )
    finally:
        target.unlink(missing_ok=True)
    line = done.stderr.strip().splitlines()[-1]
    found = DD_RATE.search(line)
    if not found:
        raise RuntimeError(f"cannot parse dd output: {done.stderr!r}")
    copied, seconds = int(found[1]), float(found[2])
    return {"line": line, "seconds": seconds, "mb_s": rate(copied, seconds)}


def curl_get(args: list[str], expect_bytes: int) -> float:
    """Run curl with ``-o /dev/null``; check status 200 and size; return time_total."""
    done = subprocess.run(
        ["curl", "-s", "-S", "-o", "/dev/null", "--max-time", str(TIMEOUT),
         "-w", "%{http_code} %{size_download} %{time_total}", *args],
        capture_output=True, text=True, timeout=TIMEOUT + 30, check=True,
    )  # fmt: skip
    status, size, seconds = done.stdout.split()
    if status != "200" or int(size) < expect_bytes:
        raise RuntimeError(f"curl {args[-1]}: HTTP {status}, {size} bytes: {done.stderr}")
    return float(seconds)


def children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def peak_rss_mb(pid: int) -> float:
    """VmHWM of a process in MB (10^6 bytes)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / MB
    raise RuntimeError(f"no VmHWM for {pid}")


def median_of(repeat: int, measure: Callable[[], float]) -> tuple[float, list[float]]:
    runs = [measure() for _ in range(repeat)]
    return statistics.median(runs), runs


class Bench:
    """One server, one nginx, one patient; measurements per document size."""

    def __init__(self, server: LiveServer, nginx: Nginx, files: Path, tmp: Path) -> None:
        self.server = server
        self.nginx = nginx
        self.files = files
        self.tmp = tmp
        self.url = server.base_url + "/xds/repository"
        health = requests.get(server.base_url + "/health", timeout=30).json()
        self.repository_id = str(health["repository_unique_ids"][0])
        self.patient = m.new_patient()
        server.cli("patients", "add", self.patient)

    def provide(self, path: Path, sha1: str, size: int) -> tuple[float, str]:
        """One ITI-41 of ``path``; (seconds, documentUniqueId)."""
        doc = m.Doc(hash=sha1, size=str(size))
        started = time.perf_counter()
        response = r.post_provide(self.url, self.patient, [doc], [r.Attachment(doc.id, path)])
        seconds = time.perf_counter() - started
        status = response.get("status") if response is not None else None
        if status != ResponseStatus.SUCCESS:
            raise RuntimeError(f"ITI-41 of {label(size)} answered {status}")
        return seconds, doc.unique_id

    def retrieve_python(self, unique_id: str, sha1: str, size: int) -> float:
        """One ITI-43 with the test client, the answer streamed to a staging file."""
        staging = self.tmp / "staging"
        staging.mkdir(exist_ok=True)
        started = time.perf_counter()
        with r.post_retrieve(self.url, [(self.repository_id, unique_id)], staging) as message:
            seconds = time.perf_counter() - started
            document = message.envelope.find(f".//{{{ns.XDSB}}}Document")
            if document is None:
                raise RuntimeError("ITI-43 answer has no Document")
            part = message.content(document)
            if (part.size, part.sha1) != (size, sha1):
                raise RuntimeError(f"ITI-43 returned {part.size} bytes, sha1 {part.sha1}")
        return seconds

    def retrieve_curl(self, unique_id: str, size: int) -> float:
        """One ITI-43 posted by curl, the answer discarded (``-o /dev/null``)."""
        request = self.tmp / "retrieve.xml"
        request.write_bytes(r.retrieve_request(self.url, [(self.repository_id, unique_id)]))
        return curl_get(
            ["-H", f"Content-Type: {soap.SOAP_CONTENT_TYPE}", "--data-binary", f"@{request}",
             self.url], size,
        )  # fmt: skip

    def nginx_get(self, name: str, size: int) -> float:
        return curl_get([f"{self.nginx.base_url}/{name}"], size)

    def workers(self) -> dict[int, float]:
        return {pid: peak_rss_mb(pid) for pid in children(self.server.process.pid)}

    def warm_up(self) -> None:
        """One small ITI-41 / ITI-43 round so imports and connections are not measured."""
        path = self.files / "warm-up.bin"
        sha1 = generate(path, 4096, seed=0)
        for _ in range(2):
            _, unique_id = self.provide(path, sha1, 4096)
            self.retrieve_python(unique_id, sha1, 4096)
            self.retrieve_curl(unique_id, 4096)
            self.nginx_get(path.name, 4096)
        path.unlink()

    def measure(self, size: int, repeat: int) -> dict[str, Any]:
        name = f"doc-{size}.bin"
        path = self.files / name
        print(f"== {label(size)}: generating ...", flush=True)
        sha1 = generate(path, size, seed=size)
        try:
            print(f"== {label(size)}: ITI-41 x{repeat} ...", flush=True)
            ingests = [self.provide(path, sha1, size) for _ in range(repeat)]
            unique_id = ingests[-1][1]
            provide_s = statistics.median(s for s, _ in ingests)
            print(f"== {label(size)}: ITI-43 (python, curl) and nginx x{repeat} ...", flush=True)
            python_s, python_runs = median_of(
                repeat, lambda: self.retrieve_python(unique_id, sha1, size)
            )
            curl_runs: list[float] = []
            nginx_runs: list[float] = []
            for _ in range(repeat):  # interleaved, so drift hits both alike
                curl_runs.append(self.retrieve_curl(unique_id, size))
                nginx_runs.append(self.nginx_get(name, size))
        finally:
            path.unlink(missing_ok=True)
        curl_s, nginx_s = statistics.median(curl_runs), statistics.median(nginx_runs)
        workers = self.workers()
        return {
            "size": size,
            "label": label(size),
            "iti41": {"seconds": [s for s, _ in ingests], "median_s": provide_s,
                      "mb_s": rate(size, provide_s)},
            "iti43_python": {"seconds": python_runs, "median_s": python_s,
                             "mb_s": rate(size, python_s)},
            "iti43_curl": {"seconds": curl_runs, "median_s": curl_s, "mb_s": rate(size, curl_s)},
            "nginx": {"seconds": nginx_runs, "median_s": nginx_s, "mb_s": rate(size, nginx_s)},
            "worker_peak_rss_mb": {str(pid): round(mb, 1) for pid, mb in workers.items()},
            "peak_rss_mb": max(workers.values()) if workers else float("nan"),
        }  # fmt: skip


def table(rows: list[dict[str, Any]], dd_mb_s: float) -> str:
    header = (
        "size", "ITI-41 MB/s", "ITI-43 MB/s py / curl", "nginx MB/s", "ITI-43/nginx py / curl",
        "dd MB/s", "ITI-41/dd", "peak RSS MB",
    )  # fmt: skip
    lines = [header]
    for row in rows:
        iti41, nginx = row["iti41"]["mb_s"], row["nginx"]["mb_s"]
        py, curl = row["iti43_python"]["mb_s"], row["iti43_curl"]["mb_s"]
        lines.append((
            row["label"], f"{iti41:.0f}", f"{py:.0f} / {curl:.0f}", f"{nginx:.0f}",
            f"{py / nginx:.2f} / {curl / nginx:.2f}", f"{dd_mb_s:.0f}",
            f"{iti41 / dd_mb_s:.2f}", f"{row['peak_rss_mb']:.1f}",
        ))  # fmt: skip
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = [
        " | ".join(cell.rjust(w) for cell, w in zip(line, widths, strict=True)) for line in lines
    ]
    out.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(out)


def targets(rows: list[dict[str, Any]], dd_mb_s: float) -> list[dict[str, Any]]:
    """Each target with the value measured and whether it is met (None: size not measured)."""
    at = next((row for row in rows if row["size"] == TARGET_SIZE), None)
    found: list[dict[str, Any]] = []

    def add(name: str, value: float | None, limit: str, met: bool | None) -> None:
        found.append({"target": name, "value": value, "limit": limit, "met": met})

    if at is None:
        add("ITI-43 (curl) / nginx at 1 GiB", None, f">= {ITI43_VS_NGINX}", None)
        add("ITI-41 MB/s at 1 GiB", None, f">= {ITI41_MIN_MBS}", None)
        add("ITI-41 / dd at 1 GiB", None, f">= {ITI41_VS_DD}", None)
    else:
        ratio = at["iti43_curl"]["mb_s"] / at["nginx"]["mb_s"]
        add("ITI-43 (curl) / nginx at 1 GiB", ratio, f">= {ITI43_VS_NGINX}",
            ratio >= ITI43_VS_NGINX)  # fmt: skip
        iti41 = at["iti41"]["mb_s"]
        add("ITI-41 MB/s at 1 GiB", iti41, f">= {ITI41_MIN_MBS}", iti41 >= ITI41_MIN_MBS)
        add("ITI-41 / dd at 1 GiB", iti41 / dd_mb_s, f">= {ITI41_VS_DD}",
            iti41 / dd_mb_s >= ITI41_VS_DD)  # fmt: skip
    peak = max(row["peak_rss_mb"] for row in rows)
    add("worker peak RSS MB, every size", peak, f"< {RSS_MAX_MB}", peak < RSS_MAX_MB)
    return found


def others_running() -> list[str]:
    """Other benchmark / test processes on this machine (they would disturb the figures)."""
    done = subprocess.run(["pgrep", "-af", "bench/registry.py|pytest"], capture_output=True,
                          text=True, timeout=10)  # fmt: skip
    own = str(os.getpid())
    return [line for line in done.stdout.splitlines() if line and line.split()[0] != own]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1M,100M,1G", help="comma-separated, e.g. 1M,100M,1G")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dd-mib", type=int, default=1024, help="dd count (bs=1M)")
    args = parser.parse_args()
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    binary = ensure_installed()
    concurrent = others_running()
    for line in concurrent:
        print(f"warning: running at the same time: {line}", flush=True)
    result: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "kernel": platform.release(),
                    "python": platform.python_version(), "loadavg_start": os.getloadavg()},
        "concurrent_processes": concurrent,
        "repeat": args.repeat,
        "units": "MB = 10^6 bytes; rates from the document size; medians of `repeat` runs",
    }  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-repository-") as name:
        tmp = Path(name)
        files = tmp / "files"
        files.mkdir()
        print(f"== disk: dd bs=1M count={args.dd_mib} conv=fdatasync x{args.repeat} ...",
              flush=True)  # fmt: skip
        dd_runs = [disk_write_rate(tmp, args.dd_mib) for _ in range(args.repeat)]
        dd_mb_s = statistics.median(run["mb_s"] for run in dd_runs)
        result["dd"] = {"runs": dd_runs, "mb_s": dd_mb_s}
        print(f"   {dd_mb_s:.0f} MB/s (median; last: {dd_runs[-1]['line']})", flush=True)
        server = start_server(tmp / "server", "sqlite", {"BEELDPORTAAL_WORKERS": "2"})
        try:
            with Nginx(binary, files, tmp / "nginx", free_port()) as nginx:
                result["nginx_version"] = nginx.version()
                bench = Bench(server, nginx, files, tmp)
                bench.warm_up()
                rows = []
                for size in sizes:
                    row = bench.measure(size, args.repeat)
                    print(json.dumps(row), flush=True)
                    rows.append(row)
        finally:
            server.stop()
    result["sizes"] = rows
    result["targets"] = targets(rows, dd_mb_s)
    result["machine"]["loadavg_end"] = os.getloadavg()
    print()
    print(table(rows, dd_mb_s))
    print()
    for t in result["targets"]:
        verdict = {True: "met", False: "NOT met", None: "not measured"}[t["met"]]
        value = "-" if t["value"] is None else f"{t['value']:.2f}"
        print(f"{t['target']}: {value} (target {t['limit']}): {verdict}")
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "repository.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
