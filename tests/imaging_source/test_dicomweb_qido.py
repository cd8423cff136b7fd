"""QIDO-RS against the live server (PS3.18 10.6): dicomweb-client and golden queries.

Two studies of one patient are stored by STOW-RS: a CT study (2 series x 2 instances, 15 March
2024 10:15) and an MR study (1 series x 2 RLE instances, 1 June 2024 14:30). Every query is
scoped by that patient's fresh Patient ID, so the shared server's other data never matches.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from dicomweb_client.api import DICOMwebClient
from pydicom import dcmread

from tests.conftest import LiveServer
from tests.imaging_source.dicom_factory import Patient, StudyPlan, make_mr_rle, make_study, part10
from tests.imaging_source.test_dicomweb_stow import multipart


@dataclass
class Loaded:
    """What the module stored."""

    base: str
    patient_id: str
    ct: StudyPlan
    mr_study: str
    ct_series: list[str]
    ct_instances: list[str]


@pytest.fixture(scope="module")
def loaded(live_server: LiveServer) -> Loaded:
    patient = Patient(patient_id=f"Q-{uuid.uuid4().hex[:12]}")
    ct = StudyPlan(patient=patient, accession=f"A-{uuid.uuid4().hex[:8]}", series=2, instances=2)
    datasets = make_study(ct)
    parts = [part10(ds) for ds in datasets]
    mr_plan = StudyPlan(patient=patient, modality="MR", accession="ACC-MR", series=1, instances=2)
    for raw in make_mr_rle(mr_plan, count=2):
        ds = dcmread(io.BytesIO(raw))
        ds.StudyDate, ds.StudyTime, ds.StudyDescription = "20240601", "143000", "MR knie"
        buf = io.BytesIO()
        ds.save_as(buf)
        parts.append(buf.getvalue())
    body, headers = multipart(parts)
    response = requests.post(
        f"{live_server.base_url}/dicomweb/studies", data=body, headers=headers, timeout=60
    )
    assert response.status_code == 200, response.text
    return Loaded(
        base=f"{live_server.base_url}/dicomweb",
        patient_id=patient.patient_id,
        ct=ct,
        mr_study=mr_plan.study_uid,
        ct_series=sorted({ds.SeriesInstanceUID for ds in datasets}),
        ct_instances=[ds.SOPInstanceUID for ds in datasets],
    )


def qido(loaded: Loaded, path: str, **params: str) -> requests.Response:
    """GET a search, scoped to the module's patient unless PatientID is given."""
    params.setdefault("PatientID", loaded.patient_id)
    return requests.get(f"{loaded.base}{path}", params=params, timeout=30)


def values(results: list[dict[str, Any]], tag: str) -> list[Any]:
    return [r[tag]["Value"][0] if "Value" in r[tag] else None for r in results]


def test_study_search_returns_the_default_attributes(loaded: Loaded) -> None:
    response = qido(loaded, "/studies", AccessionNumber=loaded.ct.accession)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/dicom+json")
    (study,) = response.json()
    assert study["0020000D"]["Value"] == [loaded.ct.study_uid]
    assert study["00100010"] == {"vr": "PN", "Value": [{"Alphabetic": "Jansen^Zoë^^^"}]}
    assert study["00080061"]["Value"] == ["CT"]
    assert study["00201206"]["Value"] == [2] and study["00201208"]["Value"] == [4]
    assert study["00080020"]["Value"] == ["20240315"]
    assert study["00080056"]["Value"] == ["ONLINE"]
    assert study["00081190"]["Value"] == [f"{loaded.base}/studies/{loaded.ct.study_uid}"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, 2),
        ({"PatientName": "jansen*"}, 2),
        ({"PatientName": "Jansen^Zoë"}, 2),
        ({"PatientName": "Jans?n^Z*"}, 2),
        ({"PatientName": "Pietersen*"}, 0),
        ({"StudyDate": "20240101-20240331"}, 1),
        ({"StudyDate": "20240401-"}, 1),
        ({"StudyDate": "-20241231"}, 2),
        ({"StudyDate": "20240315"}, 1),
        ({"StudyTime": "1400-1500"}, 1),
        ({"StudyTime": "1015"}, 1),
        ({"ModalitiesInStudy": "MR"}, 1),
        ({"ModalitiesInStudy": "CT,MR"}, 2),
        ({"00080061": "US"}, 0),
        ({"AccessionNumber": "ACC-MR"}, 1),
        ({"ReferringPhysicianName": "de Vries*"}, 2),
        ({"StudyDescription": "MR*"}, 1),
        ({"PatientSex": "F"}, 2),
        ({"PatientBirthDate": "19700101"}, 2),
        ({"StudyID": "S1"}, 2),
        ({"fuzzymatching": "false"}, 2),
    ],
)
def test_study_matching(loaded: Loaded, params: dict[str, str], expected: int) -> None:
    response = qido(loaded, "/studies", **params)
    assert response.status_code == 200
    assert len(response.json()) == expected


def test_study_uid_list_and_tag_form(loaded: Loaded) -> None:
    uids = f"{loaded.ct.study_uid},{loaded.mr_study}"
    response = requests.get(
        f"{loaded.base}/studies",
        params={"0020000D": uids, "00100020": loaded.patient_id},
        timeout=30,
    )
    assert sorted(values(response.json(), "0020000D")) == sorted(
        [loaded.ct.study_uid, loaded.mr_study]
    )


