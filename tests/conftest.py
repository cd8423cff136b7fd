"""Shared fixtures: a real ``beeldportaal serve`` process on 127.0.0.1 with its own home.

The suite runs once per database backend: SQLite always, PostgreSQL when
``BEELDPORTAAL_TEST_POSTGRES_URL`` names a server (``make test`` starts one).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "conformance" / "corpus"
#: Assigning authority of the patient ids in the NIST test kit, added to the affinity domain.
NIST_AUTHORITY = "1.3.6.1.4.1.21367.2005.13.20.1000"
TEST_DOMAINS = f"2.16.840.1.113883.2.4.6.3,{NIST_AUTHORITY},1.2.3.4.5.1000"


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    """A running server process and how to reach it."""

    base_url: str
    mllp_port: int
    home: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    backend: str

    @property
    def registry_url(self) -> str:
        return f"{self.base_url}/xds/registry"

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``beeldportaal ARGS`` with this server's environment."""
        return subprocess.run(
            [sys.executable, "-m", "beeldportaal", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=check,
            timeout=120,
        )

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the server process and wait for it."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)


def _fresh_database(backend: str, home: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{home / 'beeldportaal.db'}"
    admin = os.environ["BEELDPORTAAL_TEST_POSTGRES_URL"]
    name = f"bp_{uuid.uuid4().hex[:12]}"
    import sqlalchemy

    engine = sqlalchemy.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return admin.rsplit("/", 1)[0] + "/" + name


def start_server(
    tmp: Path, backend: str = "sqlite", extra_env: dict[str, str] | None = None
) -> LiveServer:
    """Initialise a home in ``tmp`` and start ``beeldportaal serve`` on free ports."""
    home = tmp / "home"
    home.mkdir(parents=True, exist_ok=True)
    http_port, mllp_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEELDPORTAAL_")}
    env.update(
        {
            "BEELDPORTAAL_HOME": str(home),
            "BEELDPORTAAL_DATABASE_URL": _fresh_database(backend, home),
            "BEELDPORTAAL_HTTP_PORT": str(http_port),
            "BEELDPORTAAL_MLLP_PORT": str(mllp_port),
            "BEELDPORTAAL_DICOM_PORT": str(free_port()),
            "BEELDPORTAAL_PATIENT_ID_DOMAINS": TEST_DOMAINS,
            "BEELDPORTAAL_WORKERS": "2",
            "BEELDPORTAAL_LOG_LEVEL": "WARNING",
        }
    )
    env.update(extra_env or {})
    subprocess.run([sys.executable, "-m", "beeldportaal", "init"], env=env, check=True, timeout=120)
    log = (tmp / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "beeldportaal", "serve"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = LiveServer(f"http://127.0.0.1:{http_port}", mllp_port, home, env, proc, backend)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            server.stop()
            raise RuntimeError((tmp / "server.log").read_text())
        try:
            if requests.get(server.base_url + "/health", timeout=5).status_code == 200:
                return server
        except requests.RequestException:  # not listening yet, or busy starting workers
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError("server did not become healthy:\n" + (tmp / "server.log").read_text())


def _backends() -> list[str]:
    found = ["sqlite"]
    if os.environ.get("BEELDPORTAAL_TEST_POSTGRES_URL"):
        found.append("postgresql")
    return found


@pytest.fixture(scope="session", params=_backends())
def live_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """One server per backend for the whole session (tests use fresh ids, so they share it)."""
    tmp = tmp_path_factory.mktemp(f"server-{request.param}")
    # Studies stored by imaging tests must not be published in the background while other
    # tests watch the repository's staging area; publication tests start their own server.
    server = start_server(tmp, request.param, {"BEELDPORTAAL_STUDY_STABLE_SECONDS": "86400"})
    yield server
    server.stop()
    if request.param == "sqlite":
        shutil.rmtree(tmp, ignore_errors=True)


#: ``user_properties`` key of the summary lines a test records (see ``record_summary``).
SUMMARY_KEY = "corpus-summary"
_SUMMARY: list[str] = []


@pytest.fixture
def record_summary(request: pytest.FixtureRequest) -> Callable[[list[str]], None]:
    """Record lines (e.g. corpus pass counts) for the terminal summary at the end of the run.

    They travel in the test report's ``user_properties``, so the pytest-xdist controller sees
    lines recorded in its workers.
    """

    def record(lines: list[str]) -> None:
        request.node.user_properties.append((SUMMARY_KEY, list(lines)))

    return record


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect the recorded summary lines (once per test: from its call phase)."""
    if report.when == "call":
        for key, value in report.user_properties:
            if key == SUMMARY_KEY and isinstance(value, list):
                _SUMMARY.extend(str(line) for line in value)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the recorded lines: the conformance corpus pass counts per transaction."""
    if _SUMMARY:
        terminalreporter.section("NIST conformance corpus replay")
        for line in _SUMMARY:
            terminalreporter.write_line(line)
