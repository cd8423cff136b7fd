"""Import a DVD (DICOMDIR), a folder or a zip of DICOM files into the imaging source.

Files referenced by a DICOMDIR come first, in its order, then every other file. Each file is
read only as far as needed to see whether it is DICOM (PS3.10 7.1: preamble and 'DICM'), so a
DVD's viewer software is skipped cheaply. Non-DICOM files are skipped; corrupt or truncated
DICOM files, and files a DICOMDIR references but the medium lacks, are reported; the import
goes on. Only running out of resources (disk full, database gone) stops it.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO, cast

from imaging_source import part10
from imaging_source.dicomdir import NAME as DICOMDIR
from imaging_source.dicomdir import DicomdirError, read_references
from imaging_source.errors import IngestError, Reason
from imaging_source.ingest import Ingestor


class Outcome(StrEnum):
    """What happened to one file."""

    STORED = "stored"
    DUPLICATE = "duplicate"  # already stored: identical instance
    SKIPPED = "skipped"  # not DICOM, or the DICOMDIR itself
    FAILED = "failed"  # corrupt, truncated, conflicting, unreadable


@dataclass(frozen=True)
class Entry:
    """One file of the source: its ``/``-separated relative name and how to open it."""

    name: str
    open: Callable[[], BinaryIO]


@dataclass(frozen=True)
class Progress:
    """Reported after each file: ``done`` of ``total`` files, this one's name and outcome."""

    done: int
    total: int
    name: str
    outcome: Outcome


@dataclass
class ImportReport:
    """The result of one import."""

    stored: int = 0
    duplicates: int = 0
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    studies: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        """True when nothing failed and nothing the DICOMDIR references was missing."""
        return not self.failed and not self.missing

    def summary(self) -> list[str]:
        """Human-readable lines: counts first, then every failed and missing file."""
        lines = [
            f"{self.stored} instances stored, {self.duplicates} already stored, "
            f"{len(self.studies)} studies; {len(self.skipped)} non-DICOM files skipped; "
            f"{len(self.failed)} failed; {len(self.missing)} missing"
        ]
        lines += [f"failed: {name}: {message}" for name, message in self.failed]
        lines += [f"missing (in DICOMDIR): {name}" for name in self.missing]
        return lines


def folder_entries(root: Path) -> list[Entry]:
    """Every regular file under ``root``, sorted by name."""
    files = sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    return [Entry(p.relative_to(root).as_posix(), _opener(p)) for p in files]


def _opener(path: Path) -> Callable[[], BinaryIO]:
    return lambda: path.open("rb")


def zip_entries(archive: zipfile.ZipFile) -> list[Entry]:
    """Every file member of ``archive`` (streamed on open, never extracted to disk)."""
    members = [info for info in archive.infolist() if not info.is_dir()]
    return [Entry(info.filename, _zip_opener(archive, info)) for info in members]


def _zip_opener(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], BinaryIO]:
    return lambda: cast(BinaryIO, archive.open(info))


def _is_dicomdir(entry: Entry) -> bool:
    return posixpath.basename(entry.name).upper() == DICOMDIR


def _ordered(entries: list[Entry], report: ImportReport) -> list[Entry]:
    """DICOMDIR-referenced files first (missing ones reported), then all others."""
    by_name = {entry.name.lower(): entry for entry in entries}
    first: dict[str, Entry] = {}
    for dicomdir in filter(_is_dicomdir, entries):
        folder = posixpath.dirname(dicomdir.name)
        try:
            with dicomdir.open() as f:
                references = read_references(f.read())
        except (DicomdirError, OSError) as exc:
            report.failed.append((dicomdir.name, str(exc)))
            continue
        for ref in references:
            name = posixpath.join(folder, ref.relative_path)
            entry = by_name.get(name.lower())
            if entry is None:
                report.missing.append(name)
            else:
                first.setdefault(entry.name, entry)
    rest = [e for e in entries if e.name not in first and not _is_dicomdir(e)]
    report.skipped += [e.name for e in entries if _is_dicomdir(e)]
    return [*first.values(), *rest]


def _import_one(entry: Entry, ingestor: Ingestor, report: ImportReport) -> Outcome:
    """Ingest one file and record its outcome; only OUT_OF_RESOURCES is raised."""
    try:
        with entry.open() as stream:
            result = ingestor.ingest(stream, origin="import")
    except IngestError as exc:
        if exc.reason is Reason.OUT_OF_RESOURCES:
            raise
        if exc.reason is Reason.NOT_DICOM:
            report.skipped.append(entry.name)
            return Outcome.SKIPPED
        report.failed.append((entry.name, str(exc)))
        return Outcome.FAILED
    except Exception as exc:  # unreadable member, bad zip entry: report, go on
        report.failed.append((entry.name, f"{Reason.CORRUPT}: {exc}"))
        return Outcome.FAILED
    report.studies.add(result.study_instance_uid)
    if result.duplicate:
        report.duplicates += 1
        return Outcome.DUPLICATE
    report.stored += 1
    return Outcome.STORED


def import_entries(
    entries: list[Entry], ingestor: Ingestor, progress: Callable[[Progress], None] | None = None
) -> ImportReport:
    """Import ``entries`` (see the module docstring for order and error handling)."""
    report = ImportReport()
    ordered = _ordered(entries, report)
    for done, entry in enumerate(ordered, 1):
        outcome = _import_one(entry, ingestor, report)
        if progress is not None:
            progress(Progress(done, len(ordered), entry.name, outcome))
    return report


@contextmanager
def _entries_of(path: Path) -> Iterator[list[Entry]]:
    """The entries of a folder, a zip file, a DICOMDIR (its folder) or a single file."""
    if path.is_dir():
        yield folder_entries(path)
    elif path.name.upper() == DICOMDIR:
        yield folder_entries(path.parent)
    elif not _starts_as_dicom(path) and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            yield zip_entries(archive)
    elif path.is_file():
        yield [Entry(path.name, _opener(path))]
    else:
        raise FileNotFoundError(f"no such file or folder: {path}")


def _starts_as_dicom(path: Path) -> bool:
    """True if ``path`` is a Part 10 file (checked before trying it as a zip)."""
    with path.open("rb") as f:
        return part10.is_part10(f.read(part10.PREAMBLE + 4))


def import_path(
    path: str | Path, ingestor: Ingestor, progress: Callable[[Progress], None] | None = None
) -> ImportReport:
    """Import a folder (with or without DICOMDIR), a zip file, a DICOMDIR or one file."""
    with _entries_of(Path(path)) as entries:
        return import_entries(entries, ingestor, progress)
