"""C-FIND in the PACS: Study Root, STUDY level (PS3.4 C.4.1, C.6.2.1).

The key is an Accession Number or a Study Instance UID, matched by Single Value Matching
(PS3.4 C.2.2.2.1); wildcard characters are refused rather than sent, so a typo never turns
into a broad query. The identifier asks for the Study level attributes the operator and the
retrieve need, among them Number of Study Related Instances (0020,1208) and SOP Classes in
Study (0008,0062) (PS3.4 C.6.2.1.2 Table C.6-5), both optional for the SCP to return.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydicom.dataset import Dataset
from pynetdicom import AE
from pynetdicom.sop_class import (  # type: ignore[attr-defined]
    StudyRootQueryRetrieveInformationModelFind,
)
from pynetdicom.status import QR_FIND_SERVICE_CLASS_STATUS, code_to_category

from imaging_source.gateway.errors import GatewayError, Problem
from imaging_source.gateway.peer import PacsPeer, associate, new_ae

_WILDCARDS = frozenset("*?\\")


@dataclass(frozen=True)
class StudyKey:
    """What to look for: exactly one of an Accession Number or a Study Instance UID."""

    accession_number: str = ""
    study_instance_uid: str = ""

    def __post_init__(self) -> None:
        """Refuse an empty key, both keys, or wildcard characters (C.2.2.2.4)."""
        values = [v for v in (self.accession_number, self.study_instance_uid) if v]
        if len(values) != 1:
            raise GatewayError(Problem.BAD_KEY, "give an accession number or a Study UID")
        if _WILDCARDS & set(values[0]):
            raise GatewayError(Problem.BAD_KEY, f"no wildcards in a key: {values[0]!r}")

    def __str__(self) -> str:
        if self.accession_number:
            return f"accession number {self.accession_number}"
        return f"Study Instance UID {self.study_instance_uid}"


@dataclass(frozen=True)
class StudyMatch:
    """One study the PACS reported (C-FIND Pending response identifier)."""

    study_instance_uid: str
    accession_number: str
    patient_id: str
    patient_name: str
    study_date: str
    study_description: str
    modalities: tuple[str, ...]
    series_count: int | None
    instance_count: int | None
    sop_classes: tuple[str, ...]


def study_query(key: StudyKey) -> Dataset:
    """The C-FIND identifier for ``key`` (PS3.4 C.6.2.1.2: required, unique and optional keys)."""
    ds = Dataset()
    ds.QueryRetrieveLevel = "STUDY"
    ds.StudyInstanceUID = key.study_instance_uid
    ds.AccessionNumber = key.accession_number
    for keyword in (
        "PatientID",
        "PatientName",
        "StudyDate",
        "StudyDescription",
        "ModalitiesInStudy",
        "NumberOfStudyRelatedSeries",
        "NumberOfStudyRelatedInstances",
        "SOPClassesInStudy",
    ):
        setattr(ds, keyword, None)
    return ds


def _strings(ds: Dataset, keyword: str) -> tuple[str, ...]:
    value = ds.get(keyword)
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _count(ds: Dataset, keyword: str) -> int | None:
    try:
        value = ds.get(keyword)
        return None if value in (None, "") else int(value)
    except (TypeError, ValueError):
        return None


def match_of(ds: Dataset) -> StudyMatch:
    """A :class:`StudyMatch` from a C-FIND response identifier (missing values empty)."""
    return StudyMatch(
        study_instance_uid=str(ds.get("StudyInstanceUID", "")),
        accession_number=str(ds.get("AccessionNumber", "") or ""),
        patient_id=str(ds.get("PatientID", "") or ""),
        patient_name=str(ds.get("PatientName", "") or ""),
        study_date=str(ds.get("StudyDate", "") or ""),
        study_description=str(ds.get("StudyDescription", "") or ""),
        modalities=_strings(ds, "ModalitiesInStudy"),
        series_count=_count(ds, "NumberOfStudyRelatedSeries"),
        instance_count=_count(ds, "NumberOfStudyRelatedInstances"),
        sop_classes=_strings(ds, "SOPClassesInStudy"),
    )


def find_studies(peer: PacsPeer, key: StudyKey, ae: AE | None = None) -> list[StudyMatch]:
    """C-FIND the studies matching ``key``; NO_MATCH when there are none."""
    ae = ae or new_ae(peer.calling_ae)
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelFind)
    matches: list[StudyMatch] = []
    with associate(ae, peer) as assoc:
        responses = assoc.send_c_find(study_query(key), StudyRootQueryRetrieveInformationModelFind)
        for status, identifier in responses:
            if not status or "Status" not in status:
                raise GatewayError(Problem.FAILED, _no_response(peer))
            code = int(status.Status)
            category = code_to_category(code)
            if category == "Pending" and identifier is not None:
                matches.append(match_of(identifier))
            elif category != "Success":
                raise GatewayError(Problem.FAILED, _find_failure(peer, code))
    matches = [m for m in matches if m.study_instance_uid]
    if not matches:
        raise GatewayError(Problem.NO_MATCH, f"PACS {peer} has no study with {key}")
    return matches


def _no_response(peer: PacsPeer) -> str:
    return (
        f"PACS {peer} sent no C-FIND response (aborted or timed out; "
        f"does it know our AE title {peer.calling_ae}?)"
    )


def _find_failure(peer: PacsPeer, code: int) -> str:
    meaning = QR_FIND_SERVICE_CLASS_STATUS.get(code, ("", "unknown status"))[1]
    return f"PACS {peer} answered C-FIND with 0x{code:04X}: {meaning}"
