"""A small registry built straight into the tables, for the stored-query tests.

One patient (PID) with DocumentEntries that differ from a base entry in one attribute
each, a second id (OLD) merged into PID, another patient (OTHER), SubmissionSets,
Folders (one with two versions) and HasMember / RPLC / APND / XFRM / ITI-57 links.
Objects are named; ``uid(name)`` is the entryUUID and ``name_of(uuid)`` maps back.
"""

from __future__ import annotations

import uuid
from typing import Any, Final
from xml.sax.saxutils import quoteattr

from sqlalchemy.orm import Session

from profiles import namespaces as ns
from profiles.vocabulary import (
    AssociationType,
    DocumentAvailability,
    DocumentEntryType,
    Scheme,
    Status,
)
from xds_common.query import names as n
from xds_registry.storage import patients
from xds_registry.storage.tables import (
    AssociationRow,
    AuthorRow,
    CodeRow,
    DocumentRow,
    FolderRow,
    ReferenceIdRow,
    SubmissionSetRow,
)

AUTHORITY: Final = "1.2.3.4.5.1000"
PID: Final = f"pat1^^^&{AUTHORITY}&ISO"
OLD: Final = f"old1^^^&{AUTHORITY}&ISO"
OTHER: Final = f"pat2^^^&{AUTHORITY}&ISO"
UNKNOWN: Final = f"nobody^^^&{AUTHORITY}&ISO"
APPROVED, DEPRECATED = Status.APPROVED.value, Status.DEPRECATED.value
HAS_MEMBER = AssociationType.HAS_MEMBER.value
REF_ID: Final = "ACC1^^^&1.2.3&ISO^urn:ihe:iti:xds:2013:accession"
VERSIONED_UNIQUE_ID: Final = "1.9.1"
FOLDER2_UNIQUE_ID: Final = "1.8.2"
SMITH, JONES, LOWER_JONES = "^Smith^John^^^", "^Jones^Mary^^^", "^jones^anne^^^"

_NAMESPACE = uuid.UUID("6f1c2a3e-0000-4000-8000-000000000001")
_NAMES: dict[str, str] = {}


def uid(name: str) -> str:
    """The entryUUID of the fixture object ``name``."""
    value = f"urn:uuid:{uuid.uuid5(_NAMESPACE, name)}"
    _NAMES[value] = name
    return value


def name_of(entry_uuid: str) -> str:
    """The fixture name of an entryUUID (the UUID itself when unknown)."""
    return _NAMES.get(entry_uuid, entry_uuid)


_BASE_DE: Final[dict[str, Any]] = {
    "status": APPROVED,
    "patient_id": PID,
    "object_type": DocumentEntryType.STABLE.value,
    "availability": DocumentAvailability.ONLINE.value,
    "class_code": "c1^^cs",
    "type_code": "t1^^ts",
    "practice_setting_code": "p1^^ps",
    "hcft_code": "h1^^hs",
    "format_code": "f1^^fs",
    "creation_time": "20200101120000",
    "service_start_time": "20200101080000",
    "service_stop_time": "20200101090000",
    "version": 1,
}

