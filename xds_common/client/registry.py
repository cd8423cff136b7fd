"""Client of an XDS.b Document Registry: ITI-42 Register Document Set-b, ITI-18 Stored Query.

Used by the Document Repository (ITI-42 after storing the bytes, ITI TF-2b 3.41.4.1.3), by
the ``beeldportaal fetch`` Document Consumer and by the tests. Works with any vendor's
registry: only the WSDL's messages and the ITI-18 parameter syntax are assumed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import requests
from lxml import etree

from profiles import stored_queries as sq
from profiles import transactions as tx
from profiles.stored_queries import ParamKind, StoredQuery
from profiles.vocabulary import Status
from xds_common.client.envelopes import REGISTRY, Envelopes, Request
from xds_common.client.results import QueryResult, RegistryResult
from xds_common.client.transport import DEFAULT_MAX_ENVELOPE_BYTES, SoapTransport, scratch_dir
from xds_common.soap import T_BODY

#: A stored-query parameter value: one value, or several (ORed, ITI TF-2a 3.18.4.1.2.3.5).
ParamValue = str | Sequence[str]


def quote(value: str) -> str:
    """A string parameter value in single quotes, quotes doubled (ITI TF-2a 3.18.4.1.2.3.5)."""
    return "'" + value.replace("'", "''") + "'"


def encode_param(query: StoredQuery, name: str, value: ParamValue) -> str:
    """The ``rim:Value`` text of parameter ``name`` of ``query``, from the query table.

    Multi-valued parameters are written as ``('a','b')``, others as ``'a'``; times are bare
    (ITI TF-2a 3.18.4.1.2.3.5). Unknown names and several values for a single-valued
    parameter raise ``ValueError`` before anything is sent.
    """
    param = query.param(name)
    if param is None:
        raise ValueError(f"{query.name} has no parameter {name}")
    values = [value] if isinstance(value, str) else list(value)
    if not values:
        raise ValueError(f"{name}: no value given")
    written = [v if param.kind is ParamKind.TIME else quote(v) for v in values]
    if param.multiple:
        return "(" + ",".join(written) + ")"
    if len(written) != 1:
        raise ValueError(f"{name} takes one value, not {len(written)}")
    return written[0]


class RegistryClient:
    """Calls one Document Registry endpoint (SOAP 1.2, simple SOAP; ITI TF-2x Appendix V).

    ``timeout`` bounds each wait for the network (seconds); ``session`` lets several clients
    share connections, TLS client certificates and proxies. Failures to get an answer raise
    :class:`~xds_common.client.errors.ClientError`; a Failure status is a result.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 60.0,
        session: requests.Session | None = None,
        max_envelope_bytes: int = DEFAULT_MAX_ENVELOPE_BYTES,
    ) -> None:
        self.url = url
        self._envelopes = Envelopes(REGISTRY, url)
        self._transport = SoapTransport(
            timeout=timeout, session=session, max_envelope_bytes=max_envelope_bytes
        )

    def _send(self, request: Request) -> etree._Element:
        with self._transport.call(self.url, request, scratch_dir(), mtom=False) as message:
            body = message.envelope.find(T_BODY)
            assert body is not None
            return body[0]

    def register(self, submit_objects_request: etree._Element) -> RegistryResult:
        """ITI-42 Register Document Set-b (ITI TF-2b 3.42): send ``lcm:SubmitObjectsRequest``.

        The element is sent as it is (a copy goes into the envelope).
        """
        response = self._send(self._envelopes.wrap(tx.ITI_42, submit_objects_request))
        return RegistryResult.read(response)

    def query(self, adhoc_query_request: etree._Element) -> etree._Element:
        """ITI-18 Registry Stored Query (ITI TF-2a 3.18): the ``query:AdhocQueryResponse``."""
        return self._send(self._envelopes.wrap(tx.ITI_18, adhoc_query_request))

    def stored_query(
        self,
        query: StoredQuery,
        params: Mapping[str, ParamValue],
        *,
        return_type: str = "LeafClass",
        home: str | None = None,
    ) -> QueryResult:
        """Run one of the 14 stored queries with ``params`` encoded from the query table.

        ITI TF-2a 3.18.4.1.2.3.7; ``home`` is ``AdhocQuery/@home`` (homeCommunityId).
        """
        if return_type not in sq.RETURN_TYPES:
            raise ValueError(f"returnType {return_type!r} is not LeafClass or ObjectRef")
        slots: list[dict[str, Any]] = [
            {"name": name, "ValueList": {"Value": [encode_param(query, name, value)]}}
            for name, value in params.items()
        ]
        request = self._envelopes.build(
            tx.ITI_18,
            ResponseOption={"returnType": return_type, "returnComposedObjects": True},
            AdhocQuery={"id": query.id, "home": home, "Slot": slots},
        )
        return QueryResult.read(self._send(request))

    def find_documents(
        self,
        patient_id: str,
        *,
        status: Iterable[str] = (Status.APPROVED,),
        return_type: str = "LeafClass",
        params: Mapping[str, ParamValue] | None = None,
    ) -> QueryResult:
        """FindDocuments (ITI TF-2a 3.18.4.1.2.3.7.1) for one patient and statuses.

        ``params`` adds further FindDocuments parameters, such as
        ``$XDSDocumentEntryClassCode`` (values ``code^^scheme``).
        """
        values: dict[str, ParamValue] = {
            "$XDSDocumentEntryPatientId": patient_id,
            "$XDSDocumentEntryStatus": [str(s) for s in status],
        }
        values.update(params or {})
        return self.stored_query(sq.FIND_DOCUMENTS, values, return_type=return_type)

    def get_documents(
        self,
        *,
        uuids: Sequence[str] = (),
        unique_ids: Sequence[str] = (),
        return_type: str = "LeafClass",
        home: str | None = None,
    ) -> QueryResult:
        """GetDocuments (ITI TF-2a 3.18.4.1.2.3.7.5) by entryUUIDs or by uniqueIds (one kind)."""
        if bool(uuids) == bool(unique_ids):
            raise ValueError("give either entryUUIDs or uniqueIds")
        name = "$XDSDocumentEntryEntryUUID" if uuids else "$XDSDocumentEntryUniqueId"
        return self.stored_query(
            sq.GET_DOCUMENTS, {name: list(uuids or unique_ids)}, return_type=return_type, home=home
        )
