"""FHIR identifier systems <-> XDS assigning authorities: one mapping for search and feed.

A ``patient.identifier`` token (FHIR R4 search.html#token) in the BSN NamingSystem
(``http://fhir.nl/fhir/NamingSystem/bsn``, Nictiz) names the CX in the BSN assigning
authority 2.16.840.1.113883.2.4.6.3, exactly as the patient identity feed sends it in PID-3
(ITI TF-2a 3.8.4.1.2); ``urn:oid:`` systems name their OID. MHD ITI-67/66 searches by
``patient.identifier`` (MHD 4.2.3 3.67.4.1.2.1) rely on it.
"""

from __future__ import annotations

import pytest

from fhir_facade import patient_feed
from fhir_facade.translate import patients
from fhir_facade.translate.patients import (
    authority_of,
    cx_of_reference,
    cx_of_token,
    identifier_system,
    patient_reference,
)
from profiles.namespaces import BSN_SYSTEM
from profiles.vocabulary import BSN_ASSIGNING_AUTHORITY
from xds_common.datatypes import Cx

BSN = "123456782"  # passes the eleven-check
BSN_CX = f"{BSN}^^^&{BSN_ASSIGNING_AUTHORITY}&ISO"
BASE = "https://portaal.example/fhir"


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        (f"{BSN_SYSTEM}|{BSN}", BSN_CX),
        (f"urn:oid:{BSN_ASSIGNING_AUTHORITY}|{BSN}", BSN_CX),
        ("urn:oid:1.2.3.4|P-7", "P-7^^^&1.2.3.4&ISO"),
        (BSN_CX, BSN_CX),  # a CX itself
        (f"{BSN_SYSTEM}|", None),  # no value
        (f"{BSN_SYSTEM}/|{BSN}", None),  # a different URI
        ("http://example.org/mrn|123", None),  # no assigning authority for this system
        ("urn:oid:not-an-oid|123", None),
        (f"|{BSN}", None),  # explicitly no system
        (BSN, None),  # neither a token with a system nor a CX
    ],
)
def test_cx_of_token(token: str, expected: str | None) -> None:
    assert cx_of_token(token) == expected


def test_token_and_feed_use_the_same_authority() -> None:
    """The feed sends what the token names: same CX for a BSN Patient identifier."""
    patient = {"identifier": [{"system": BSN_SYSTEM, "value": BSN}]}
    (fed,) = patient_feed.feed_identifiers(patient, [BSN_ASSIGNING_AUTHORITY])
    assert fed == Cx(BSN, BSN_ASSIGNING_AUTHORITY)
    assert cx_of_token(f"{BSN_SYSTEM}|{BSN}") == str(fed)


def test_one_mapping_object() -> None:
    """The feed module uses the translate layer's functions, not a copy of them."""
    assert patient_feed.authority_of is patients.authority_of
    assert patient_feed.canonical_system is patients.canonical_system
    assert patient_feed.BSN_SYSTEM == BSN_SYSTEM


def test_authority_and_system_round_trip() -> None:
    assert authority_of(identifier_system(BSN_ASSIGNING_AUTHORITY)) == BSN_ASSIGNING_AUTHORITY
    assert identifier_system(BSN_ASSIGNING_AUTHORITY) == BSN_SYSTEM
    assert identifier_system("1.2.3.4") == "urn:oid:1.2.3.4"
    assert authority_of("urn:oid:1.2.3.4") == "1.2.3.4"


def test_logical_reference_in_the_bsn_system_resolves() -> None:
    """A subject given as a logical BSN identifier (FHIR R4 references.html#logical)."""
    reference = {"identifier": {"system": BSN_SYSTEM, "value": BSN}}
    assert cx_of_reference(reference, BASE) == BSN_CX


def test_logical_reference_written_for_a_bsn_uses_the_bsn_system() -> None:
    """A CX without a resource id (``_`` is not allowed in ids) is referenced logically."""
    cx = f"{BSN}_x^^^&{BSN_ASSIGNING_AUTHORITY}&ISO"
    reference = patient_reference(cx, BASE)
    assert reference == {"identifier": {"system": BSN_SYSTEM, "value": f"{BSN}_x"}}
    assert cx_of_reference(reference, BASE) == cx