#: DocumentEntry name → how it differs from the base entry.
DOCUMENTS: Final[dict[str, dict[str, Any]]] = {
    "de_base": {},
    "de_class": {"class_code": "c2^^cs"},
    "de_type": {"type_code": "t2^^ts"},
    "de_practice": {"practice_setting_code": "p2^^ps"},
    "de_hcft": {"hcft_code": "h2^^hs"},
    "de_format": {"format_code": "f2^^fs"},
    "de_creation": {"creation_time": "20210601000000"},
    "de_service": {"service_start_time": "20190101000000", "service_stop_time": "20190102000000"},
    "de_no_service": {"service_start_time": None, "service_stop_time": None},
    "de_event_ab": {},
    "de_event_a": {},
    "de_conf_r": {},
    "de_author": {},
    "de_author_lower": {},
    "de_ref": {},
    "de_deprecated": {"status": DEPRECATED},
    "de_rplc": {},
    "de_apnd": {},
    "de_on_demand": {"object_type": DocumentEntryType.ON_DEMAND.value, "creation_time": None},
    "de_offline": {"availability": DocumentAvailability.OFFLINE.value},
    "de_v1": {"status": DEPRECATED, "unique_id": VERSIONED_UNIQUE_ID},
    "de_v2": {"lid": "de_v1", "version": 2, "unique_id": VERSIONED_UNIQUE_ID},
    "de_merged": {"patient_id": OLD},
    "de_other": {"patient_id": OTHER},
}
#: Multi-valued codes: (object, attribute, code); every other DE has confidentiality N.
CODES: Final = (
    ("de_event_ab", n.EVENT_CODE_ATTRIBUTE, "e1^^es"),
    ("de_event_ab", n.EVENT_CODE_ATTRIBUTE, "e2^^es"),
    ("de_event_a", n.EVENT_CODE_ATTRIBUTE, "e1^^es"),
    ("de_conf_r", n.CONFIDENTIALITY_ATTRIBUTE, "R^^conf"),
    ("fd1", n.CODE_LIST_ATTRIBUTE, "fc1^^fcs"),
    ("fd1", n.CODE_LIST_ATTRIBUTE, "fc2^^fcs"),
    ("fd2v1", n.CODE_LIST_ATTRIBUTE, "fc1^^fcs"),
    ("fd2v2", n.CODE_LIST_ATTRIBUTE, "fc3^^fcs"),
    ("fd_q", n.CODE_LIST_ATTRIBUTE, "fc1^^fcs"),
)
AUTHORS: Final = {"de_author": JONES, "de_author_lower": LOWER_JONES, "ss_b": JONES}

#: SubmissionSet name → (patient, sourceId, submissionTime, contentTypeCode).
SUBMISSION_SETS: Final = {
    "ss_a": (PID, "1.1", "20200101000000", "ct1^^cts"),
    "ss_b": (PID, "1.2", "20200201000000", "ct2^^cts"),
    "ss_rest": (PID, "1.1", "20200301000000", "ct1^^cts"),
    "ss_upd": (PID, "1.1", "20200401000000", "ct1^^cts"),
    "ss_m": (OLD, "1.1", "20190101000000", "ct1^^cts"),
    "ss_q": (OTHER, "1.1", "20200101000000", "ct1^^cts"),
}
#: Folder name → (patient, lid name, version, status, uniqueId, lastUpdateTime).
FOLDERS: Final = {
    "fd1": (PID, "fd1", 1, APPROVED, "1.8.1", "20200101120000"),
    "fd2v1": (PID, "fd2v1", 1, DEPRECATED, FOLDER2_UNIQUE_ID, "20200201000000"),
    "fd2v2": (PID, "fd2v1", 2, APPROVED, FOLDER2_UNIQUE_ID, "20200401000000"),
    "fd_q": (OTHER, "fd_q", 1, APPROVED, "1.8.9", "20200101000000"),
}
_EXPLICIT_MEMBERS: Final = {
    "ss_a": ("de_base", "de_format", "de_conf_r"),
    "ss_b": ("de_rplc", "de_apnd"),
}
#: Association name → (type, source, target, status).
ASSOCIATIONS: dict[str, tuple[str, str, str, str]] = {
    "ss_a_fd1": (HAS_MEMBER, "ss_a", "fd1", APPROVED),
    "fd1_base": (HAS_MEMBER, "fd1", "de_base", APPROVED),
    "ss_a_fd1_base": (HAS_MEMBER, "ss_a", "fd1_base", APPROVED),
    "fd1_class": (HAS_MEMBER, "fd1", "de_class", APPROVED),
    "ss_rest_fd1_class": (HAS_MEMBER, "ss_rest", "fd1_class", APPROVED),
    "rplc": (AssociationType.RPLC.value, "de_rplc", "de_deprecated", APPROVED),
    "apnd": (AssociationType.APND.value, "de_apnd", "de_base", APPROVED),
    "xfrm_dep": (AssociationType.XFRM.value, "de_type", "de_base", DEPRECATED),
    "ss_upd_fd2v1": (HAS_MEMBER, "ss_upd", "fd2v1", APPROVED),
    "ss_upd_fd2v2": (HAS_MEMBER, "ss_upd", "fd2v2", APPROVED),
    "uas": (AssociationType.UPDATE_AVAILABILITY_STATUS.value, "ss_upd", "de_hcft", APPROVED),
    "ss_m_merged": (HAS_MEMBER, "ss_m", "de_merged", APPROVED),
    "ss_q_other": (HAS_MEMBER, "ss_q", "de_other", APPROVED),
    "ss_q_fd_q": (HAS_MEMBER, "ss_q", "fd_q", APPROVED),
    "fd_q_other": (HAS_MEMBER, "fd_q", "de_other", APPROVED),
}
for _ss, _members in _EXPLICIT_MEMBERS.items():
    for _de in _members:
        ASSOCIATIONS[f"{_ss}_{_de}"] = (HAS_MEMBER, _ss, _de, APPROVED)
