"""Pure data: the attributes QIDO-RS matches on and returns, and where the index keeps them.

PS3.18 Table 10.6.1-5 (study, series and instance matching keys) and Tables 10.6.3-3/-4/-5
(attributes returned by default), with the matching rules of PS3.4 C.2.2.2 that apply to
each: single value (with ``*``/``?`` wildcards for strings), list of UID, range (DA, TM),
and value-in-list for Modalities in Study. Each attribute names the index table (``patient``,
``study``, ``series``, ``instance``) and column, or none when its value is computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    """Query/retrieve level of a QIDO-RS search (PS3.18 10.6.1)."""

    STUDY = "study"
    SERIES = "series"
    INSTANCE = "instance"


class Matching(StrEnum):
    """How a query value is matched (PS3.4 C.2.2.2)."""

    STRING = "string"  # single value, wildcards * and ? (C.2.2.2.1, C.2.2.2.4)
    NAME = "name"  # PN: as STRING, case-insensitive, trailing ^ ignored (C.2.2.2.1.1)
    CODE = "code"  # CS: single value or a comma-separated list of values
    UID = "uid"  # list of UID matching, comma- or backslash-separated (C.2.2.2.2)
    DATE = "date"  # DA single value or range (C.2.2.2.5)
    TIME = "time"  # TM single value or range
    MULTI = "multi"  # a multi-valued column (\\-separated) containing any of the values
    INTEGER = "integer"  # IS / US single value
    NONE = "none"  # returned only, not a matching key


@dataclass(frozen=True)
class Attribute:
    """One QIDO-RS attribute and where its value lives."""

    keyword: str
    tag: int
    vr: str
    level: Level
    table: str  # "patient", "study", "series", "instance", or "" when computed
    column: str
    matching: Matching
    default: bool  # returned without includefield (PS3.18 Tables 10.6.3-3/-4/-5)

    @property
    def key(self) -> str:
        """The tag as eight hexadecimal digits, the DICOM JSON key (PS3.18 F.2.1)."""
        return f"{self.tag:08X}"


_S, _SE, _I = Level.STUDY, Level.SERIES, Level.INSTANCE
_M = Matching

#: Every supported attribute, in tag order within each level.
ATTRIBUTES: tuple[Attribute, ...] = (
    # Study level, including the Patient module (study root, PS3.4 C.6.2).
    Attribute("SpecificCharacterSet", 0x00080005, "CS", _S, "", "", _M.NONE, True),
    Attribute("StudyDate", 0x00080020, "DA", _S, "study", "study_date", _M.DATE, True),
    Attribute("StudyTime", 0x00080030, "TM", _S, "study", "study_time", _M.TIME, True),
    Attribute(
        "AccessionNumber", 0x00080050, "SH", _S, "study", "accession_number", _M.STRING, True
    ),
    Attribute("InstanceAvailability", 0x00080056, "CS", _S, "", "", _M.NONE, True),
    Attribute(
        "ModalitiesInStudy", 0x00080061, "CS", _S, "study", "modalities_in_study", _M.MULTI, True
    ),
    Attribute(
        "ReferringPhysicianName",
        0x00080090,
        "PN",
        _S,
        "study",
        "referring_physician_name",
        _M.NAME,
        True,
    ),
    Attribute("RetrieveURL", 0x00081190, "UR", _S, "", "", _M.NONE, True),
    Attribute(
        "StudyDescription", 0x00081030, "LO", _S, "study", "study_description", _M.STRING, True
    ),
    Attribute("PatientName", 0x00100010, "PN", _S, "patient", "patient_name", _M.NAME, True),
    Attribute("PatientID", 0x00100020, "LO", _S, "patient", "patient_id", _M.STRING, True),
    Attribute(
        "IssuerOfPatientID",
        0x00100021,
        "LO",
        _S,
        "patient",
        "issuer_of_patient_id",
        _M.STRING,
        False,
    ),
    Attribute(
        "PatientBirthDate", 0x00100030, "DA", _S, "patient", "patient_birth_date", _M.DATE, True
    ),
    Attribute("PatientSex", 0x00100040, "CS", _S, "patient", "patient_sex", _M.CODE, True),
    Attribute(
        "StudyInstanceUID", 0x0020000D, "UI", _S, "study", "study_instance_uid", _M.UID, True
    ),
    Attribute("StudyID", 0x00200010, "SH", _S, "study", "study_id", _M.STRING, True),
    Attribute(
        "NumberOfStudyRelatedSeries",
        0x00201206,
        "IS",
        _S,
        "study",
        "number_of_series",
        _M.NONE,
        True,
    ),
    Attribute(
        "NumberOfStudyRelatedInstances",
        0x00201208,
        "IS",
        _S,
        "study",
        "number_of_instances",
        _M.NONE,
        True,
    ),
    # Series level.
    Attribute("Modality", 0x00080060, "CS", _SE, "series", "modality", _M.CODE, True),
    Attribute(
        "SeriesDescription", 0x0008103E, "LO", _SE, "series", "series_description", _M.STRING, True
    ),
    Attribute(
        "SeriesInstanceUID", 0x0020000E, "UI", _SE, "series", "series_instance_uid", _M.UID, True
    ),
    Attribute("SeriesNumber", 0x00200011, "IS", _SE, "series", "series_number", _M.INTEGER, True),
    Attribute(
        "NumberOfSeriesRelatedInstances",
        0x00201209,
        "IS",
        _SE,
        "series",
        "number_of_instances",
        _M.NONE,
        True,
    ),
    Attribute(
        "PerformedProcedureStepStartDate",
        0x00400244,
        "DA",
        _SE,
        "series",
        "performed_procedure_step_start_date",
        _M.DATE,
        True,
    ),
    Attribute(
        "PerformedProcedureStepStartTime",
        0x00400245,
        "TM",
        _SE,
        "series",
        "performed_procedure_step_start_time",
        _M.TIME,
        True,
    ),
    # Instance level.
    Attribute("SOPClassUID", 0x00080016, "UI", _I, "instance", "sop_class_uid", _M.UID, True),
    Attribute("SOPInstanceUID", 0x00080018, "UI", _I, "instance", "sop_instance_uid", _M.UID, True),
    Attribute(
        "InstanceNumber", 0x00200013, "IS", _I, "instance", "instance_number", _M.INTEGER, True
    ),
    Attribute(
        "NumberOfFrames", 0x00280008, "IS", _I, "instance", "number_of_frames", _M.INTEGER, True
    ),
    Attribute("Rows", 0x00280010, "US", _I, "instance", "rows", _M.INTEGER, True),
    Attribute("Columns", 0x00280011, "US", _I, "instance", "columns", _M.INTEGER, True),
)

#: Attributes by tag; Retrieve URL and the constants appear once per level, so the study one.
BY_TAG: dict[int, Attribute] = {a.tag: a for a in reversed(ATTRIBUTES)}

#: Levels whose attributes a search at each level may match on and return (PS3.18 10.6.1.2).
VISIBLE: dict[Level, tuple[Level, ...]] = {
    Level.STUDY: (Level.STUDY,),
    Level.SERIES: (Level.STUDY, Level.SERIES),
    Level.INSTANCE: (Level.STUDY, Level.SERIES, Level.INSTANCE),
}

#: Values that are the same for every result (PS3.18 Table 10.6.3-3 notes).
CHARACTER_SET = "ISO_IR 192"  # DICOM JSON is UTF-8 (PS3.18 F.2)
AVAILABILITY = "ONLINE"  # PS3.3 C.4.23.1.1: every indexed instance is on our disk
