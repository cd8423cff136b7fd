"""Conformance replay engine: NIST XDS Toolkit test plans against any XDS endpoint.

A client only: it talks to the system under test over HTTP (SOAP 1.2, MTOM) and MLLP, and
never imports the server packages. See :mod:`conformance.runner` for the entry points.
"""

from conformance.config import Endpoints, RunConfig
from conformance.results import RunReport, StepResult
from conformance.runner import Runner, registry_tests, repository_tests, run_tests

__all__ = [
    "Endpoints",
    "RunConfig",
    "RunReport",
    "Runner",
    "StepResult",
    "registry_tests",
    "repository_tests",
    "run_tests",
]
