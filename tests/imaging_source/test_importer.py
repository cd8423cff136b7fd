"""Import of a DVD (DICOMDIR, PS3.10 8), a folder or a zip: good files in, the rest reported."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.fileset import FileSet
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from imaging_source import part10
from imaging_source.dicomdir import read_references
from imaging_source.importer import ImportReport, Outcome, Progress, import_path
from imaging_source.index.tables import ImagingInstance
from imaging_source.ingest import Ingestor
from imaging_source.store import InstanceStore
from tests.imaging_source.dicom_factory import make_mr_rle, make_study
from tests.imaging_source.dicom_factory import part10 as encode

NON_DICOM = {"AUTORUN.INF": b"[autorun]\r\nopen=VIEWER\\VIEWER.EXE\r\n", "README.TXT": b"Hi" * 50}


def burn_dvd(folder: Path) -> list[Path]:
    """A patient DVD: DICOMDIR plus 10 CT and 3 RLE MR instances, a viewer and an autorun."""
    fs = FileSet()
    for ds in make_study():
        fs.add(dcmread(io.BytesIO(encode(ds))))
    for data in make_mr_rle(count=3):
        fs.add(dcmread(io.BytesIO(data)))
    fs.write(folder)
    for name, data in NON_DICOM.items():
        (folder / name).write_bytes(data)
    (folder / "VIEWER").mkdir()
    (folder / "VIEWER" / "VIEWER.EXE").write_bytes(b"MZ" + random.Random(1).randbytes(200_000))
    return sorted(p for p in folder.rglob("IM*") if p.is_file())


def count(read: sessionmaker[Session]) -> int:
    with read() as s:
        return int(s.scalar(select(func.count()).select_from(ImagingInstance)) or 0)


@pytest.fixture
def dvd(tmp_path: Path) -> tuple[Path, list[Path]]:
    """A burnt DVD with one truncated and one missing instance."""
    folder = tmp_path / "dvd"
    images = burn_dvd(folder)
    truncated, missing = images[3], images[7]
    truncated.write_bytes(truncated.read_bytes()[:-1000])
    missing.unlink()
    return folder, images


def check_report(report: ImportReport, folder: Path, images: list[Path]) -> None:
    truncated, missing = images[3], images[7]
    assert report.stored == 11
    assert [name for name, _ in report.failed] == [truncated.relative_to(folder).as_posix()]
    assert "truncated" in report.failed[0][1]
    assert [m.upper() for m in report.missing] == [missing.relative_to(folder).as_posix()]
    assert sorted(report.skipped) == ["AUTORUN.INF", "DICOMDIR", "README.TXT", "VIEWER/VIEWER.EXE"]
    assert len(report.studies) == 2
    assert not report.ok


def test_dvd_import_stores_good_files_and_reports_the_rest(
    dvd: tuple[Path, list[Path]],
    ingestor: Ingestor,
    store: InstanceStore,
    read: sessionmaker[Session],
) -> None:
    folder, images = dvd
    seen: list[Progress] = []
    report = import_path(folder, ingestor, progress=seen.append)
    check_report(report, folder, images)
    assert count(read) == 11
    assert [p.done for p in seen] == list(range(1, len(seen) + 1))
    assert {p.total for p in seen} == {len(seen)} and len(seen) == 15  # 12 DICOM, 3 other
    assert [p.outcome for p in seen[:12]].count(Outcome.STORED) == 11  # DICOMDIR order first
    with read() as s:
        for row in s.scalars(select(ImagingInstance)):
            original = next(p for p in images if p.exists() and uid_of(p) == row.sop_instance_uid)
            assert store.path_of(row.file_key).read_bytes() == original.read_bytes()
    again = import_path(folder, ingestor)
    assert (again.stored, again.duplicates) == (0, 11)


def uid_of(path: Path) -> str:
    return part10.read_file_meta(path.read_bytes()[: part10.HEAD_BYTES]).sop_instance_uid


def test_lower_case_mount_resolves_dicomdir_references(
    dvd: tuple[Path, list[Path]], ingestor: Ingestor
) -> None:
    folder, images = dvd
    for path in sorted(folder.rglob("*"), key=lambda p: -len(p.parts)):
        path.rename(path.with_name(path.name.lower()))
    report = import_path(folder, ingestor)
    assert report.stored == 11
    assert [m.upper() for m in report.missing] == [images[7].relative_to(folder).as_posix()]


def test_zip_of_a_dvd(dvd: tuple[Path, list[Path]], ingestor: Ingestor, tmp_path: Path) -> None:
    folder, images = dvd
    archive = tmp_path / "dvd.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, "CD/" + path.relative_to(folder).as_posix())
    report = import_path(archive, ingestor)
    assert report.stored == 11
    assert [name for name, _ in report.failed] == ["CD/" + images[3].relative_to(folder).as_posix()]
    assert len(report.missing) == 1


def test_folder_without_dicomdir_and_single_files(ingestor: Ingestor, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    studies = make_study()
    for n, ds in enumerate(studies):
        (folder / f"{n}.dcm").write_bytes(encode(ds))
    (folder / "notes.txt").write_text("not an image")
    report = import_path(folder, ingestor)
    assert (report.stored, report.skipped, report.ok) == (10, ["notes.txt"], True)
    single = import_path(folder / "0.dcm", ingestor)
    assert single.duplicates == 1


def test_dicomdir_references_are_read_in_record_order(dvd: tuple[Path, list[Path]]) -> None:
    folder, images = dvd
    refs = read_references((folder / "DICOMDIR").read_bytes())
    assert len(refs) == 13
    assert {r.relative_path for r in refs} == {p.relative_to(folder).as_posix() for p in images}
    assert all(r.sop_instance_uid for r in refs)
