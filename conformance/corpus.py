"""Where the NIST test kit lives: test plans in their original layout, messages flattened.

The conformance corpus (``../shared/conformance/corpus`` from the project root, README §1)
keeps NIST XDS Toolkit ``testplan.xml``/``index.idx`` files under
``testplans/nist-tk2/tests/<test>/<section>/`` and the files a plan names (``MetadataFile``,
``Document``) flattened into per-transaction folders as
``nist-tk2__<test>__<section>__<file>`` (``/`` replaced by ``__``). A complete NIST testkit
(``toolkitx/testkit``, original layout with the files next to the plans) can be added as an
extra root; files found next to a plan win over flattened copies.
"""

from __future__ import annotations

import json
import os
import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

#: Environment variable that overrides the corpus location.
CORPUS_ENV = "BEELDPORTAAL_CONFORMANCE_CORPUS"
#: Flat-file prefix of the NIST XDS Toolkit files in the corpus (README §1).
NIST_PREFIX = "nist-tk2"


def project_root() -> Path:
    """The project root (the directory that holds ``conformance/``)."""
    return Path(__file__).resolve().parent.parent


def default_corpus_root() -> Path:
    """``$BEELDPORTAAL_CONFORMANCE_CORPUS`` or ``../shared/conformance/corpus``."""
    env = os.environ.get(CORPUS_ENV)
    if env:
        return Path(env)
    return project_root().parent / "shared" / "conformance" / "corpus"


@dataclass(frozen=True)
class ManifestCase:
    """The parts of a MANIFEST.json case (README §4) the engine judges with."""

    id: str
    transaction: str
    expected: str
    expected_error_codes: tuple[str, ...]
    implied_error_codes: tuple[str, ...]
    notes: str


@dataclass
class Corpus:
    """The corpus folder plus optional extra NIST testkit roots (``<root>/tests/<test>``)."""

    root: Path = field(default_factory=default_corpus_root)
    extra_testkits: tuple[Path, ...] = ()

    @property
    def testkit_roots(self) -> tuple[Path, ...]:
        """Roots in NIST layout; the corpus' own copy last."""
        return (*self.extra_testkits, self.root / "testplans" / NIST_PREFIX)

    def test_dir(self, test: str) -> Path | None:
        """Directory of NIST test ``test`` (e.g. ``12346``), or None if no root has it."""
        for root in self.testkit_roots:
            candidate = root / "tests" / test
            if (candidate / "index.idx").is_file() or any(candidate.glob("*/testplan.xml")):
                return candidate
        return None

    def test_ids(self) -> list[str]:
        """Every test id found in any root, sorted."""
        found: set[str] = set()
        for root in self.testkit_roots:
            tests = root / "tests"
            if tests.is_dir():
                found.update(p.name for p in tests.iterdir() if p.is_dir())
        return sorted(found)

    @cached_property
    def _flat_index(self) -> dict[str, Path]:
        index: dict[str, Path] = {}
        if not self.root.is_dir():
            return index
        for folder in sorted(self.root.iterdir()):
            if folder.is_dir() and folder.name != "testplans":
                for path in folder.iterdir():
                    index.setdefault(path.name, path)
        return index

    def resolve_file(self, section_dir: Path, name: str) -> Path | None:
        """Find file ``name`` named in the plan of ``section_dir`` (next to it, or flattened)."""
        name = name.strip()
        for base in (section_dir, section_dir.parent):
            direct = base / name
            if direct.is_file():
                return direct
        test, section = section_dir.parent.name, section_dir.name
        for rel in (f"{test}/{section}/{name}", f"{test}/{name}"):
            flat = f"{NIST_PREFIX}__" + posixpath.normpath(rel).replace("/", "__")
            if flat in self._flat_index:
                return self._flat_index[flat]
        return None

    @cached_property
    def manifest(self) -> Mapping[tuple[str, str, str], ManifestCase]:
        """MANIFEST.json NIST cases keyed by (test, section, step)."""
        path = self.root / "MANIFEST.json"
        if not path.is_file():
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
        return dict(_manifest_entries(data.get("cases", [])))


def _manifest_entries(
    cases: list[dict[str, Any]],
) -> Iterator[tuple[tuple[str, str, str], ManifestCase]]:
    for case in cases:
        nist = case.get("nist")
        if not nist or case.get("role") != "request":
            continue
        key = (str(nist["test"]), str(nist["section"]), str(nist["step"]))
        yield (
            key,
            ManifestCase(
                id=case["id"],
                transaction=case["transaction"],
                expected=case["expected"],
                expected_error_codes=tuple(case.get("expected_error_codes") or ()),
                implied_error_codes=tuple(case.get("implied_error_codes") or ()),
                notes=case.get("notes", ""),
            ),
        )
