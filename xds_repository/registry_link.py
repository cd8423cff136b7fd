"""ITI-42 from the repository to the configured registry, over SOAP like any other actor.

Registry and repository may run on different machines: the registry URL comes from the
settings. An unreachable or broken registry gives XDSRegistryNotAvailable
(ITI TF-2b 3.41.4.1.3 step 9); the registry's own errors are returned unchanged (step 10).
"""

from __future__ import annotations

import uuid

import requests
from lxml import etree

from profiles import namespaces as ns
from profiles.errors import ErrorCode
from profiles.transactions import ITI_42
from profiles.vocabulary import ResponseStatus, Severity
from xds_common import soap
from xds_common.errors import RegistryError
from xds_common.xml import XmlRejected, parse
from xds_repository.context import Register

T_REGISTRY_RESPONSE = ns.qn(ns.RS, "RegistryResponse")
T_REGISTRY_ERROR = ns.qn(ns.RS, "RegistryError")


def _unavailable(reason: str) -> tuple[str, list[RegistryError]]:
    return ResponseStatus.FAILURE, [RegistryError(ErrorCode.REGISTRY_NOT_AVAILABLE, reason)]


def _errors(response: etree._Element) -> list[RegistryError]:
    return [
        RegistryError(
            e.get("errorCode", ""),
            e.get("codeContext", ""),
            e.get("location", ""),
            Severity(e.get("severity", Severity.ERROR)),
        )
        for e in response.iter(T_REGISTRY_ERROR)
    ]


def registry_sender(url: str, timeout: float = 120.0) -> Register:
    """A :data:`Register` function that posts ITI-42 to ``url`` (a pooled HTTP session)."""
    session = requests.Session()

    def send(submit: etree._Element) -> tuple[str, list[RegistryError]]:
        message_id = f"urn:uuid:{uuid.uuid4()}"
        body = soap.request_envelope(ITI_42.request_action, message_id, url, submit)
        try:
            reply = session.post(
                url, data=body, timeout=timeout,
                headers={"Content-Type": soap.SOAP_CONTENT_TYPE},
            )  # fmt: skip
            envelope = parse(reply.content)
        except (requests.RequestException, XmlRejected) as exc:
            return _unavailable(f"registry {url}: {exc}")
        response = envelope.find(f"{soap.T_BODY}/{T_REGISTRY_RESPONSE}")
        if response is None:
            return _unavailable(f"registry {url} answered HTTP {reply.status_code} without a "
                                "RegistryResponse")  # fmt: skip
        return response.get("status", ResponseStatus.FAILURE), _errors(response)

    return send


def registered_unique_ids(url: str, unique_ids: list[str], timeout: float = 60.0) -> set[str]:
    """Which of ``unique_ids`` the registry knows (ITI-18 GetDocuments, LeafClass, any status).

    Raises ``OSError`` when the registry cannot answer, so callers can retry later.
    """
    from profiles.stored_queries import GET_DOCUMENTS
    from profiles.transactions import ITI_18

    quoted = ",".join("'" + u.replace("'", "''") + "'" for u in unique_ids)
    query = etree.fromstring(
        f'<query:AdhocQueryRequest xmlns:query="{ns.QUERY}" xmlns:rim="{ns.RIM}">'
        '<query:ResponseOption returnType="LeafClass" returnComposedObjects="true"/>'
        f'<rim:AdhocQuery id="{GET_DOCUMENTS.id}"><rim:Slot name="$XDSDocumentEntryUniqueId">'
        f"<rim:ValueList><rim:Value>({quoted})</rim:Value></rim:ValueList></rim:Slot>"
        "</rim:AdhocQuery></query:AdhocQueryRequest>"
    )
    body = soap.request_envelope(ITI_18.request_action, f"urn:uuid:{uuid.uuid4()}", url, query)
    try:
        reply = requests.post(url, data=body, timeout=timeout,
                              headers={"Content-Type": soap.SOAP_CONTENT_TYPE})  # fmt: skip
        envelope = parse(reply.content)
    except (requests.RequestException, XmlRejected) as exc:
        raise OSError(f"registry {url}: {exc}") from exc
    response = envelope.find(f"{soap.T_BODY}/{ns.qn(ns.QUERY, 'AdhocQueryResponse')}")
    if response is None or response.get("status") != ResponseStatus.SUCCESS:
        raise OSError(f"registry {url} did not answer the GetDocuments query")
    found = {e.get("value", "") for e in response.iter(ns.qn(ns.RIM, "ExternalIdentifier"))}
    return found & set(unique_ids)
