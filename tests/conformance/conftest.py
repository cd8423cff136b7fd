"""Fixtures for the conformance-engine tests: the shared corpus, read in place.

The corpus replay (``test_corpus_registry.py``) records its summary lines with
:func:`record_summary`; :func:`pytest_terminal_summary` prints them at the end of every run,
so the pass counts show up even when pytest captures the output of a passing test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.corpus import Corpus, default_corpus_root
from xds_common.xml import parse

#: Summary lines recorded by the corpus replay, printed by :func:`pytest_terminal_summary`.
SUMMARY: list[str] = []


def record_summary(lines: list[str]) -> None:
    """Keep ``lines`` for the terminal summary at the end of the run."""
    SUMMARY.extend(lines)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    """Print what the corpus replay recorded (pass counts per transaction)."""
    if SUMMARY:
        terminalreporter.section("NIST conformance corpus replay")
        for line in SUMMARY:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    """The conformance corpus (``../shared/conformance/corpus``); skip when absent."""
    root = default_corpus_root()
    if not (root / "MANIFEST.json").is_file():
        pytest.skip(f"conformance corpus not found at {root}")
    return Corpus(root)


@pytest.fixture(scope="session")
def manifest_cases(corpus: Corpus) -> list[dict[str, Any]]:
    """Every MANIFEST.json case."""
    data = json.loads((corpus.root / "MANIFEST.json").read_text(encoding="utf-8"))
    cases: list[dict[str, Any]] = data["cases"]
    return cases


def load_xml(path: Path) -> Any:
    """Parse a corpus XML file with the safe parser."""
    return parse(path.read_bytes().lstrip())
