"""SOAP clients of the XDS.b Document Registry and Document Repository (ITI TF-2a/2b).

The same code serves the Document Repository (ITI-42 to the registry), the users' command
line (``beeldportaal submit`` / ``fetch``) and the tests, against our endpoints or anyone
else's:

* :class:`RegistryClient` - ITI-42 Register Document Set-b, ITI-18 Registry Stored Query
  (raw ``AdhocQueryRequest`` or any of the 14 stored queries, with ``find_documents`` and
  ``get_documents`` helpers).
* :class:`RepositoryClient` - ITI-41 Provide and Register Document Set-b, ITI-43 Retrieve
  Document Set, MTOM/XOP both ways, documents streamed from and to files.
* :func:`submit_objects_request` - the ebRIM ``lcm:SubmitObjectsRequest`` of a
  SubmissionSet and its DocumentEntries (domain model in, XML out).

Design. A call is built in two halves:

1. *Envelope* (:mod:`.envelopes`): python-zeep loads ``registry.wsdl`` / ``repository.wsdl``
   and the schemas from the package files, finds the operation by the transaction's
   ``wsam:Action`` from :mod:`profiles.transactions`, and renders the SOAP 1.2 envelope, the
   WS-Addressing headers (completed by a zeep plugin to what ITI TF-2x Appendix V requires:
   mustUnderstand, anonymous ReplyTo) and the body from zeep values. ebRIM XML that the
   caller already holds is placed into that envelope unchanged.
2. *Transport* (:mod:`.transport`): zeep's transport keeps whole messages in memory and
   has no MTOM sender, so the envelope is posted with ``requests``: as plain SOAP, or as an
   XOP package written by :func:`xds_common.mtom.mtom_response` (documents streamed from
   their files, Content-Length known in advance). Every answer goes through the streaming
   reader :func:`xds_common.mtom.read_mtom`: MIME parts land in files as they arrive, so
   memory stays bounded for 1 GB documents; the envelope is then checked against what the
   WSDL promises.

Errors: no answer, HTTP errors, SOAP Faults and answers that are not the expected SOAP 1.2
message raise :class:`ClientError` (with a :class:`ClientErrorKind`); a registry's Failure
or PartialSuccess is a normal result (:class:`RegistryResult`, :class:`QueryResult`,
:class:`RetrieveResult`).
"""

from xds_common.client.errors import ClientError, ClientErrorKind
from xds_common.client.registry import RegistryClient, encode_param
from xds_common.client.repository import RepositoryClient, extension_for, safe_name
from xds_common.client.results import (
    DocumentPart,
    DocumentRequest,
    QueryResult,
    RegistryResult,
    ResponseError,
    RetrievedDocument,
    RetrieveResult,
)
from xds_common.client.submission import submit_objects_request
from xds_common.client.transport import Progress

__all__ = [
    "ClientError",
    "ClientErrorKind",
    "DocumentPart",
    "DocumentRequest",
    "Progress",
    "QueryResult",
    "RegistryClient",
    "RegistryResult",
    "RepositoryClient",
    "ResponseError",
    "RetrieveResult",
    "RetrievedDocument",
    "encode_param",
    "extension_for",
    "safe_name",
    "submit_objects_request",
]
