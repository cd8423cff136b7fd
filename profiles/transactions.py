"""Every transaction we serve or call, declared once (the IPF transaction-table habit).

Action URIs: ITI TF-2 (ITI-18/41/42/43), XDS MU and RMD supplements (ITI-57/62),
RAD TF-3 4.69 (RAD-69). Cross-checked against IPF WSDLs.
"""

from dataclasses import dataclass
from typing import Final

from profiles import namespaces as ns
from profiles.errors import ErrorCode


@dataclass(frozen=True)
class Transaction:
    """One IHE transaction: who sends what, how it is encoded and its defaults."""

    id: str
    name: str
    responder: str
    request_action: str
    response_action: str
    request_element: str
    mtom: bool
    default_error: ErrorCode
    audit_event_code: str
    wsdl_namespace: str


ITI_18: Final = Transaction(
    "ITI-18",
    "Registry Stored Query",
    "Document Registry",
    "urn:ihe:iti:2007:RegistryStoredQuery",
    "urn:ihe:iti:2007:RegistryStoredQueryResponse",
    ns.qn(ns.QUERY, "AdhocQueryRequest"),
    False,
    ErrorCode.REGISTRY_ERROR,
    "110112",
    ns.XDSB,
)
ITI_41: Final = Transaction(
    "ITI-41",
    "Provide and Register Document Set-b",
    "Document Repository",
    "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b",
    "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-bResponse",
    ns.qn(ns.XDSB, "ProvideAndRegisterDocumentSetRequest"),
    True,
    ErrorCode.REPOSITORY_ERROR,
    "110107",
    ns.XDSB,
)
ITI_42: Final = Transaction(
    "ITI-42",
    "Register Document Set-b",
    "Document Registry",
    "urn:ihe:iti:2007:RegisterDocumentSet-b",
    "urn:ihe:iti:2007:RegisterDocumentSet-bResponse",
    ns.qn(ns.LCM, "SubmitObjectsRequest"),
    False,
    ErrorCode.REGISTRY_ERROR,
    "110107",
    ns.XDSB,
)
ITI_43: Final = Transaction(
    "ITI-43",
    "Retrieve Document Set",
    "Document Repository",
    "urn:ihe:iti:2007:RetrieveDocumentSet",
    "urn:ihe:iti:2007:RetrieveDocumentSetResponse",
    ns.qn(ns.XDSB, "RetrieveDocumentSetRequest"),
    True,
    ErrorCode.REPOSITORY_ERROR,
    "110106",
    ns.XDSB,
)
ITI_57: Final = Transaction(
    "ITI-57",
    "Update Document Set",
    "Document Registry",
    "urn:ihe:iti:2010:UpdateDocumentSet",
    "urn:ihe:iti:2010:UpdateDocumentSetResponse",
    ns.qn(ns.LCM, "SubmitObjectsRequest"),
    False,
    ErrorCode.REGISTRY_ERROR,
    "110106",
    ns.XDSB_2010,
)
ITI_62: Final = Transaction(
    "ITI-62",
    "Delete Document Set",
    "Document Registry",
    "urn:ihe:iti:2010:DeleteDocumentSet",
    "urn:ihe:iti:2010:DeleteDocumentSetResponse",
    ns.qn(ns.LCM, "RemoveObjectsRequest"),
    False,
    ErrorCode.REGISTRY_ERROR,
    "110106",
    ns.XDSB_2010,
)
RAD_69: Final = Transaction(
    "RAD-69",
    "Retrieve Imaging Document Set",
    "Imaging Document Source",
    "urn:ihe:rad:2009:RetrieveImagingDocumentSet",
    "urn:ihe:iti:2007:RetrieveDocumentSetResponse",
    ns.qn(ns.XDSI, "RetrieveImagingDocumentSetRequest"),
    True,
    ErrorCode.REPOSITORY_ERROR,
    "110106",
    ns.XDSI,
)

ALL: Final = (ITI_18, ITI_41, ITI_42, ITI_43, ITI_57, ITI_62, RAD_69)
BY_ID: Final[dict[str, Transaction]] = {t.id: t for t in ALL}
BY_ACTION: Final[dict[str, Transaction]] = {t.request_action: t for t in ALL}

#: The transactions the Document Registry actor answers.
REGISTRY_TRANSACTIONS: Final = (ITI_18, ITI_42, ITI_57, ITI_62)
