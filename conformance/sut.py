"""What the runner learns about the system under test before a run.

A Beeldportaal server answers ``GET /health`` with its identifiers (``repository_unique_ids``,
``home_community_id``, ``mllp_port`` and, when it reports it, ``imaging_source_unique_id``);
another vendor's server does not, and the options must name them. The WADO-URI (RAD-55,
PS3.18 chapter 9) and DICOMweb (PS3.18 chapter 10) endpoints default to Beeldportaal's
layout on the host of the RAD-69 endpoint: ``/wado`` and ``/dicomweb``. :func:`prepare`
gathers the run header's settings and notes; :func:`preload_imaging` does NIST's "import the
test images" step for the selected XDS-I.b tests (:mod:`conformance.preload`).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from conformance.corpus import Corpus
from conformance.preload import Preloaded, preload
from conformance.selection import imaging_tests

#: Seconds for the ``/health`` look-up of a Beeldportaal server.
HEALTH_TIMEOUT = 5.0
#: A ``/health`` answer: the URL it came from and its JSON object.
Health = tuple[str, dict[str, Any]]


def on_host(url: str | None, path: str) -> str | None:
    """``path`` on the scheme and host of ``url`` (None when ``url`` is None)."""
    if not url:
        return None
    parts = urlsplit(url)
    return str(urlunsplit((parts.scheme, parts.netloc, path, "", "")))


def health(url: str, timeout: float, cache: dict[str, Health | None]) -> Health | None:
    """``GET /health`` of a Beeldportaal server (JSON with repository_unique_ids), or None."""
    for candidate in health_urls(url):
        if candidate not in cache:
            cache[candidate] = get_health(candidate, timeout)
        if cache[candidate] is not None:
            return cache[candidate]
    return None


def get_health(url: str, timeout: float) -> Health | None:
    """The JSON of ``url`` when it is a Beeldportaal ``/health`` answer, else None."""
    try:
        response = requests.get(url, timeout=timeout)
        data = response.json()
    except (requests.RequestException, ValueError):
        return None
    ours = response.status_code == 200 and isinstance(data, dict)
    return (url, data) if ours and "repository_unique_ids" in data else None


def health_urls(url: str) -> list[str]:
    """Where a Beeldportaal server behind ``url`` answers ``/health`` (most specific first)."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    found = []
    for suffix in ("/xds/repository", "/xds/registry"):
        if path.endswith(suffix):
            found.append(path[: -len(suffix)] + "/health")
    found.append("/health")
    return list(dict.fromkeys(urlunsplit((parts.scheme, parts.netloc, p, "", "")) for p in found))


@dataclass
class Prepared:
    """Settings rows and notes gathered before the run."""

    settings: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    repository_unique_id: str = ""
    home_community_id: str = ""


def prepare(args: argparse.Namespace) -> Prepared:
    """The settings rows and notes of the run header, and the identifiers /health gave."""
    prepared = Prepared(
        repository_unique_id=args.repository_unique_id, home_community_id=args.home_community_id
    )
    rows, notes = prepared.settings, prepared.notes
    lookups: dict[str, Health | None] = {}
    timeout = min(args.timeout, HEALTH_TIMEOUT)
    rows.append(("registry", args.registry))
    found = health(args.registry, timeout, lookups)
    if args.repository:
        rows.append(("repository", args.repository))
        repo_health = health(args.repository, timeout, lookups)
        found = found or repo_health
        if prepared.repository_unique_id:
            rows.append(("repositoryUniqueId", prepared.repository_unique_id))
        elif repo_health and repo_health[1].get("repository_unique_ids"):
            prepared.repository_unique_id = str(repo_health[1]["repository_unique_ids"][0])
            rows.append(
                ("repositoryUniqueId", f"{prepared.repository_unique_id} (from {repo_health[0]})")
            )
        else:
            notes.append(
                "repositoryUniqueId unknown: the repository is not a Beeldportaal server "
                "(no /health); retrieve steps that use $repuid$ send it unreplaced and "
                "will fail: pass --repository-unique-id OID"
            )
    else:
        notes.append("no --repository URL: ITI-41 and ITI-43 steps are skipped")
    if not prepared.home_community_id and found and found[1].get("home_community_id"):
        prepared.home_community_id = str(found[1]["home_community_id"])
    if prepared.home_community_id:
        rows.append(("homeCommunityId", prepared.home_community_id))
    if args.mllp:
        rows.append(("ITI-8 MLLP", f"{args.mllp[0]}:{args.mllp[1]}"))
    elif args.unfed_patients:
        notes.append("no --mllp: patient ids are sent without an ITI-8 feed (--unfed-patients)")
    else:
        hint = ""
        port = found[1].get("mllp_port") if found else None
        if port:
            host = urlsplit(args.registry).hostname or "HOST"
            hint = f" (the server's /health reports an MLLP listener: --mllp {host}:{port})"
        notes.append(
            "no --mllp HOST:PORT: ITI-8 patient feeds are not possible, so steps that need a "
            f"fed patient are skipped{hint}; --unfed-patients sends their ids unfed"
        )
    for option, url in (
        ("imaging-source", args.imaging_source),
        ("WADO-URI", args.wado or on_host(args.imaging_source, "/wado")),
        ("fhir", args.fhir),
    ):
        if url:
            rows.append((option, url))
    rows.append(("timeout", f"{args.timeout:g} s per exchange"))
    return prepared


def preload_imaging(
    args: argparse.Namespace, corpus: Corpus, tests: Sequence[str], scratch: Path
) -> Preloaded:
    """NIST's "import the test images" for the selected XDS-I.b tests (conformance.preload)."""
    imaging = imaging_tests(corpus)
    tests = [t for t in tests if t in imaging]
    if not tests:
        return Preloaded()
    dicomweb = args.dicomweb or on_host(args.imaging_source, "/dicomweb")
    load = dicomweb is not None if args.load_equivalents is None else args.load_equivalents
    source_id = args.imaging_source_id
    if not source_id and args.imaging_source:
        found = health(args.imaging_source, min(args.timeout, HEALTH_TIMEOUT), {})
        source_id = str(found[1].get("imaging_source_unique_id", "")) if found else ""
    return preload(corpus, tests, scratch, dicomweb if load else None, source_id, args.timeout)
