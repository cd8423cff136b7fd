"""``beeldportaal conformance run``: replay NIST XDS Toolkit test plans against any endpoint.

The command (also ``python -m conformance``) replays the suites (``--suite registry``,
``repository``, ``all``), NIST test ids or folders of ``testplan.xml`` files (see
:mod:`conformance.selection`) against the registry and repository given by URL, feeds the
test patients over ITI-8 (``--mllp``), and judges every step like the NIST toolkit. It uses
our test kit (``conformance/testkit``, the reconstruction of NIST test 12346) and
``conformance/known_deviations.json``.

Output: a progress line per test on stderr, a summary on stdout, and on request a JUnit XML
file (``--junit``) and a self-contained HTML report with every request and response
(``--html``). Exit status: 0 every judged step passed (or failed under a known deviation),
1 a step failed, 2 the run could not start (bad arguments, unknown test, unwritable report),
130 interrupted. An endpoint that is down or answers garbage makes its steps fail with a
one-line reason; it never ends the command with a traceback.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from conformance import sut
from conformance.config import Endpoints, RunConfig
from conformance.console import progress_line, summary
from conformance.corpus import Corpus, default_corpus_root
from conformance.deviations import DEFAULT_PATH as DEFAULT_DEVIATIONS
from conformance.guard import GuardedClient, GuardedRunner
from conformance.html_report import write_html
from conformance.imaging import check_retrieves
from conformance.junit import write_junit
from conformance.outcome import SUCCESSFUL, RunInfo, verdict
from conformance.results import RunReport, StepResult
from conformance.selection import SUITE_NAMES, SelectionError, select
from conformance.suites import run_mhd, run_scripts

#: Our test kit: the reconstruction of NIST test 12346 (see its README).
TESTKIT = Path(__file__).resolve().parent / "testkit"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _mllp(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    return host or "127.0.0.1", int(port)


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {value!r}")
    return seconds


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``conformance run``."""
    p.add_argument(
        "targets",
        nargs="*",
        metavar="TEST",
        help="NIST test ids (e.g. 11990) or folders of NIST test plans "
        "(tests/<id>/<section>/testplan.xml, or one test folder); default: the suites",
    )
    p.add_argument("--registry", required=True, metavar="URL", help="registry SOAP endpoint")
    p.add_argument("--repository", metavar="URL", help="repository SOAP endpoint (ITI-41/43)")
    p.add_argument(
        "--repository-unique-id",
        default="",
        metavar="OID",
        help="the repository's repositoryUniqueId ($repuid$); default: from GET <base>/health "
        "of a Beeldportaal server",
    )
    p.add_argument(
        "--home-community-id",
        default="",
        metavar="URN",
        help="$homeCommunityId$; default: from /health of a Beeldportaal server",
    )
    p.add_argument(
        "--mllp",
        type=_mllp,
        metavar="HOST:PORT",
        help="ITI-8 patient identity feed; without it, steps that need a fed patient skip",
    )
    p.add_argument(
        "--unfed-patients",
        action="store_true",
        help="without --mllp: send the generated patient ids unfed (registries without a feed)",
    )
    p.add_argument(
        "--imaging-source", metavar="URL", help="Imaging Document Source RAD-69 SOAP endpoint"
    )
    p.add_argument(
        "--wado",
        metavar="URL",
        help="WADO-URI endpoint (RAD-55); default: /wado on the --imaging-source host",
    )
    p.add_argument(
        "--dicomweb",
        metavar="URL",
        help="DICOMweb base URL (STOW-RS) of the imaging source; default: /dicomweb on the "
        "--imaging-source host",
    )
    p.add_argument(
        "--load-equivalents",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="before the XDS-I.b tests, store by STOW-RS a generated instance for every UID a "
        "positive RAD-69/RAD-55 step asks for (NIST's 'import the test images'); default: on "
        "when a DICOMweb endpoint is known",
    )
    p.add_argument(
        "--imaging-source-id",
        default="",
        metavar="OID",
        help="the imaging source's RepositoryUniqueId, sent in RAD-69 requests for NIST's "
        "1.3.6.1.4.1.21367.13.80.110; default: from /health of a Beeldportaal server, else "
        "NIST's as written",
    )
    p.add_argument("--fhir", metavar="URL", help="MHD Document Recipient FHIR base URL")
    p.add_argument(
        "--suite",
        action="append",
        default=[],
        choices=SUITE_NAMES,
        help="registry, repository, imaging-source (needs --imaging-source), fhir (needs "
        "--fhir), scripts (ours, profiles/testscripts), all; repeatable; default: registry, "
        "plus repository when --repository is given",
    )
    p.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML here")
    p.add_argument("--html", type=Path, metavar="FILE", help="write the HTML report here")
    p.add_argument(
        "--timeout", type=_seconds, default=30.0, metavar="SECONDS", help="per exchange (30)"
    )
    p.add_argument(
        "--corpus",
        type=Path,
        default=default_corpus_root(),
        metavar="DIR",
        help="conformance corpus (MANIFEST.json, NIST test plans)",
    )
    p.add_argument(
        "--testkit",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="extra NIST test kit root (<DIR>/tests/<id>/...), e.g. a full toolkitx/testkit",
    )
    p.add_argument(
        "--known-deviations",
        type=Path,
        default=DEFAULT_DEVIATIONS,
        metavar="FILE",
        help="known deviations (default: conformance/known_deviations.json)",
    )
    p.add_argument("--no-wait", action="store_true", help="ignore <WaitBefore> in the plans")
    p.add_argument(
        "--lenient-addressing",
        action="store_true",
        help="a wrong response wsa:Action/RelatesTo is a note, not a failure",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="list every failure and skip")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run ``conformance run`` with parsed ``args``; return the exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    problem = _check_urls(args)
    if problem:
        print(f"conformance run: error: {problem}", file=err)
        return EXIT_USAGE
    try:
        with tempfile.TemporaryDirectory(prefix="bp-conformance-") as scratch:
            return _run(args, Path(scratch), out, err)
    except KeyboardInterrupt:
        print("conformance run: interrupted", file=err)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug of ours: one clear line, the traceback only with -v
        print(f"conformance run: internal error: {type(exc).__name__}: {exc}", file=err)
        if args.verbose:
            traceback.print_exc(file=err)
        else:
            print("(run with -v for the traceback)", file=err)
        return EXIT_USAGE


