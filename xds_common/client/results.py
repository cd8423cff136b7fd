"""What the clients take and return: documents to send, results of each transaction.

ITI TF-3 4.2.4 (RegistryResponse, RegistryErrorList), ITI TF-2a 3.18.4.1.3 (the
AdhocQueryResponse), ITI TF-2b 3.43.4.2 (RetrieveDocumentSetResponse). Answers from other
vendors are read leniently: unknown status or severity URNs are kept as they came.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from lxml import etree

from profiles import namespaces as ns
from profiles.vocabulary import ResponseStatus, Severity
from xds_common.ebrim import rim
from xds_common.ebrim.reader import read_object_list
from xds_common.metadata import Association, DocumentEntry, Folder, SubmissionSet

T_REGISTRY_ERROR = ns.qn(ns.RS, "RegistryError")
T_REGISTRY_ERROR_LIST = ns.qn(ns.RS, "RegistryErrorList")


class ResponseError(NamedTuple):
    """One ``rs:RegistryError`` of an answer (ITI TF-3 Table 4.2.4.1-1)."""

    code: str
    context: str
    severity: str
    location: str

    @property
    def is_error(self) -> bool:
        """True unless the severity is Warning (an unknown severity counts as an error)."""
        return self.severity != Severity.WARNING

    def __str__(self) -> str:
        level = "warning" if not self.is_error else "error"
        where = f" at {self.location}" if self.location else ""
        return f"{level} {self.code}: {self.context}{where}"


def response_errors(response: etree._Element) -> list[ResponseError]:
    """The RegistryErrors below ``response`` (RegistryResponse or AdhocQueryResponse)."""
    found = []
    error_list = response.find(T_REGISTRY_ERROR_LIST)
    if error_list is not None:
        for item in error_list.iterchildren(T_REGISTRY_ERROR):
            found.append(
                ResponseError(
                    item.get("errorCode", ""),
                    item.get("codeContext", "") or (item.text or "").strip(),
                    item.get("severity", Severity.ERROR),
                    item.get("location", ""),
                )
            )
    return found


@dataclass(frozen=True)
class RegistryResult:
    """``rs:RegistryResponse``: status URN and errors/warnings (ITI-41, ITI-42)."""

    status: str
    errors: list[ResponseError] = field(default_factory=list)

    @property
    def success(self) -> bool:
        """True for status Success (warnings may accompany it)."""
        return self.status == ResponseStatus.SUCCESS

    @property
    def warnings(self) -> list[ResponseError]:
        """Only the Warning-severity items."""
        return [e for e in self.errors if not e.is_error]

    @classmethod
    def read(cls, response: etree._Element) -> RegistryResult:
        """Read an ``rs:RegistryResponse`` (or a response type extending it)."""
        return cls(response.get("status", ""), response_errors(response))


@dataclass(frozen=True)
class QueryResult:
    """``query:AdhocQueryResponse`` read into the domain model (ITI TF-2a 3.18.4.1.3).

    LeafClass answers fill the object lists, ObjectRef answers :attr:`object_refs`;
    :attr:`response` is the element as received.
    """

    status: str
    errors: list[ResponseError]
    documents: list[DocumentEntry]
    submission_sets: list[SubmissionSet]
    folders: list[Folder]
    associations: list[Association]
    object_refs: list[str]
    response: etree._Element

    @property
    def success(self) -> bool:
        """True for status Success."""
        return self.status == ResponseStatus.SUCCESS

    @classmethod
    def read(cls, response: etree._Element) -> QueryResult:
        """Read an AdhocQueryResponse with the project's ebRIM reader."""
        objects = read_object_list(response.find(rim.T_OBJECT_LIST))
        found = objects.submission
        return cls(
            status=response.get("status", ""),
            errors=response_errors(response),
            documents=found.documents,
            submission_sets=found.submission_sets,
            folders=found.folders,
            associations=found.associations,
            object_refs=objects.object_refs,
            response=response,
        )


class DocumentPart(NamedTuple):
    """One document to send with ITI-41: ``id`` is its ExtrinsicObject's ``@id``."""

    id: str
    path: Path
    mime_type: str = "application/octet-stream"


class DocumentRequest(NamedTuple):
    """One ``xds:DocumentRequest`` of ITI-43 (ITI TF-2b 3.43.4.1.2)."""

    repository_unique_id: str
    document_unique_id: str
    home_community_id: str | None = None


@dataclass(frozen=True)
class RetrievedDocument:
    """One ``xds:DocumentResponse`` whose bytes were written to :attr:`path`.

    ``sha1`` and ``size`` were computed from the bytes as they arrived, for comparison with
    the DocumentEntry's ``hash`` and ``size``.
    """

    repository_unique_id: str
    document_unique_id: str
    mime_type: str
    path: Path
    size: int
    sha1: str
    home_community_id: str = ""
    new_repository_unique_id: str = ""
    new_document_unique_id: str = ""


@dataclass(frozen=True)
class RetrieveResult:
    """ITI-43 answer: status (Success, PartialSuccess, Failure), errors and the documents."""

    status: str
    errors: list[ResponseError]
    documents: list[RetrievedDocument]

    @property
    def success(self) -> bool:
        """True for status Success."""
        return self.status == ResponseStatus.SUCCESS

    @property
    def partial(self) -> bool:
        """True for PartialSuccess: some documents came back, the errors say which did not."""
        return self.status == ResponseStatus.PARTIAL_SUCCESS
