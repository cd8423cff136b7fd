"""Audit message validation (PS3.15 A.5.1, ITI TF-2a 3.18.5.1): golden record, one change each."""

from __future__ import annotations

import base64

import pytest

from conformance.validators import Kind, validate_xml
from xds_common.audit_rules import check_audit_message
from xds_common.xml import parse

QUERY = base64.b64encode(b"<query:AdhocQueryRequest/>").decode()
UTF8 = base64.b64encode(b"UTF-8").decode()

GOLDEN = f"""<AuditMessage>
  <EventIdentification EventActionCode="E" EventDateTime="2026-11-25T10:00:00Z"
      EventOutcomeIndicator="0">
    <EventID csd-code="110112" codeSystemName="DCM" originalText="Query"/>
    <EventTypeCode csd-code="ITI-18" codeSystemName="IHE Transactions"
        originalText="Registry Stored Query"/>
  </EventIdentification>
  <ActiveParticipant UserID="http://consumer/reply" UserIsRequestor="true"
      NetworkAccessPointTypeCode="2" NetworkAccessPointID="10.0.0.1">
    <RoleIDCode csd-code="110153" codeSystemName="DCM" originalText="Source Role ID"/>
  </ActiveParticipant>
  <ActiveParticipant UserID="http://registry/xds/registry" UserIsRequestor="false">
    <RoleIDCode csd-code="110152" codeSystemName="DCM" originalText="Destination Role ID"/>
  </ActiveParticipant>
  <AuditSourceIdentification AuditSourceID="beeldportaal">
    <AuditSourceTypeCode csd-code="4"/>
  </AuditSourceIdentification>
  <ParticipantObjectIdentification ParticipantObjectID="P1^^^&amp;1.2.3&amp;ISO"
      ParticipantObjectTypeCode="1" ParticipantObjectTypeCodeRole="1">
    <ParticipantObjectIDTypeCode csd-code="2" codeSystemName="RFC-3881"/>
  </ParticipantObjectIdentification>
  <ParticipantObjectIdentification
      ParticipantObjectID="urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d"
      ParticipantObjectTypeCode="2" ParticipantObjectTypeCodeRole="24">
    <ParticipantObjectIDTypeCode csd-code="ITI-18" codeSystemName="IHE Transactions"/>
    <ParticipantObjectQuery>{QUERY}</ParticipantObjectQuery>
    <ParticipantObjectDetail type="QueryEncoding" value="{UTF8}"/>
  </ParticipantObjectIdentification>
</AuditMessage>"""


def _messages(text: str) -> list[str]:
    return [f.message for f in check_audit_message(parse(text.encode())) if f.is_error]


def test_golden_record_passes() -> None:
    assert _messages(GOLDEN) == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('EventActionCode="E"', 'EventActionCode="R"', "EventActionCode ['R'] fit none of"),
        ('EventOutcomeIndicator="0"', 'EventOutcomeIndicator="3"', "EventOutcomeIndicator"),
        ('EventDateTime="2026-11-25T10:00:00Z"', 'EventDateTime="yesterday"', "xs:dateTime"),
        ('csd-code="110112"', 'csd-code="110106"', "fit none of"),
        ('csd-code="110153"', 'csd-code="110999"', "no ActiveParticipant with RoleIDCode 110153"),
        ('ParticipantObjectTypeCodeRole="24"', 'ParticipantObjectTypeCodeRole="3"', "0 Query"),
        (f">{QUERY}<", ">not base64!<", "ParticipantObjectQuery is not base64"),
        (f'value="{UTF8}"', 'value="%%%"', "ParticipantObjectDetail/@value is not base64"),
        ('AuditSourceID="beeldportaal"', "", "lacks the AuditSourceID attribute"),
        (' UserIsRequestor="false"', "", "lacks the UserIsRequestor attribute"),
        ('<AuditSourceTypeCode csd-code="4"/>', '<AuditSourceTypeCode csd-code="12"/>', "'12'"),
    ],
)
def test_one_change_one_finding(old: str, new: str, expected: str) -> None:
    """Each change to the golden ITI-18 record gives exactly one error naming the problem."""
    assert old in GOLDEN
    found = _messages(GOLDEN.replace(old, new, 1))
    assert len(found) == 1, found
    assert expected in found[0]


def test_missing_event_identification_and_location() -> None:
    """Cardinality errors point at the parent with an XPath."""
    start = GOLDEN.index("<EventIdentification")
    end = GOLDEN.index("</EventIdentification>") + len("</EventIdentification>")
    findings = check_audit_message(parse((GOLDEN[:start] + GOLDEN[end:]).encode()))
    errors = [f for f in findings if f.is_error]
    assert [f.location for f in errors] == ["/AuditMessage"]
    assert errors[0].rule == "DICOM PS3.15 A.5.1"


def test_detected_as_audit_by_the_validator() -> None:
    kind, findings = validate_xml(GOLDEN.encode())
    assert kind is Kind.AUDIT
    assert not [f for f in findings if f.is_error]
