"""Our own conformance test scripts, as data (the declarative habit of NIST test plans).

A :class:`Script` is an ordered list of steps, each one of:

* :class:`Feed` - register a fresh patient id over ITI-8 (bound to ``$patient$``);
* :class:`Send` - send a corpus message file with the NIST submission substitutions
  (patient id, fresh uniqueIds, sourceId; ebRIM 2.1 converted) plus ``changes`` (text
  replacements: "golden message, one change"), expecting a status and error codes;
* :class:`Query` - run a stored query for the patient and expect a number of objects;
* :class:`Retrieve` - ITI-43 a submitted document and compare its bytes with a file;
* :class:`HttpGet` - GET a path below an endpoint (WADO-URI, FHIR) and expect a status.

Files are relative to the conformance corpus (``../shared/conformance/corpus``).
``conformance.scripts`` runs them (``beeldportaal conformance run --suite scripts``).
Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

PATIENT: Final = "$patient$"


@dataclass(frozen=True)
class Feed:
    """ITI-8: a fresh patient id, fed and bound to ``$patient$`` (ITI TF-2a 3.8)."""


@dataclass(frozen=True)
class Send:
    """A submission (ITI-41/42/57) from a corpus file; ``documents`` attach files (ITI-41)."""

    transaction: str
    file: str
    expect_status: str = "Success"
    expect_codes: tuple[str, ...] = ()
    documents: tuple[tuple[str, str], ...] = ()  #: (symbolic DocumentEntry id, corpus file)
    changes: tuple[tuple[str, str], ...] = ()  #: (text, replacement) applied to the file


@dataclass(frozen=True)
class Query:
    """A stored query (by name) for ``$patient$``; ``expect`` objects in the answer."""

    query: str
    expect: int
    return_type: str = "LeafClass"


@dataclass(frozen=True)
class Retrieve:
    """ITI-43 of the DocumentEntry ``document`` sent earlier; its bytes equal ``file``."""

    document: str
    file: str


@dataclass(frozen=True)
class HttpGet:
    """``GET <endpoint><path>?params``; ``endpoint`` is ``wado`` or ``fhir``."""

    endpoint: str
    path: str = ""
    params: tuple[tuple[str, str], ...] = ()
    expect_status: int = 200


Step = Feed | Send | Query | Retrieve | HttpGet


@dataclass(frozen=True)
class Script:
    """One named script for one component."""

    name: str
    component: str  #: registry, repository, imaging-source, fhir
    description: str
    steps: tuple[Step, ...]