def _run(args: argparse.Namespace, scratch: Path, out: TextIO, err: TextIO) -> int:
    testkits = (*args.testkit, TESTKIT)
    corpus = Corpus(args.corpus, testkits)
    try:
        selection = select(
            args.targets,
            args.suite,
            corpus,
            scratch,
            bool(args.repository),
            bool(args.imaging_source),
            bool(args.fhir),
        )
    except SelectionError as exc:
        print(f"conformance run: error: {exc}", file=err)
        return EXIT_USAGE
    prepared = sut.prepare(args)
    roots = (*selection.roots, *testkits)
    loaded = sut.preload_imaging(args, Corpus(args.corpus, roots), selection.tests, scratch)
    config = RunConfig(
        corpus_root=args.corpus,
        extra_testkits=(*loaded.roots, *roots),
        timeout=args.timeout,
        honor_wait=not args.no_wait,
        home_community_id=prepared.home_community_id,
        repository_unique_id=prepared.repository_unique_id,
        strict_addressing=not args.lenient_addressing,
        known_deviations=args.known_deviations,
        loaded_instances=loaded.loaded,
    )
    info = RunInfo(
        settings=[
            *prepared.settings,
            *loaded.settings,
            *_selection_rows(selection.described, config),
        ],
        notes=[*prepared.notes, *loaded.notes, *selection.notes],
    )
    if not (args.corpus / "MANIFEST.json").is_file():
        info.notes.append(
            f"conformance corpus not found at {args.corpus}: MANIFEST cases are not known "
            "(set --corpus or BEELDPORTAAL_CONFORMANCE_CORPUS)"
        )
    no_feed = "ITI-8 feed not possible: no --mllp HOST:PORT given"
    client = GuardedClient(args.timeout)
    endpoints = Endpoints(
        args.registry,
        args.repository,
        args.mllp,
        args.imaging_source,
        args.wado or sut.on_host(args.imaging_source, "/wado"),
    )
    counter = iter(range(1, len(selection.tests) + 1))

    def progress(test: str, results: list[StepResult]) -> None:
        if not args.quiet:
            print(
                f"[{next(counter)}/{len(selection.tests)}] {progress_line(test, results)}",
                file=err,
                flush=True,
            )

    if not args.quiet and selection.tests:
        print(f"replaying {len(selection.tests)} NIST test(s) against {args.registry}", file=err)
    start = time.monotonic()
    runner = GuardedRunner(endpoints, config, client, no_feed, args.unfed_patients, progress)
    report = runner.run(selection.tests)
    check_retrieves(report, loaded.loaded, loaded.asked)
    if selection.fhir:
        run_mhd(args.fhir, args.corpus, args.timeout, report, err, args.quiet)
    if selection.scripts:
        run_scripts(endpoints, config, args.fhir, report, err, args.quiet)
    info.seconds = time.monotonic() - start
    info.endpoints = runner.endpoint_health()
    info.interrupted = runner.interrupted
    written = _write_reports(args, report, info, err)
    print(summary(report, info, args.verbose), file=out)
    for kind, path in written:
        print(f"{kind}: {path}", file=out)
    outcome = verdict(report, info)
    if outcome == "interrupted":
        return EXIT_INTERRUPTED
    if outcome not in SUCCESSFUL:
        return EXIT_FAILED
    if len(written) < bool(args.junit) + bool(args.html):
        return EXIT_USAGE
    return EXIT_OK


