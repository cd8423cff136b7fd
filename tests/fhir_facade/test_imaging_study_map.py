"""Pure ImagingStudy translation: QIDO-RS datasets -> ImagingStudy, search -> QIDO-RS plan.

A golden study dataset (as PS3.18 F.2 DICOM JSON) plus one change -> one expected difference;
every resource built validates with fhir.resources R4B (the mapping constructs the model).
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

import pytest

from fhir_facade import imaging_study_search as search
from fhir_facade.dicomweb import DicomwebError, QidoClient
from fhir_facade.errors import FhirError
from fhir_facade.imaging_study_map import (
    SUPPORTING_INFO,
    StudyContext,
    endpoint,
    imaging_study,
    started,
)
from tests.conftest import free_port

BSN = "2.16.840.1.113883.2.4.6.3"
CTX = StudyContext("https://bp.example/fhir", "https://bp.example/dicomweb", BSN)
UID = "1.2.826.0.1.3680043.8.498.1"


def _v(vr: str, *values: Any) -> dict[str, Any]:
    return {"vr": vr, "Value": list(values)}


STUDY: dict[str, Any] = {
    "0020000D": _v("UI", UID),
    "00080020": _v("DA", "20240315"),
    "00080030": _v("TM", "101500.123"),
    "00080050": _v("SH", "ACC-1"),
    "00080061": _v("CS", "CT", "SR"),
    "00080090": _v("PN", {"Alphabetic": "de Vries^Anna"}),
    "00081030": _v("LO", "CT thorax"),
    "00100010": _v("PN", {"Alphabetic": "Jansen^Zoë"}),
    "00100020": _v("LO", "123456782"),
    "00201206": _v("IS", 2),
    "00201208": _v("IS", 3),
}
SERIES: list[dict[str, Any]] = [
    {"0020000E": _v("UI", "1.2.3.2"), "00080060": _v("CS", "SR"), "00200011": _v("IS", 2),
     "00201209": _v("IS", 1)},
    {"0020000E": _v("UI", "1.2.3.1"), "00080060": _v("CS", "CT"), "00200011": _v("IS", 1),
     "0008103E": _v("LO", "axial"), "00201209": _v("IS", 2)},
]  # fmt: skip


def changed(tag: str, value: dict[str, Any] | None) -> dict[str, Any]:
    study = copy.deepcopy(STUDY)
    if value is None:
        study.pop(tag)
    else:
        study[tag] = value
    return study


def build(study: dict[str, Any], manifests: tuple[str, ...] = ()) -> dict[str, Any]:
    resource = imaging_study(study, SERIES, manifests, CTX)
    found: dict[str, Any] = resource.model_dump(mode="json", exclude_none=True)
    return found


def test_golden_study() -> None:
    found = build(STUDY, ("a6a3b3c2-1d4e-4f00-8a9b-0c1d2e3f4a5b",))
    assert found["id"] == UID
    assert found["identifier"] == [
        {"system": "urn:dicom:uid", "value": f"urn:oid:{UID}"},
        {
            "use": "usual",
            "type": {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "ACSN"}
                ]
            },
            "value": "ACC-1",
        },
    ]
    assert found["subject"] == {
        "reference": f"https://bp.example/fhir/Patient/{BSN}-123456782",
        "display": "Jansen Zoë",
    }
    assert found["started"].startswith("2024-03-15T10:15:00")
    assert [m["code"] for m in found["modality"]] == ["CT", "SR"]
    assert (found["numberOfSeries"], found["numberOfInstances"]) == (2, 3)
    assert [(s["uid"], s["number"], s["modality"]["code"]) for s in found["series"]] == [
        ("1.2.3.1", 1, "CT"),
        ("1.2.3.2", 2, "SR"),
    ]
    assert found["referrer"] == {"display": "de Vries Anna"}
    assert found["endpoint"] == [{"reference": "Endpoint/dicomweb"}]
    assert found["extension"] == [
        {
            "url": SUPPORTING_INFO,
            "valueReference": {
                "reference": "DocumentReference/a6a3b3c2-1d4e-4f00-8a9b-0c1d2e3f4a5b"
            },
        }
    ]


def test_one_change_one_difference() -> None:
    assert len(build(changed("00080050", None))["identifier"]) == 1
    assert "started" not in build(changed("00080020", _v("DA", "2024-03-15")))
    assert "extension" not in build(STUDY)
    counted = build(changed("00201208", None))  # counts fall back to the series
    assert counted["numberOfInstances"] == 3
    assert build(changed("00100020", _v("LO", "A^B")))["subject"] == {"display": "Jansen Zoë"}


@pytest.mark.parametrize(
    ("date", "time", "text", "width"),
    [
        ("20240315", "", "2024-03-15", 86400),
        ("20240315", "10", "2024-03-15T10:00:00", 3600),
        ("20240315", "1015", "2024-03-15T10:15:00", 60),
        ("20240315", "101530.5", "2024-03-15T10:15:30", 1),
        ("20240315", "2561", "2024-03-15", 86400),
        ("2024", "", None, None),
    ],
)
def test_started(date: str, time: str, text: str | None, width: int | None) -> None:
    study = {"00080020": _v("DA", date), "00080030": _v("TM", time) if time else {"vr": "TM"}}
    when, span = started(study)
    if text is None:
        assert (when, span) == (None, None)
    else:
        assert when is not None and when.startswith(text)
        assert span is not None and (span.end - span.start).total_seconds() == width


def test_endpoint() -> None:
    found = endpoint("https://bp.example/dicomweb").model_dump(mode="json", exclude_none=True)
    assert found["connectionType"]["code"] == "dicom-wado-rs"
    assert found["address"] == "https://bp.example/dicomweb"


def keys(_param: str, value: str) -> list[search.PatientKey]:
    return [search.PatientKey(value.rsplit("-", 1)[-1], frozenset({BSN}))]


def matches(args: dict[str, list[str]]) -> list[dict[str, str]]:
    return [dict(a.match) for a in search.plan(args, keys, BSN).searches]


def test_plan_translates_parameters() -> None:
    assert matches({}) == [{}]
    assert matches({"_id": [UID]}) == [{"StudyInstanceUID": UID}]
    assert matches({"identifier": [f"urn:dicom:uid|urn:oid:{UID}"]}) == [{"StudyInstanceUID": UID}]
    assert matches({"identifier": [f"urn:oid:{UID}"]}) == [
        {"AccessionNumber": f"urn:oid:{UID}"},
        {"StudyInstanceUID": UID},
    ]
    assert matches({"identifier": ["|ACC-1"]}) == [{"AccessionNumber": "ACC-1"}]
    assert matches({"identifier": ["urn:oid:1.2|ACC-1"]}) == []
    assert matches(
        {"modality": ["CT,http://dicom.nema.org/resources/ontology/DCM|MR,http://x|US"]}
    ) == [
        {"ModalitiesInStudy": "CT"},
        {"ModalitiesInStudy": "MR"},
    ]
    assert matches({"status": ["cancelled"]}) == []
    assert matches({"status": ["cancelled,available"], "patient": ["Patient/x-1"]}) == [
        {"PatientID": "1"}
    ]
    assert matches({"_id": ["1.2"], "identifier": ["urn:dicom:uid|urn:oid:1.3"]}) == []  # AND


def test_plan_refusals() -> None:
    for args in ({"identifier": ["urn:dicom:uid|abc"]}, {"status": ["gone"]}, {"started": ["x"]}):
        with pytest.raises(FhirError) as caught:
            search.plan(args, keys, BSN)
        assert caught.value.status == 400
    wide = {"modality": [",".join(f"M{i}" for i in range(5))], "identifier": ["a,b,c,d,e"]}
    with pytest.raises(FhirError) as caught:
        search.plan(wide, keys, BSN)
    assert caught.value.issues[0].code == "too-costly"


def test_checks_after_qido() -> None:
    plan = search.plan(
        {"patient": ["Patient/x-123456782"], "started": ["ge2024-03-15T10:00"]}, keys, BSN
    )
    assert search.study_date_range(plan.dates) == "20240315-"
    alternative = plan.searches[0]
    assert search.keep(STUDY, alternative, plan.dates)
    other_issuer = changed("00100021", _v("LO", "1.2.3.99"))
    assert search.keep(other_issuer, alternative, plan.dates)  # the imaging authority still counts
    foreign = search.plan(
        {"patient": ["Patient/x-1"]},
        lambda _p, _v: [search.PatientKey("1", frozenset({"1.2.3.99"}))],
        BSN,
    )
    assert search.keep(other_issuer, foreign.searches[0], foreign.dates)
    assert not search.keep(STUDY, foreign.searches[0], foreign.dates)
    late = search.plan({"started": ["gt2024-03-15T10:15"]}, keys, BSN)
    assert not search.keep(STUDY, late.searches[0], late.dates)


def test_sort_newest_first() -> None:
    older = changed("00080020", _v("DA", "20230101"))
    assert sorted([older, STUDY], key=search.sort_key, reverse=True) == [STUDY, older]
    assert search.sort_key({})[0] == datetime.min


def test_unreachable_dicomweb_is_an_error() -> None:
    client = QidoClient(f"http://127.0.0.1:{free_port()}/dicomweb", timeout=5)
    with pytest.raises(DicomwebError):
        client.studies({"PatientID": "1"}, 10)
