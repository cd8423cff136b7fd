"""QIDO-RS searches on the index: one SELECT per request, never a file (PS3.18 10.6).

A search is a level (study, series, instance), the resource it is scoped to (a study, a
series), and :class:`Condition` values saying how a column must match (PS3.4 C.2.2.2). Each
search is one statement joining the levels it needs, filtered on indexed columns, ordered
stably so that ``limit``/``offset`` page through a consistent list (PS3.18 8.3.4.4).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, and_, func, literal, or_, select
from sqlalchemy.orm import Session

from imaging_source.index.tables import (
    ImagingInstance,
    ImagingPatient,
    ImagingSeries,
    ImagingStudy,
)

_PATIENTS = cast(Table, ImagingPatient.__table__)
_STUDIES = cast(Table, ImagingStudy.__table__)
_SERIES = cast(Table, ImagingSeries.__table__)
_INSTANCES = cast(Table, ImagingInstance.__table__)
TABLES: Mapping[str, Table] = {
    "patient": _PATIENTS,
    "study": _STUDIES,
    "series": _SERIES,
    "instance": _INSTANCES,
}
#: PN components a stored name may end with; ``Doe^John`` matches ``Doe^John^^^``.
_NAME_PADDING = ("", "^", "^^", "^^^", "^^^^")


class Op(StrEnum):
    """Matching operators (PS3.4 C.2.2.2)."""

    IN = "in"  # equal to one of the values (list of UID matching, C.2.2.2.2)
    LIKE = "like"  # any value equal to, or with * / ? matching, one of the values
    NAME = "name"  # PN: case-insensitive LIKE with trailing ^ ignored
    CONTAINS = "contains"  # a \\-separated column holds one of the values
    RANGE = "range"  # (low, high); either may be "" for open ends (C.2.2.2.5)
    INTEGER = "integer"  # an integer column equals the value


@dataclass(frozen=True)
class Condition:
    """``table.column`` must match ``values`` by ``op``."""

    table: str
    column: str
    op: Op
    values: tuple[str, ...]


@dataclass(frozen=True)
class Scope:
    """The resource a search is under: all, one study, or one series of one study."""

    study_uid: str | None = None
    series_uid: str | None = None


def _like_pattern(value: str) -> str:
    """A DICOM wildcard value as a LIKE pattern with ``\\`` as escape (PS3.4 C.2.2.2.4)."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


def _has_wildcard(value: str) -> bool:
    return "*" in value or "?" in value


def _like(column: Any, value: str) -> ColumnElement[bool]:
    if _has_wildcard(value):
        return cast(ColumnElement[bool], column.like(_like_pattern(value), escape="\\"))
    return cast(ColumnElement[bool], column == value)


def _name(column: Any, value: str) -> ColumnElement[bool]:
    """PN matching, case-insensitive; ``Doe^John`` also matches ``Doe^John^^`` (C.2.2.2.1.1)."""
    lowered = func.lower(column)
    if _has_wildcard(value):
        return cast(ColumnElement[bool], lowered.like(_like_pattern(value.lower()), escape="\\"))
    stem = value.lower().rstrip("^")
    return lowered.in_([stem + pad for pad in _NAME_PADDING])


def _contains(column: Any, value: str) -> ColumnElement[bool]:
    """``column`` (values joined by ``\\``) holds ``value`` (wildcards allowed) as one value."""
    padded = literal("\\") + column + literal("\\")
    pattern = "%\\\\" + _like_pattern(value) + "\\\\%"
    return cast(ColumnElement[bool], padded.like(pattern, escape="\\"))


def _range(column: Any, low: str, high: str) -> ColumnElement[bool]:
    parts = [column != ""]
    if low:
        parts.append(column >= low)
    if high:
        parts.append(column <= high)
    return and_(*parts)


def clause(cond: Condition) -> ColumnElement[bool]:
    """The SQL expression of one condition."""
    column = TABLES[cond.table].c[cond.column]
    if cond.op is Op.IN:
        return column.in_(cond.values) if len(cond.values) > 1 else column == cond.values[0]
    if cond.op is Op.RANGE:
        return _range(column, cond.values[0], cond.values[1])
    if cond.op is Op.INTEGER:
        return column == int(cond.values[0])
    match = {Op.LIKE: _like, Op.NAME: _name, Op.CONTAINS: _contains}[cond.op]
    return or_(*(match(column, v) for v in cond.values))


def column_key(table: str, column: str) -> str:
    """The key of ``table.column`` in a :func:`search` result row."""
    return f"{table}__{column}"


def _labelled(table: str, names: Sequence[str] | None = None) -> list[Any]:
    source = TABLES[table]
    return [
        c.label(column_key(table, c.name)) for c in source.c if names is None or c.name in names
    ]


_INSTANCE_COLUMNS = (
    "sop_instance_uid",
    "sop_class_uid",
    "instance_number",
    "number_of_frames",
    "rows",
    "columns",
)


@cache
def _base(level: str, with_json: bool) -> Select[Any]:
    """SELECT of every column a result at ``level`` may need, joined down from the patient.

    Built once per shape: SQLAlchemy statements are immutable, ``where`` makes a new one.
    """
    columns: list[Any] = _labelled("patient") + _labelled("study")
    joined = _STUDIES.join(_PATIENTS, _STUDIES.c.patient_pk == _PATIENTS.c.pk)
    if level in ("series", "instance"):
        columns += _labelled("series")
        joined = joined.join(_SERIES, _SERIES.c.study_instance_uid == _STUDIES.c.study_instance_uid)
    if level == "instance":
        names = _INSTANCE_COLUMNS + (("dicom_json",) if with_json else ())
        columns += _labelled("instance", names)
        joined = joined.join(
            _INSTANCES, _INSTANCES.c.series_instance_uid == _SERIES.c.series_instance_uid
        )
    return select(*columns).select_from(joined)


def _order(level: str) -> list[Any]:
    order: list[Any] = [
        _STUDIES.c.study_date.desc(),
        _STUDIES.c.study_time.desc(),
        _STUDIES.c.study_instance_uid,
    ]
    if level in ("series", "instance"):
        order += [_SERIES.c.series_number, _SERIES.c.series_instance_uid]
    if level == "instance":
        order += [_INSTANCES.c.instance_number, _INSTANCES.c.sop_instance_uid]
    return order


def search(
    session: Session,
    level: str,
    conditions: Sequence[Condition],
    scope: Scope,
    *,
    limit: int,
    offset: int = 0,
    with_json: bool = False,
) -> Sequence[Mapping[str, Any]]:
    """Rows (:func:`column_key` → value) matching ``conditions`` under ``scope``, at most ``limit``.

    ``level`` is ``study``, ``series`` or ``instance``; ``with_json`` adds the instances'
    cached DICOM JSON (``dicom_json``) for ``includefield`` of unindexed attributes.
    """
    query = _base(level, with_json)
    where = [clause(c) for c in conditions]
    if scope.study_uid is not None:
        where.append(_STUDIES.c.study_instance_uid == scope.study_uid)
    if scope.series_uid is not None:
        where.append(_SERIES.c.series_instance_uid == scope.series_uid)
    query = query.where(*where).order_by(*_order(level)).limit(limit).offset(offset)
    result = session.connection().execute(query)  # Core path: no ORM compile step
    return [cast(Mapping[str, Any], row._mapping) for row in result]
