"""Command line: ``python -m conformance --registry URL [--mllp HOST:PORT] [TEST ...]``.

Replays NIST tests (default: every registry test of the corpus) against the given endpoints,
prints pass counts per transaction and every failed case; exits 1 if a case failed that no
known deviation explains. (To become ``beeldportaal conformance run``.)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from conformance.config import Endpoints, RunConfig
from conformance.corpus import Corpus, default_corpus_root
from conformance.runner import registry_tests, run_tests
from conformance.state import Verdict


def _mllp(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    return host or "127.0.0.1", int(port)


def parser() -> argparse.ArgumentParser:
    """The argument parser."""
    p = argparse.ArgumentParser(prog="python -m conformance", description=__doc__)
    p.add_argument("tests", nargs="*", help="NIST test ids (default: all registry tests)")
    p.add_argument("--registry", required=True, help="registry SOAP endpoint URL")
    p.add_argument("--repository", help="repository SOAP endpoint URL (ITI-41/43)")
    p.add_argument("--mllp", type=_mllp, help="ITI-8 patient feed HOST:PORT")
    p.add_argument("--repository-unique-id", default="", help="bound to $repuid$")
    p.add_argument("--corpus", type=Path, default=default_corpus_root())
    p.add_argument("--testkit", type=Path, action="append", default=[], help="extra NIST root")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per exchange")
    p.add_argument("--no-wait", action="store_true", help="ignore <WaitBefore>")
    p.add_argument("-v", "--verbose", action="store_true", help="also list skipped steps")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run and report; the exit status says whether unexplained failures occurred."""
    args = parser().parse_args(argv)
    config = RunConfig(
        corpus_root=args.corpus,
        extra_testkits=tuple(args.testkit),
        timeout=args.timeout,
        honor_wait=not args.no_wait,
        repository_unique_id=args.repository_unique_id,
    )
    endpoints = Endpoints(args.registry, args.repository, args.mllp)
    tests = args.tests or registry_tests(Corpus(args.corpus, tuple(args.testkit)))
    report = run_tests(endpoints, tests, config)
    print(report.summary())
    if report.missing_tests:
        print("tests not found:", ", ".join(report.missing_tests))
    for result in report.results:
        if result.verdict is Verdict.FAIL or (args.verbose and result.verdict is Verdict.SKIP):
            print(result.describe())
    return 1 if report.failures() else 0


if __name__ == "__main__":
    sys.exit(main())
