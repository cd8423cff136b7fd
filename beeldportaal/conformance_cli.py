"""``beeldportaal conformance run``: the conformance toolkit against any XDS.b endpoint.

Replays NIST XDS Toolkit test plans (our suites, test ids, or folders of ``testplan.xml``)
against the registry and repository given by URL and writes a console summary, JUnit XML
(``--junit``) and an HTML report with every request and response (``--html``). The work is
done by :mod:`conformance.command`; this module only hangs it into the ``beeldportaal``
command line. Exit status: 0 passed, 1 a step failed, 2 the run could not start, 130
interrupted.

Examples::

    beeldportaal conformance run --registry http://127.0.0.1:8080/xds/registry \\
        --repository http://127.0.0.1:8080/xds/repository --mllp 127.0.0.1:2575 \\
        --junit out/junit.xml --html out/report.html
    beeldportaal conformance run --registry URL --mllp HOST:PORT 11990 12084 ./my-testkit/tests/4711
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any


def cmd_conformance_run(_settings: object, args: argparse.Namespace) -> int:
    """Run the selected NIST tests and report; the server's settings are not needed."""
    from conformance.command import run  # imported here: other commands need none of it

    return run(args)


def register_commands(subparsers: Any) -> None:
    """Add ``conformance run`` to the ``beeldportaal`` command's subparsers.

    ``needs_settings=False``: it talks to endpoints by URL, like ``submit`` and ``fetch``.
    """
    from conformance.command import add_arguments

    conformance = subparsers.add_parser(
        "conformance",
        help="conformance toolkit: replay NIST XDS Toolkit tests against any endpoint",
        description="Conformance toolkit for IHE XDS.b endpoints (ours or another vendor's).",
    )
    commands = conformance.add_subparsers(dest="conformance_command", required=True)
    run = commands.add_parser(
        "run",
        help="replay NIST test plans against a registry/repository and report",
        description="Replay NIST XDS Toolkit test plans (suites, test ids or testplan "
        "folders) against the given endpoints. Writes a summary, and JUnit XML and an HTML "
        "report on request. Exit status: 0 passed, 1 a step failed, 2 could not start, "
        "130 interrupted.",
    )
    add_arguments(run)
    run.set_defaults(func=cmd_conformance_run, needs_settings=False)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m beeldportaal.conformance_cli run ...`` without server settings."""
    parser = argparse.ArgumentParser(prog="beeldportaal")
    register_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["conformance", *(argv if argv is not None else sys.argv[1:])])
    func: Callable[[object, argparse.Namespace], int] = args.func
    return func(None, args)


if __name__ == "__main__":
    sys.exit(main())
