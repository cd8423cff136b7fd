"""WSDLs and XML Schemas shared by our SOAP endpoints and clients (served over HTTP).

The WSDL names its schemas by relative ``schemaLocation`` (``rs.xsd``, ``lcm.xsd``,
``query.xsd``; they import ``rim.xsd`` and ``xml.xsd`` the same way), so a client that read
the WSDL from ``/xds/registry?wsdl`` asks for ``/xds/rs.xsd`` and so on. Only the names in
:data:`SCHEMAS` are served: the name is looked up, never joined onto a path. No Flask here
(the app module maps the result to a response).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Final

#: Every schema file the WSDL reaches, directly or through another schema's import.
SCHEMAS: Final = frozenset({"rim.xsd", "rs.xsd", "lcm.xsd", "query.xsd", "xml.xsd", "xdsb.xsd"})
CONTENT_TYPE: Final = "application/xml; charset=utf-8"


@cache
def _read(name: str) -> bytes:
    return resources.files("xds_common.wsdl").joinpath(name).read_bytes()


def schema_response(name: str) -> tuple[bytes, str] | None:
    """The bytes and Content-Type of schema ``name``, or None when it is not one of ours."""
    if name not in SCHEMAS:
        return None
    return _read(name), CONTENT_TYPE
