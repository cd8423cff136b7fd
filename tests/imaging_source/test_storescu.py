"""The Storage SCP against dcmtk's storescu, a real-world SCU written in C (PS3.4 Annex B).

storescu reads each file and sends its Data Set in the file's own transfer syntax when that
syntax was accepted (``-xr`` proposes RLE Lossless besides the uncompressed syntaxes, so
nothing is converted); the stored Data Set must equal the file's Data Set byte for byte.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from imaging_source import part10
from imaging_source.index.tables import ImagingInstance
from imaging_source.scp import ScpHandle
from imaging_source.store import InstanceStore
from tests.imaging_source.conftest import AE_TITLE
from tests.imaging_source.dicom_factory import StudyPlan, ct_files, make_mr_rle


def dataset_bytes(data: bytes) -> bytes:
    return data[part10.read_file_meta(data[: part10.HEAD_BYTES]).dataset_offset :]


def send(storescu: str, port: int, files: list[Path], *extra: str) -> float:
    """Run storescu once for ``files``; return the seconds it took."""
    cmd = [storescu, "-aet", "DCMTK_SCU", "-aec", AE_TITLE, *extra, "127.0.0.1", str(port)]
    start = time.perf_counter()
    done = subprocess.run([*cmd, *map(str, files)], capture_output=True, text=True, timeout=300)
    elapsed = time.perf_counter() - start
    assert done.returncode == 0, done.stderr
    return elapsed


def write(folder: Path, files: list[bytes]) -> list[Path]:
    folder.mkdir()
    paths = [folder / f"IM{n:05d}" for n in range(len(files))]
    for path, data in zip(paths, files, strict=True):
        path.write_bytes(data)
    return paths


def test_storescu_study_is_stored_byte_identical(
    storescu: str, scp: ScpHandle, store: InstanceStore, read: sessionmaker[Session], tmp_path: Path
) -> None:
    ct = [data for _, data in ct_files(StudyPlan())]
    mr = make_mr_rle(count=2)
    paths = write(tmp_path / "in", ct + mr)
    send(storescu, scp.port, paths, "-xr")
    with read() as s:
        rows = {r.sop_instance_uid: r for r in s.scalars(select(ImagingInstance))}
    assert len(rows) == 12
    for path in paths:
        sent = path.read_bytes()
        uid = part10.read_file_meta(sent).sop_instance_uid
        row = rows[uid]
        assert row.origin == "c-store:DCMTK_SCU"
        assert dataset_bytes(store.path_of(row.file_key).read_bytes()) == dataset_bytes(sent)
    rle = {part10.read_file_meta(m).sop_instance_uid for m in mr}
    assert {rows[u].transfer_syntax_uid for u in rle} == {"1.2.840.10008.1.2.5"}


def test_storescu_throughput_of_100_small_instances(
    storescu: str, scp: ScpHandle, read: sessionmaker[Session], tmp_path: Path
) -> None:
    files = [data for _, data in ct_files(StudyPlan(series=4, instances=25))]
    paths = write(tmp_path / "bulk", files)
    elapsed = send(storescu, scp.port, paths, "--max-pdu", "131072")
    size = sum(map(len, files)) / len(files) / 1024
    print(
        f"\nC-STORE dcmtk storescu -> SCP: 100 instances of {size:.0f} KiB in {elapsed:.2f} s, "
        f"{100 / elapsed:.0f} instances/s (fsync on, one association)"
    )
    with read() as s:
        assert s.scalar(select(func.count()).select_from(ImagingInstance)) == 100
