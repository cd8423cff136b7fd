"""Pure search values (FHIR R4 search.html 2.21.1.x), the Patient query and its store.

Date prefixes are checked against the range rules of search.html 2.21.1.4 with targets of
different precision; the Patient store runs on a real SQLite database migrated by the
facade's own Alembic branch, whose schema must equal the mapped tables.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect

from fhir_facade import search_values as sv
from fhir_facade.errors import FhirError
from fhir_facade.migrate import upgrade
from fhir_facade.patient_search import patient_index, patient_query
from fhir_facade.storage import tables
from fhir_facade.storage.patients import PatientRow, PatientStore
from xds_common.db import Base, get_engine, session_factory

DAY = sv.DateRange(datetime(2024, 3, 15), datetime(2024, 3, 16))
MOMENT = sv.DateRange(datetime(2024, 3, 15, 10, 15), datetime(2024, 3, 15, 10, 16))


@pytest.mark.parametrize(
    ("text", "target", "expected"),
    [
        ("2024-03-15", DAY, True),
        ("2024-03", DAY, True),
        ("2024-03-15T10:15", DAY, False),  # the day is wider than the minute
        ("2024-03-15T10:15", MOMENT, True),
        ("ne2024-03", DAY, False),
        ("ge2024-03-15", DAY, True),
        ("ge2024-03-16", DAY, False),
        ("gt2024-03-14", DAY, True),
        ("gt2024-03-15", DAY, False),
        ("le2024-03-15", DAY, True),
        ("lt2024-03-15", DAY, False),
        ("lt2024-03-15T10:16", MOMENT, True),
        ("lt2024-03-15T10:15", MOMENT, False),
        ("ge2024", MOMENT, True),
    ],
)
def test_date_prefixes(text: str, target: sv.DateRange, expected: bool) -> None:
    assert sv.date_matches(sv.parse_date("started", text), target) is expected


def test_date_precision_and_zones() -> None:
    assert sv.date_range("2024") == sv.DateRange(datetime(2024, 1, 1), datetime(2025, 1, 1))
    assert sv.date_range("2024-12") == sv.DateRange(datetime(2024, 12, 1), datetime(2025, 1, 1))
    second = sv.date_range("2024-03-15T10:15:30.250")
    assert second == sv.DateRange(
        datetime(2024, 3, 15, 10, 15, 30), datetime(2024, 3, 15, 10, 15, 31)
    )
    zoned = sv.date_range("2024-03-15T10:15:00Z")
    assert zoned is not None
    local = datetime.fromisoformat("2024-03-15T10:15:00+00:00").astimezone().replace(tzinfo=None)
    assert zoned.start == local
    for bad in ("2024-13", "2024-02-30", "15-03-2024", "2024-03-15T25:00", ""):
        assert sv.date_range(bad) is None


@pytest.mark.parametrize("text", ["sa2024", "eb2024", "ap2024"])
def test_unsupported_prefixes_are_refused(text: str) -> None:
    with pytest.raises(FhirError) as caught:
        sv.parse_date("birthdate", text)
    assert (caught.value.status, caught.value.issues[0].code) == (400, "not-supported")


def test_day_window_covers_every_match() -> None:
    window = sv.day_window(
        [sv.parse_date("s", "gt2024-03-14T23:00"), sv.parse_date("s", "lt2024-03-17")]
    )
    assert window == (datetime(2024, 3, 14), datetime(2024, 3, 16))
    assert sv.day_window([sv.parse_date("s", "ne2024")]) == (None, None)


def test_tokens_and_or_lists() -> None:
    assert sv.parse_token("identifier", "a|b") == sv.Token("a", "b")
    assert sv.parse_token("identifier", "|b") == sv.Token("", "b")
    assert sv.parse_token("identifier", "a|") == sv.Token("a", "")
    assert sv.parse_token("identifier", "b") == sv.Token(None, "b")
    assert sv.split_or("a,b\\,c") == ["a", "b,c"]
    for bad in ("|", "a|b|c", ""):
        with pytest.raises(FhirError):
            sv.parse_token("identifier", bad)


def test_schema_matches_the_tables(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fhir.db'}"
    upgrade(url)
    upgrade(url)  # idempotent
    ours = MetaData()
    for table in Base.metadata.sorted_tables:
        if table.name.startswith("fhir_"):
            table.to_metadata(ours)
    with get_engine(url).connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = [d for d in compare_metadata(context, ours) if not str(d[1]).startswith("alembic")]
        names = set(inspect(conn).get_table_names())
        version = conn.exec_driver_sql("SELECT version_num FROM alembic_version_fhir").all()
    assert diff == []
    assert {"fhir_patients", "fhir_patient_identifiers", "fhir_patient_names"} <= names
    assert version == [("f0001",)]
    assert tables.FhirPatient.__tablename__ == "fhir_patients"


def _patient(
    pid: str, family: str, given: str, birth: str, gender: str, bsn: str
) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": pid,
        "identifier": [{"system": "http://fhir.nl/fhir/NamingSystem/bsn", "value": bsn}],
        "name": [{"family": family, "given": [given]}],
        "birthDate": birth,
        "gender": gender,
    }


@pytest.fixture
def store(tmp_path: Path) -> PatientStore:
    url = f"sqlite:///{tmp_path / 'fhir.db'}"
    upgrade(url)
    store = PatientStore(session_factory(url), session_factory(url, write=True))
    for data in (
        _patient("a", "Müller", "Jan", "1970", "male", "111222333"),
        _patient("b", "Mulder", "Anna", "1980-05-17", "female", "123456782"),
        _patient("c", "de Vries", "Jan", "1980-05", "male", "999999990"),
    ):
        row = PatientRow(data["id"], 1, datetime(2024, 1, 1), "{}")
        store.save(row, patient_index(data))
    return store


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"family": ["mul"]}, ["a", "b"]),
        ({"family": ["MUELLER,mull"]}, ["a"]),
        ({"family:exact": ["Müller"]}, ["a"]),
        ({"family:exact": ["müller"]}, []),
        ({"family:contains": ["vri"]}, ["c"]),
        ({"given": ["jan"], "family": ["de"]}, ["c"]),
        ({"birthdate": ["1980"]}, ["b", "c"]),
        ({"birthdate": ["1980-05-17"]}, ["b"]),  # "1980-05" is wider than the day
        ({"birthdate": ["ge1980-05-17"]}, ["b", "c"]),  # c's month reaches past the 17th
        ({"birthdate": ["lt1971"]}, ["a"]),
        ({"gender": ["male"], "birthdate": ["ne1970"]}, ["c"]),
        ({"identifier": ["urn:oid:2.16.840.1.113883.2.4.6.3|123456782"]}, ["b"]),
        ({"identifier": ["http://fhir.nl/fhir/NamingSystem/bsn|"]}, ["a", "b", "c"]),
        ({"identifier": ["111222333,999999990"]}, ["a", "c"]),
        ({"_id": ["b,c"], "_other": ["ignored here"]}, ["b", "c"]),
    ],
)
def test_patient_search(
    store: PatientStore, params: dict[str, list[str]], expected: list[str]
) -> None:
    total, rows = store.search(patient_query(params), 10, 0)
    assert (total, [r.id for r in rows]) == (len(expected), expected)


def test_paging_is_stable(store: PatientStore) -> None:
    query = patient_query({})
    pages = [store.search(query, 2, offset)[1] for offset in (0, 2)]
    assert [[r.id for r in page] for page in pages] == [["a", "b"], ["c"]]


@pytest.mark.parametrize(
    "params",
    [{"gender": ["vrouw"]}, {"family:fuzzy": ["x"]}, {"birthdate": ["1980-13"]}, {"family": [""]}],
)
def test_bad_patient_parameters(params: dict[str, list[str]]) -> None:
    with pytest.raises(FhirError) as caught:
        patient_query(params)
    assert caught.value.status == 400
