"""WSDLs and XML Schemas shared by our SOAP endpoints and clients (served over HTTP).

Each SOAP endpoint answers ``GET <endpoint>?wsdl`` with its WSDL from :data:`WSDLS`, the
``{{ADDRESS}}`` placeholder of its ``soap12:address`` replaced by the endpoint's URL
(:func:`wsdl_text`). The WSDLs name their schemas by relative ``schemaLocation``
(``rs.xsd``, ``lcm.xsd``, ``query.xsd``, ``xdsb.xsd``; they import ``rim.xsd`` and
``xml.xsd`` the same way), so a client that read the WSDL from ``/xds/registry?wsdl`` asks
for ``/xds/rs.xsd`` and so on. Only the names in :data:`WSDLS` and :data:`SCHEMAS` are
served: the name is looked up, never joined onto a path. No Flask here (the app modules map
the result to a response).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Final

#: Every schema file the WSDLs reach, directly or through another schema's import.
SCHEMAS: Final = frozenset({"rim.xsd", "rs.xsd", "lcm.xsd", "query.xsd", "xml.xsd", "xdsb.xsd"})
#: The WSDL of each SOAP actor: Document Registry (ITI TF-2a/2b), Document Repository
#: (ITI TF-2b), XDS-I.b Imaging Document Source (RAD TF-3 4.69).
WSDLS: Final = frozenset({"registry.wsdl", "repository.wsdl", "imaging-source.wsdl"})
CONTENT_TYPE: Final = "application/xml; charset=utf-8"
#: Media type of a served WSDL (as the registry and repository have always answered).
WSDL_CONTENT_TYPE: Final = "text/xml; charset=utf-8"
ADDRESS_PLACEHOLDER: Final = "{{ADDRESS}}"


@cache
def _read(name: str) -> bytes:
    return resources.files("xds_common.wsdl").joinpath(name).read_bytes()


def schema_response(name: str) -> tuple[bytes, str] | None:
    """The bytes and Content-Type of schema ``name``, or None when it is not one of ours."""
    if name not in SCHEMAS:
        return None
    return _read(name), CONTENT_TYPE


def wsdl_text(name: str, address: str) -> str:
    """WSDL ``name`` (one of :data:`WSDLS`) with ``address`` as its service location.

    ``address`` is the endpoint URL as the client reached it (WSDL 1.1 section 3.8,
    ``soap12:address/@location``).
    """
    if name not in WSDLS:
        raise ValueError(f"no WSDL called {name!r}")
    return _read(name).decode().replace(ADDRESS_PLACEHOLDER, address)
