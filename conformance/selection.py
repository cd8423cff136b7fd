"""Which NIST tests a run replays: suites, test ids, and folders of test plans given by path.

Suites (``--suite``): ``registry`` is every test with an ITI-42, ITI-18 or ITI-57 step,
``repository`` every test with an ITI-41 or ITI-43 step (:mod:`conformance.runner`), ``all``
both; tests whose MANIFEST cases are all XDS-I.b (RAD-*) are left out of them.
``imaging-source`` is every test whose cases are all XDS-I.b (RAD-68 to the repository,
RAD-69 and RAD-55 to the Imaging Document Source; needs ``--imaging-source``). ``fhir``
replays the Asbestos MHD TestScripts (:mod:`conformance.mhd`, needs ``--fhir``); it has no
NIST test ids, so :func:`select` only notes it in ``Selection.fhir``; likewise ``scripts``,
our own declarative scripts of ``profiles.testscripts`` (:mod:`conformance.scripts`).

A folder of NIST test plans may be given instead of a test id, in any of these layouts::

    <kit>/tests/<test>/<section>/testplan.xml     a test kit: every test in it runs
    <dir>/<test>/<section>/testplan.xml           a folder of tests: every test runs
    <test>/<section>/testplan.xml (+ index.idx)   one test

Such folders are searched before our test kit and the corpus, so a test in them replaces a
test of the same id there. Sections cannot be run alone (their steps bind ids across the
test), so a section folder or ``testplan.xml`` is refused with the folder to give instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from conformance.corpus import Corpus
from conformance.runner import registry_tests, repository_tests

#: Suites that exist, and what they replay.
SUITES: dict[str, str] = {
    "registry": "NIST tests with ITI-42, ITI-18 or ITI-57 steps (Document Registry)",
    "repository": "NIST tests with ITI-41 or ITI-43 steps (Document Repository)",
    "imaging-source": "NIST XDS-I.b tests: RAD-68, RAD-69, WADO (RAD-55)",
    "fhir": "Asbestos MHD TestScripts: ITI-65 (MHD Document Recipient)",
    "scripts": "our declarative test scripts (profiles/testscripts), one or more per component",
    "all": "registry and repository (plus imaging-source and fhir when their URLs are given)",
}
SUITE_NAMES = tuple(SUITES)


class SelectionError(ValueError):
    """The selection cannot be run (unknown test, unusable folder ...)."""


@dataclass
class Selection:
    """The tests to run, the extra test-kit roots they need, and what to tell the user."""

    tests: list[str] = field(default_factory=list)
    #: roots in NIST layout (``<root>/tests/<test>``) for the folders given by path
    roots: list[Path] = field(default_factory=list)
    #: (what, how many tests) for the console and the reports
    described: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: run the Asbestos MHD TestScripts (suite ``fhir``)
    fhir: bool = False
    #: run our own scripts of ``profiles.testscripts`` (suite ``scripts``)
    scripts: bool = False

    def add(self, tests: Iterable[str]) -> int:
        """Add tests not yet selected; return how many were new."""
        new = [t for t in tests if t not in self.tests]
        self.tests.extend(new)
        return len(new)


def is_test_dir(path: Path) -> bool:
    """A NIST test folder: ``index.idx`` or at least one ``<section>/testplan.xml``."""
    return path.is_dir() and ((path / "index.idx").is_file() or any(path.glob("*/testplan.xml")))


def _tests_in(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if is_test_dir(p))


def _link(scratch: Path, target: Path, *names: str) -> Path:
    """A new root ``scratch/<n>`` holding a symlink ``<names...>`` to ``target``."""
    root = scratch / f"root{len(list(scratch.iterdir())) if scratch.is_dir() else 0}"
    link = root.joinpath(*names)
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target, target_is_directory=True)
    return root


def plan_folder(path: Path, scratch: Path) -> tuple[Path, list[str]]:
    """(test-kit root, test ids) for a folder of test plans (see the module docstring).

    A folder that is not laid out as ``<root>/tests/<test>`` is linked into one under
    ``scratch`` (a temporary folder the caller removes after the run).
    """
    path = path.expanduser().resolve()
    if not path.exists():
        raise SelectionError(f"{path}: no such file or folder")
    section = path.parent if path.is_file() else path
    if path.name == "testplan.xml" or (section / "testplan.xml").is_file():
        raise SelectionError(
            f"{path} is one section of test {section.parent.name}; sections run only as part "
            f"of their test: give the test folder {section.parent}"
        )
    if path.is_file():
        raise SelectionError(f"{path} is a file, not a folder of NIST test plans")
    if _tests_in(path / "tests"):
        return path, _tests_in(path / "tests")
    if is_test_dir(path):
        if path.parent.name == "tests":
            return path.parent.parent, [path.name]
        return _link(scratch, path, "tests", path.name), [path.name]
    if _tests_in(path):
        root = path.parent if path.name == "tests" else _link(scratch, path, "tests")
        return root, _tests_in(path)
    raise SelectionError(
        f"{path} holds no NIST test plans (expected <test>/<section>/testplan.xml, "
        f"tests/<test>/<section>/testplan.xml or <section>/testplan.xml with index.idx)"
    )


def looks_like_path(target: str) -> bool:
    """True for arguments meant as folders rather than NIST test ids."""
    return "/" in target or "\\" in target or target in (".", "..") or Path(target).is_dir()


def select(
    targets: Sequence[str],
    suites: Sequence[str],
    corpus: Corpus,
    scratch: Path,
    has_repository: bool,
    has_imaging_source: bool = False,
    has_fhir: bool = False,
) -> Selection:
    """Resolve positional ``targets`` (test ids or folders) and ``suites`` into tests.

    ``corpus`` is the corpus with the configured test-kit roots (used for suites and ids);
    raise :class:`SelectionError` for what cannot run.
    """
    selection = Selection()
    for target in targets:
        if looks_like_path(target):
            root, tests = plan_folder(Path(target), scratch)
            if root not in selection.roots:
                selection.roots.append(root)
            selection.add(tests)
            selection.described.append(("test plans", f"{target} ({_count(tests)})"))
    ids = [t for t in targets if not looks_like_path(t)]
    if ids:
        lookup = Corpus(corpus.root, (*selection.roots, *corpus.extra_testkits))
        unknown = [t for t in ids if lookup.test_dir(t) is None]
        if unknown:
            roots = ", ".join(str(r) for r in lookup.testkit_roots)
            raise SelectionError(f"unknown NIST test(s) {', '.join(unknown)}: not in {roots}")
        selection.add(ids)
        selection.described.append(("tests", " ".join(ids)))
    wanted = list(suites) or ([] if targets else ["registry", "repository"])
    if "all" in wanted:
        wanted = ["registry", "repository"]
        wanted += ["imaging-source"] if has_imaging_source else []
        wanted += ["fhir"] if has_fhir else []
    for suite in dict.fromkeys(wanted):
        if suite == "scripts":
            selection.scripts = True
            selection.described.append(("suite scripts", "profiles/testscripts"))
        elif suite in ("imaging-source", "fhir"):
            _optional_suite(selection, suite, corpus, has_imaging_source, has_fhir)
        elif suite == "repository" and not has_repository:
            if "repository" in suites:
                raise SelectionError(
                    "suite repository needs the repository endpoint: --repository URL"
                )
            if suites:
                selection.notes.append("suite repository not run: no --repository URL given")
        else:
            found = registry_tests(corpus) if suite == "registry" else repository_tests(corpus)
            imaging = imaging_tests(corpus)
            tests = [t for t in found if t not in imaging]
            selection.add(tests)
            selection.described.append((f"suite {suite}", _count(tests)))
            left = [t for t in found if t in imaging]
            if left:
                selection.notes.append(
                    f"suite {suite}: XDS-I tests ({', '.join(left)}) belong to the "
                    "imaging-source suite"
                )
    return selection


def _optional_suite(
    selection: Selection, suite: str, corpus: Corpus, has_imaging: bool, has_fhir: bool
) -> None:
    """``imaging-source`` and ``fhir`` need their endpoint; without it they are refused."""
    if suite == "fhir":
        if not has_fhir:
            raise SelectionError("suite fhir needs the MHD FHIR base URL: --fhir URL")
        selection.fhir = True
        selection.described.append(("suite fhir", "Asbestos MHD TestScripts"))
        return
    if not has_imaging:
        raise SelectionError("suite imaging-source needs the RAD-69 endpoint: --imaging-source URL")
    tests = sorted(t for t in imaging_tests(corpus) if corpus.test_dir(t) is not None)
    selection.add(tests)
    selection.described.append(("suite imaging-source", _count(tests)))


def imaging_tests(corpus: Corpus) -> set[str]:
    """Tests whose MANIFEST cases are all XDS-I.b (RAD-68, RAD-69, RAD-55) transactions."""
    found: dict[str, set[str]] = {}
    for (test, _, _), case in corpus.manifest.items():
        found.setdefault(test, set()).add(case.transaction)
    return {t for t, txs in found.items() if all(tx.startswith("RAD-") for tx in txs)}


def _count(items: Sequence[object]) -> str:
    n = len(items)
    return f"{n} test{'s' if n != 1 else ''}"
