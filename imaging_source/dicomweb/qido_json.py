"""Pure: QIDO-RS result rows as DICOM JSON datasets (PS3.18 10.6.3, F.2).

Each result carries the default attributes of its level (Tables 10.6.3-3/-4/-5), those of
the higher levels the search was not scoped to (10.6.3.2: a series search over all studies
returns the study attributes too), the matching keys, and the ``includefield`` attributes.
Instance results can also return any attribute of the cached DICOM JSON (``includefield``
of an unindexed tag, or ``all``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from imaging_source.dicom_json import absolutize, instance_path
from imaging_source.dicomweb.attributes import (
    ATTRIBUTES,
    AVAILABILITY,
    CHARACTER_SET,
    VISIBLE,
    Attribute,
    Level,
    Matching,
)
from imaging_source.dicomweb.qido_params import QidoQuery
from imaging_source.index.query import column_key

_CHARSET, _AVAILABILITY, _RETRIEVE_URL = "00080005", "00080056", "00081190"
_NUMERIC = frozenset({"IS", "US"})


Encoder = Callable[[Mapping[str, Any]], dict[str, Any]]


def _value_encoder(attr: Attribute) -> Callable[[Any], dict[str, Any]]:
    """How one indexed value becomes its DICOM JSON object (PS3.18 F.2.2, F.2.5 for PN)."""
    vr = attr.vr
    empty = {"vr": vr}

    def number(raw: Any) -> dict[str, Any]:
        return empty if raw is None or raw == "" else {"vr": vr, "Value": [int(raw)]}

    def name(raw: Any) -> dict[str, Any]:
        if not raw:
            return empty
        groups = zip(("Alphabetic", "Ideographic", "Phonetic"), str(raw).split("="), strict=False)
        return {"vr": "PN", "Value": [{k: v for k, v in groups if v}]}

    def multi(raw: Any) -> dict[str, Any]:
        return {"vr": vr, "Value": str(raw).split("\\")} if raw else empty

    def text(raw: Any) -> dict[str, Any]:
        return {"vr": vr, "Value": [str(raw)]} if raw else empty

    if vr in _NUMERIC:
        return number
    if vr == "PN":
        return name
    return multi if attr.matching is Matching.MULTI else text


def _column_encoder(attr: Attribute) -> Encoder:
    column = column_key(attr.table, attr.column)
    encode = _value_encoder(attr)
    return lambda row: encode(row[column])


def returned_levels(level: Level, scoped_study: bool, scoped_series: bool) -> tuple[Level, ...]:
    """Levels whose default attributes a result carries (PS3.18 10.6.3.2)."""
    fixed = {Level.STUDY} if scoped_study else set()
    if scoped_series:
        fixed.add(Level.SERIES)
    return tuple(lv for lv in VISIBLE[level] if lv is level or lv not in fixed)


def selected(query: QidoQuery, levels: Iterable[Level]) -> tuple[Attribute, ...]:
    """The indexed attributes to return for ``query``, in tag order."""
    wanted = set(levels)
    visible = set(VISIBLE[query.level])
    chosen = {
        a
        for a in ATTRIBUTES
        if a.table
        and a.level in visible
        and (query.include_all or (a.default and a.level in wanted) or a in query.include)
    }
    return tuple(sorted(chosen, key=lambda a: a.tag))


_STUDY_UID = column_key("study", "study_instance_uid")
_SERIES_UID = column_key("series", "series_instance_uid")
_SOP_UID = column_key("instance", "sop_instance_uid")
_JSON = column_key("instance", "dicom_json")


def _retrieve_url(level: Level, row: Mapping[str, Any], base: str) -> str:
    """Retrieve URL (0008,1190) of the result's resource (PS3.18 10.6.3.3)."""
    study = f"{base}/studies/{row[_STUDY_UID]}"
    if level is Level.STUDY:
        return study
    if level is Level.SERIES:
        return f"{study}/series/{row[_SERIES_UID]}"
    return f"{base}/{instance_path(row[_STUDY_UID], row[_SERIES_UID], row[_SOP_UID])}"


def _cached(row: Mapping[str, Any], query: QidoQuery, base: str) -> dict[str, Any]:
    """Attributes taken from the instance's cached DICOM JSON (``includefield``)."""
    text = row.get(_JSON)
    if not text:
        return {}
    cached: dict[str, Any] = json.loads(absolutize(text, base))
    if query.include_all:
        return cached
    return {k: cached[k] for k in query.include_other if k in cached}


def _constant(vr: str, value: str) -> Encoder:
    item = {"vr": vr, "Value": [value]}
    return lambda _row: item


def encoders(query: QidoQuery, attrs: Iterable[Attribute], base: str) -> list[tuple[str, Encoder]]:
    """(key, encoder) of every returned attribute, in tag order, computed ones included."""
    found: dict[str, Encoder] = {a.key: _column_encoder(a) for a in attrs}
    found[_CHARSET] = _constant("CS", CHARACTER_SET)
    if query.level is not Level.SERIES:
        found[_AVAILABILITY] = _constant("CS", AVAILABILITY)
    level = query.level
    found[_RETRIEVE_URL] = lambda row: {"vr": "UR", "Value": [_retrieve_url(level, row, base)]}
    return sorted(found.items())


def dataset(
    row: Mapping[str, Any], query: QidoQuery, fields: list[tuple[str, Encoder]], base: str
) -> dict[str, Any]:
    """One result dataset of ``query`` from an index row."""
    out = {key: encode(row) for key, encode in fields}
    if query.level is Level.INSTANCE and (query.include_all or query.include_other):
        cached = _cached(row, query, base)
        cached.update(out)
        return dict(sorted(cached.items()))
    return out


def results(
    rows: Iterable[Mapping[str, Any]], query: QidoQuery, levels: Iterable[Level], base: str
) -> list[dict[str, Any]]:
    """The response array of a search (PS3.18 10.6.3.3.1)."""
    base = base.rstrip("/")
    fields = encoders(query, selected(query, levels), base)
    return [dataset(row, query, fields, base) for row in rows]
