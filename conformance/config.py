"""Where to send the replayed messages and how to run them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from conformance.corpus import default_corpus_root
from conformance.feed import NIST_AUTHORITY

#: NIST test ids whose steps are toolkit-generated Patient Identity Feeds (README §5.1).
DEFAULT_FEED_TESTS = frozenset({"15817", "15817b", "15818"})
#: The feed test whose patient is the default "register" patient.
REGISTER_FEED_TEST = "15817"
#: The feed test of the alternate (registered) patient, ``$altpatientid$``.
ALTERNATE_FEED_TEST = "15817b"
#: Our source OID for XDSSubmissionSet.sourceId (a fixed 2.25 UUID-derived OID).
DEFAULT_SOURCE_ID = "2.25.303113066283447146428735271813478153345"


@dataclass(frozen=True)
class Endpoints:
    """The system under test: registry SOAP URL, optional repository URL and ITI-8 MLLP.

    ``imaging_source`` is the RAD-69 SOAP endpoint and ``wado`` the WADO-URI (RAD-55)
    base URL of an Imaging Document Source.
    """

    registry: str
    repository: str | None = None
    mllp: tuple[str, int] | None = None
    imaging_source: str | None = None
    wado: str | None = None


@dataclass(frozen=True)
class RunConfig:
    """Options of one replay run."""

    corpus_root: Path = field(default_factory=default_corpus_root)
    #: extra NIST testkit roots (``<root>/tests/<test>/...``), searched before the corpus
    extra_testkits: tuple[Path, ...] = ()
    #: seconds for every HTTP call and MLLP exchange
    timeout: float = 30.0
    #: honour ``<WaitBefore>`` (milliseconds) in the plans
    honor_wait: bool = True
    #: assigning authority of the generated patient ids
    patient_authority: str = NIST_AUTHORITY
    source_id: str = DEFAULT_SOURCE_ID
    home_community_id: str = ""
    #: the repository's uniqueId, bound to ``$repuid$`` when no step reports one
    repository_unique_id: str = ""
    #: judge a wrong response wsa:Action / wsa:RelatesTo as a failure (else a note)
    strict_addressing: bool = True
    feed_tests: frozenset[str] = DEFAULT_FEED_TESTS
    #: load ``known_deviations.json`` (or this file) to mark known differences
    known_deviations: Path | None = None
    #: SOP Instance UID -> the Part 10 bytes loaded into the system under test before the
    #: run (``--load-equivalents``); RAD-69 and RAD-55 answers are compared with them
    loaded_instances: Mapping[str, bytes] = field(default_factory=dict)
