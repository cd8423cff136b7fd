"""Fixtures for the conformance-engine tests: the shared corpus, read in place.

The corpus replays record their pass counts with the root ``record_summary`` fixture
(``tests/conftest.py``), printed at the end of every run, also under pytest-xdist.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.corpus import Corpus, default_corpus_root
from xds_common.xml import parse


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
