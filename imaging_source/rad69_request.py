"""Read a RAD-69 RetrieveImagingDocumentSetRequest (RAD TF-3 4.69.4.1.2) into plain values.

The request nests ITI-43 ``xds:DocumentRequest`` elements (``urn:ihe:iti:xds-b:2007``) inside
``StudyRequest``/``SeriesRequest`` elements of the XDS-I.b namespace (``urn:ihe:rad:xdsi-b:2009``),
and names the acceptable transfer syntaxes, in order of preference, in ``TransferSyntaxUIDList``
(schema ``IHEXDSIB.xsd``: 1..n StudyRequest, 1..n SeriesRequest, 1..n DocumentRequest, the list
required). Values are kept exactly as sent (trimmed), so the response can echo them and the
handler can report each problem at its DocumentRequest.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from profiles import namespaces as ns
from profiles.errors import ErrorCode
from xds_common.errors import XdsError

T_STUDY = ns.qn(ns.XDSI, "StudyRequest")
T_SERIES = ns.qn(ns.XDSI, "SeriesRequest")
T_DOCUMENT = ns.qn(ns.XDSB, "DocumentRequest")
T_SYNTAX_LIST = ns.qn(ns.XDSI, "TransferSyntaxUIDList")
T_SYNTAX = ns.qn(ns.XDSI, "TransferSyntaxUID")
T_HOME = ns.qn(ns.XDSB, "HomeCommunityId")
T_REPOSITORY = ns.qn(ns.XDSB, "RepositoryUniqueId")
T_DOCUMENT_ID = ns.qn(ns.XDSB, "DocumentUniqueId")


@dataclass(frozen=True)
class InstanceRequest:
    """One DocumentRequest with the study and series it was asked under (RAD TF-3 4.69.4.1.2).

    ``document`` is the SOP Instance UID; ``repository`` the Imaging Document Source's
    repositoryUniqueId (the KOS Retrieve Location UID); ``home`` the optional homeCommunityId.
    """

    study: str
    series: str
    home: str
    repository: str
    document: str


@dataclass(frozen=True)
class ImagingRetrieve:
    """A whole RAD-69 request: the instances in request order and the transfer syntaxes in
    order of preference (empty entries dropped)."""

    instances: tuple[InstanceRequest, ...]
    transfer_syntaxes: tuple[str, ...]


def _text(node: etree._Element, tag: str) -> str:
    return (node.findtext(tag) or "").strip()


def _instances(body: etree._Element) -> list[InstanceRequest]:
    found = []
    for study in body.iterchildren(T_STUDY):
        study_uid = (study.get("studyInstanceUID") or "").strip()
        for series in study.iterchildren(T_SERIES):
            series_uid = (series.get("seriesInstanceUID") or "").strip()
            for doc in series.iterchildren(T_DOCUMENT):
                found.append(
                    InstanceRequest(
                        study_uid,
                        series_uid,
                        _text(doc, T_HOME),
                        _text(doc, T_REPOSITORY),
                        _text(doc, T_DOCUMENT_ID),
                    )
                )
    return found


def read_request(body: etree._Element) -> ImagingRetrieve:
    """The instances and transfer syntaxes of a RetrieveImagingDocumentSetRequest.

    A request without any DocumentRequest, or without ``TransferSyntaxUIDList``, does not
    follow the schema of RAD TF-3 4.69.4.1.2 and fails as a whole with XDSRepositoryError.
    An empty ``TransferSyntaxUID`` is dropped here; the handler then finds no syntax it can
    produce and reports each instance (RAD TF-3 4.69.4.2.3).
    """
    instances = _instances(body)
    if not instances:
        raise XdsError(
            ErrorCode.REPOSITORY_ERROR,
            "RetrieveImagingDocumentSetRequest has no StudyRequest/SeriesRequest/DocumentRequest",
        )
    syntax_list = body.find(T_SYNTAX_LIST)
    if syntax_list is None:
        raise XdsError(
            ErrorCode.REPOSITORY_ERROR,
            "RetrieveImagingDocumentSetRequest has no TransferSyntaxUIDList",
        )
    syntaxes = tuple(
        value for node in syntax_list.iterchildren(T_SYNTAX) if (value := (node.text or "").strip())
    )
    return ImagingRetrieve(tuple(instances), syntaxes)