def test_limit_offset_and_more_results_warning(loaded: Loaded) -> None:
    first = qido(loaded, "/studies", limit="1")
    second = qido(loaded, "/studies", limit="1", offset="1")
    assert "additional results" in first.headers["Warning"]
    assert "Warning" not in second.headers
    # newest study first
    assert values(first.json(), "0020000D") == [loaded.mr_study]
    assert values(second.json(), "0020000D") == [loaded.ct.study_uid]


def test_includefield(loaded: Loaded) -> None:
    (study,) = qido(
        loaded, "/studies", AccessionNumber="ACC-MR", includefield="IssuerOfPatientID"
    ).json()
    assert study["00100021"]["Value"] == ["HOSP-A"]
    (study,) = qido(loaded, "/studies", AccessionNumber="ACC-MR", includefield="all").json()
    assert study["00081030"]["Value"] == ["MR knie"] and "00100021" in study


def test_fuzzymatching_true_is_literal_with_a_warning(loaded: Loaded) -> None:
    response = qido(loaded, "/studies", fuzzymatching="true")
    assert len(response.json()) == 2 and "fuzzymatching" in response.headers["Warning"]


def test_unsupported_key_is_ignored_with_a_warning(loaded: Loaded) -> None:
    response = qido(loaded, "/studies", OperatorsName="X*")
    assert len(response.json()) == 2 and "OperatorsName" in response.headers["Warning"]


def test_no_match_is_200_and_empty(loaded: Loaded) -> None:
    response = qido(loaded, "/studies", PatientID=f"none-{uuid.uuid4().hex}")
    assert response.status_code == 200 and response.json() == []


def test_series_searches(loaded: Loaded) -> None:
    scoped = qido(loaded, f"/studies/{loaded.ct.study_uid}/series").json()
    assert sorted(values(scoped, "0020000E")) == loaded.ct_series
    assert values(scoped, "00080060") == ["CT", "CT"] and values(scoped, "00200011") == [1, 2]
    assert "00100010" not in scoped[0]  # study attributes only when not scoped to the study
    assert "00100020" in scoped[0]  # but matching keys always
    assert scoped[0]["00201209"]["Value"] == [2]
    everywhere = qido(loaded, "/series", Modality="MR").json()
    assert len(everywhere) == 1 and everywhere[0]["0020000D"]["Value"] == [loaded.mr_study]
    assert len(qido(loaded, "/series", SeriesNumber="2").json()) == 1


def test_instance_searches(loaded: Loaded) -> None:
    series = loaded.ct_series[0]
    found = qido(loaded, f"/studies/{loaded.ct.study_uid}/series/{series}/instances").json()
    assert len(found) == 2 and values(found, "00200013") == [1, 2]
    assert found[0]["00280010"]["Value"] == [64]
    url = found[0]["00081190"]["Value"][0]
    assert url.startswith(f"{loaded.base}/studies/{loaded.ct.study_uid}/series/{series}/instances/")
    assert len(qido(loaded, f"/studies/{loaded.ct.study_uid}/instances").json()) == 4
    sop = loaded.ct_instances[0]
    (one,) = qido(
        loaded, "/instances", SOPInstanceUID=sop, includefield="00280100,Manufacturer"
    ).json()
    assert one["00280100"]["Value"] == [16]
    assert one["00080070"]["Value"] == ["Beeldportaal Test"]
    assert one["0020000D"]["Value"] == [loaded.ct.study_uid]  # unscoped: study attributes too
    (full,) = qido(loaded, "/instances", SOPInstanceUID=sop, includefield="all").json()
    assert full["7FE00010"]["BulkDataURI"].startswith(f"{loaded.base}/studies/")


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"StudyDate": "2024-03-15"}, "StudyDate"),
        ({"StudyDate": "20240401-20240301"}, "ends before"),
        ({"StudyTime": "25x"}, "StudyTime"),
        ({"NoSuchKeyword": "1"}, "NoSuchKeyword"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"StudyInstanceUID": "1.2.abc"}, "UID"),
        ({"fuzzymatching": "maybe"}, "fuzzymatching"),
        ({"includefield": "NotAKeyword"}, "NotAKeyword"),
        ({"SeriesNumber": "one"}, "integer"),
    ],
)
def test_golden_query_with_one_change_is_400(
    loaded: Loaded, change: dict[str, str], fragment: str
) -> None:
    path = "/series" if "SeriesNumber" in change else "/studies"
    assert qido(loaded, path).status_code == 200  # the golden query
    response = qido(loaded, path, **change)
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("text/plain")
    assert fragment in response.text


def test_key_given_twice_is_400(loaded: Loaded) -> None:
    response = requests.get(
        f"{loaded.base}/studies?PatientID={loaded.patient_id}&PatientID=x", timeout=30
    )
    assert response.status_code == 400 and "more than once" in response.text


def test_xml_only_accept_is_406(loaded: Loaded) -> None:
    response = requests.get(
        f"{loaded.base}/studies",
        params={"PatientID": loaded.patient_id},
        headers={"Accept": 'multipart/related; type="application/dicom+xml"'},
        timeout=30,
    )
    assert response.status_code == 406


def test_dicomweb_client_searches(loaded: Loaded) -> None:
    client = DICOMwebClient(loaded.base)
    studies = client.search_for_studies(search_filters={"PatientID": loaded.patient_id})
    assert len(studies) == 2
    series = client.search_for_series(loaded.ct.study_uid, search_filters={"Modality": "CT"})
    assert len(series) == 2
    instances = client.search_for_instances(
        loaded.ct.study_uid, loaded.ct_series[1], fields=["NumberOfFrames"]
    )
    assert len(instances) == 2
    none = client.search_for_studies(search_filters={"PatientID": f"x-{uuid.uuid4().hex}"})
    assert none == []