_LISTED = {de for members in _EXPLICIT_MEMBERS.values() for de in members}
for _de, _diff in DOCUMENTS.items():
    if _diff.get("patient_id", PID) == PID and _de not in _LISTED:
        ASSOCIATIONS[f"ss_rest_{_de}"] = (HAS_MEMBER, "ss_rest", _de, APPROVED)

_RIM = f'xmlns:rim="{ns.RIM}"'


def _ext(scheme: str, value: str) -> str:
    return f'<rim:ExternalIdentifier identificationScheme="{scheme}" value={quoteattr(value)}/>'


def _document(session: Session, index: int, name: str, diff: dict[str, Any]) -> None:
    values = {**_BASE_DE, "unique_id": f"2.1.{index}", **diff}
    values["lid"] = uid(values.get("lid", name))
    xml = (
        f'<rim:ExtrinsicObject {_RIM} id="{uid(name)}" objectType="{values["object_type"]}">'
        f"{_ext(Scheme.DE_PATIENT_ID, values['patient_id'])}</rim:ExtrinsicObject>"
    )
    session.add(DocumentRow(entry_uuid=uid(name), xml=xml, **values))
    if name not in {obj for obj, attribute, _ in CODES if attribute == n.CONFIDENTIALITY_ATTRIBUTE}:
        session.add(
            CodeRow(object_uuid=uid(name), attribute=n.CONFIDENTIALITY_ATTRIBUTE, code="N^^conf")
        )
    session.add(AuthorRow(object_uuid=uid(name), person=AUTHORS.get(name, SMITH)))


def _package(name: str, scheme: str, patient: str) -> str:
    inner = _ext(scheme, patient)
    return f'<rim:RegistryPackage {_RIM} id="{uid(name)}">{inner}</rim:RegistryPackage>'


def build(session: Session) -> None:
    """Fill the registry tables and the patient table with the fixture data set."""
    for pid in (PID, OLD, OTHER):
        patients.add(session, pid)
    patients.merge(session, OLD, PID)
    for index, (name, diff) in enumerate(DOCUMENTS.items()):
        _document(session, index, name, diff)
    session.add(ReferenceIdRow(object_uuid=uid("de_ref"), value=REF_ID))
    for name, (pid, source, time, content) in SUBMISSION_SETS.items():
        xml = _package(name, Scheme.SS_PATIENT_ID, pid)
        session.add(
            SubmissionSetRow(
                entry_uuid=uid(name), status=APPROVED, patient_id=pid, unique_id=f"1.7.{name}",
                source_id=source, submission_time=time, content_type_code=content, xml=xml,
            )
        )  # fmt: skip
        session.add(AuthorRow(object_uuid=uid(name), person=AUTHORS.get(name, SMITH)))
    for name, (pid, lid, version, status, unique_id, updated) in FOLDERS.items():
        session.add(
            FolderRow(
                entry_uuid=uid(name), lid=uid(lid), version=version, status=status,
                patient_id=pid, unique_id=unique_id, last_update_time=updated,
                xml=_package(name, Scheme.FD_PATIENT_ID, pid),
            )
        )  # fmt: skip
    session.add_all(CodeRow(object_uuid=uid(o), attribute=a, code=c) for o, a, c in CODES)
    for name, (kind, source, target, status) in ASSOCIATIONS.items():
        xml = (
            f'<rim:Association {_RIM} id="{uid(name)}" associationType="{kind}" '
            f'sourceObject="{uid(source)}" targetObject="{uid(target)}"/>'
        )
        session.add(
            AssociationRow(
                entry_uuid=uid(name), status=status, type=kind,
                source_uuid=uid(source), target_uuid=uid(target), xml=xml,
            )
        )  # fmt: skip
    session.flush()