def _check_urls(args: argparse.Namespace) -> str | None:
    for option in ("registry", "repository", "imaging_source", "wado", "dicomweb", "fhir"):
        url = getattr(args, option)
        if url is None:
            continue
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            name = "--" + option.replace("_", "-")
            return f"{name}: {url!r} is not an http:// or https:// URL"
    return None


def _selection_rows(
    described: Sequence[tuple[str, str]], config: RunConfig
) -> list[tuple[str, str]]:
    rows = list(described)
    roots = Corpus(config.corpus_root, config.extra_testkits).testkit_roots
    rows.append(("test kits", ", ".join(str(r) for r in roots)))
    rows.append(("known deviations", str(config.known_deviations)))
    return rows


def _write_reports(
    args: argparse.Namespace, report: RunReport, info: RunInfo, err: TextIO
) -> list[tuple[str, Path]]:
    written: list[tuple[str, Path]] = []
    writers: list[tuple[str, Path | None, Callable[[RunReport, Path, RunInfo], None]]] = [
        ("JUnit XML", args.junit, write_junit),
        ("HTML report", args.html, write_html),
    ]
    for kind, path, write in writers:
        if path is None:
            continue
        try:
            write(report, path, info)
        except OSError as exc:
            print(f"conformance run: cannot write the {kind} to {path}: {exc}", file=err)
            continue
        written.append((kind, path))
    return written


def parser(prog: str = "python -m conformance") -> argparse.ArgumentParser:
    """A stand-alone parser with the ``run`` options (for ``python -m conformance``)."""
    p = argparse.ArgumentParser(
        prog=prog,
        description="Replay NIST XDS Toolkit test plans against any XDS.b registry and "
        "repository (the same command as 'beeldportaal conformance run').",
    )
    add_arguments(p)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m conformance [options] [TEST ...]``."""
    return run(parser().parse_args(argv))
