"""The suites that are not NIST test plans: Asbestos MHD (``fhir``) and ours (``scripts``).

Both append their judged steps to the run's :class:`RunReport`, so the console summary,
JUnit XML and HTML report show them like every other step.
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from conformance.config import Endpoints, RunConfig
from conformance.mhd import MhdReplay, load_cases
from conformance.results import RunReport
from conformance.scripts import ScriptRunner
from profiles.testscripts.catalogue import ALL as SCRIPTS


def run_mhd(
    fhir: str, corpus: Path, timeout: float, report: RunReport, err: TextIO, quiet: bool
) -> None:
    """Suite ``fhir``: the Asbestos MHD TestScripts (:mod:`conformance.mhd`)."""
    cases = load_cases(corpus)
    if not quiet:
        print(f"replaying {len(cases)} Asbestos MHD case(s) against {fhir}", file=err)
    for number, result in enumerate(MhdReplay(fhir, timeout).run(cases), start=1):
        report.results.append(result)
        if not quiet:
            print(f"[MHD {number}/{len(cases)}] {result.describe()}", file=err, flush=True)


def run_scripts(
    endpoints: Endpoints,
    config: RunConfig,
    fhir: str | None,
    report: RunReport,
    err: TextIO,
    quiet: bool,
) -> None:
    """Suite ``scripts``: our declarative scripts (:mod:`conformance.scripts`)."""
    for result in ScriptRunner(endpoints, config, fhir).run(SCRIPTS):
        report.results.append(result)
        if not quiet:
            print(f"[script] {result.describe()}", file=err, flush=True)
