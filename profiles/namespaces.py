"""XML namespaces used on the wire (ebRIM/ebRS 3.0, SOAP 1.2, WS-Addressing, XOP, IHE).

Sources: ITI TF-3 4.2 (ebRIM 3.0), ITI TF-2 Appendix V (SOAP 1.2 + WS-Addressing 1.0).
"""

from typing import Final

SOAP12: Final = "http://www.w3.org/2003/05/soap-envelope"
WSA: Final = "http://www.w3.org/2005/08/addressing"
WSA_ANONYMOUS: Final = "http://www.w3.org/2005/08/addressing/anonymous"
XOP: Final = "http://www.w3.org/2004/08/xop/include"
RIM: Final = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"
LCM: Final = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
RS: Final = "urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0"
QUERY: Final = "urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0"
XDSB: Final = "urn:ihe:iti:xds-b:2007"
XDSB_2010: Final = "urn:ihe:iti:xds-b:2010"
XDSI: Final = "urn:ihe:rad:xdsi-b:2009"
RIM21: Final = "urn:oasis:names:tc:ebxml-regrep:rim:xsd:2.1"
RS21: Final = "urn:oasis:names:tc:ebxml-regrep:registry:xsd:2.1"
QUERY21: Final = "urn:oasis:names:tc:ebxml-regrep:query:xsd:2.1"

#: Prefix map used when we write XML, so responses read like the TF samples.
PREFIXES: Final[dict[str, str]] = {
    "soap": SOAP12,
    "wsa": WSA,
    "rim": RIM,
    "lcm": LCM,
    "rs": RS,
    "query": QUERY,
    "xds": XDSB,
    "xop": XOP,
}


def qn(namespace: str, local: str) -> str:
    """Return the Clark notation ``{namespace}local`` of a qualified name."""
    return f"{{{namespace}}}{local}"


#: FHIR identifier system for URIs such as ``urn:oid:`` and ``urn:uuid:`` values (FHIR R4
#: identifier-registry; MHD UniqueIdIdentifier, ITI TF-2 Appendix Z.9.1.1).
URI_SYSTEM: Final = "urn:ietf:rfc:3986"
#: RFC 3001 OID URN prefix.
OID_URN_PREFIX: Final = "urn:oid:"
#: FHIR identifier system of the Dutch citizen service number (Nictiz NamingSystem ``bsn``);
#: its XDS assigning authority is ``profiles.vocabulary.BSN_ASSIGNING_AUTHORITY``.
BSN_SYSTEM: Final = "http://fhir.nl/fhir/NamingSystem/bsn"
