"""Pure: the query parameters of a QIDO-RS search, checked and parsed (PS3.18 8.3.4, 10.6.1).

``{attributeID}={value}`` match keys (keyword or eight hex digits), ``includefield``
(repeatable, comma-separated, or ``all``), ``limit``, ``offset`` and ``fuzzymatching``
(accepted; only ``false`` semantics are offered, PS3.18 8.3.4.5). Values are checked against
their VR's matching rules (PS3.4 C.2.2.2); anything malformed raises a 400
:class:`~imaging_source.dicomweb.errors.DicomwebError` whose text says what was wrong.
Known DICOM attributes that are not matching keys here are ignored and reported back in a
``Warning`` header (PS3.18 8.3.4.2).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from pydicom.datadict import keyword_for_tag, tag_for_keyword

from imaging_source.dicomweb.attributes import (
    BY_TAG,
    VISIBLE,
    Attribute,
    Level,
    Matching,
)
from imaging_source.dicomweb.errors import bad_request
from imaging_source.index.query import Condition, Op

_TAG = re.compile(r"[0-9A-Fa-f]{8}")
_UID = re.compile(r"[0-9]+(\.[0-9]+)*")
_DATE = re.compile(r"\d{8}")
_TIME = re.compile(r"\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?")
_INT = re.compile(r"[+-]?\d{1,10}")
#: Parameters of the search itself, not match keys (PS3.18 Table 8.3.4-1). ``accept`` and
#: ``charset`` are the query-parameter forms of the Accept headers (8.3.3.1); JSON in UTF-8
#: is what we answer anyway.
_CONTROL = frozenset({"limit", "offset", "includefield", "fuzzymatching", "accept", "charset"})
MAX_UIDS = 1000


@dataclass(frozen=True)
class QidoQuery:
    """A parsed QIDO-RS search."""

    level: Level
    conditions: tuple[Condition, ...]
    #: Attributes to return beyond the defaults; ``include_all`` returns every one we have.
    include: tuple[Attribute, ...] = ()
    include_all: bool = False
    #: Requested tags (hex) we keep no column for; instance searches take them from the
    #: cached DICOM JSON.
    include_other: tuple[str, ...] = ()
    limit: int = 0
    offset: int = 0
    #: Known attributes that were ignored as match keys or includefields (Warning header).
    ignored: tuple[str, ...] = ()
    #: ``fuzzymatching=true`` was asked for; only literal matching is done (PS3.18 8.3.4.5).
    fuzzy: bool = False


def _attribute_id(name: str) -> tuple[str, Attribute | None]:
    """Resolve a keyword or tag to (hex tag, supported attribute or None); 400 if unknown."""
    if _TAG.fullmatch(name):
        tag = int(name, 16)
        if not keyword_for_tag(tag) and not (tag >> 16) % 2:
            raise bad_request(f"unknown attribute tag {name}")
    else:
        found = tag_for_keyword(name)
        if found is None:
            raise bad_request(f"unknown query parameter or attribute keyword {name!r}")
        tag = int(found)
    return f"{tag:08X}", BY_TAG.get(tag)


def _split(value: str) -> list[str]:
    """Values of a list match: comma- or backslash-separated (PS3.18 8.3.4.1)."""
    return [v for v in re.split(r"[,\\]", value) if v]


def _check_each(values: Iterable[str], pattern: re.Pattern[str], what: str, name: str) -> None:
    for value in values:
        if not pattern.fullmatch(value):
            raise bad_request(f"{name}: {value!r} is not a valid {what}")


def _range(attr: Attribute, value: str) -> Condition:
    """A DA/TM single value or range ``a-b``, ``-b``, ``a-`` (PS3.4 C.2.2.2.5)."""
    pattern, what = (_DATE, "date (YYYYMMDD)") if attr.vr == "DA" else (_TIME, "time (HHMMSS)")
    low, dash, high = value.partition("-")
    if dash and not (low or high):
        raise bad_request(f"{attr.keyword}: a range needs at least one end")
    _check_each([v for v in (low, high) if v], pattern, what, attr.keyword)
    if not dash:
        high = low
    if low and high and low > high:
        raise bad_request(f"{attr.keyword}: range {value!r} ends before it starts")
    # A time's upper end includes every later digit: 1015 means up to 10:15:59.999999.
    upper = high + "~" if high and attr.vr == "TM" else high
    return Condition(attr.table, attr.column, Op.RANGE, (low, upper))


def condition(attr: Attribute, value: str) -> Condition | None:
    """The condition for ``attr=value``, or None for universal matching (empty value)."""
    if value == "" or value == "*":
        return None
    kind = attr.matching
    if kind is Matching.UID:
        uids = _split(value)
        _check_each(uids, _UID, "UID", attr.keyword)
        if len(uids) > MAX_UIDS:
            raise bad_request(f"{attr.keyword}: more than {MAX_UIDS} UIDs")
        return Condition(attr.table, attr.column, Op.IN, tuple(uids))
    if kind in (Matching.DATE, Matching.TIME):
        return _range(attr, value)
    if kind is Matching.INTEGER:
        _check_each([value], _INT, "integer", attr.keyword)
        return Condition(attr.table, attr.column, Op.INTEGER, (value,))
    if kind in (Matching.CODE, Matching.MULTI):
        codes = value.split(",")
        if any(not c.strip() for c in codes):
            raise bad_request(f"{attr.keyword}: empty value in list {value!r}")
        op = Op.CONTAINS if kind is Matching.MULTI else Op.LIKE
        return Condition(attr.table, attr.column, op, tuple(c.strip() for c in codes))
    op = Op.NAME if kind is Matching.NAME else Op.LIKE
    return Condition(attr.table, attr.column, op, (value,))


def _number(name: str, value: str) -> int:
    if not value.isdigit() or len(value) > 9:
        raise bad_request(f"{name}: {value!r} is not a non-negative integer")
    return int(value)


@dataclass
class _Builder:
    level: Level
    conditions: list[Condition] = field(default_factory=list)
    include: list[Attribute] = field(default_factory=list)
    include_other: list[str] = field(default_factory=list)
    include_all: bool = False
    ignored: list[str] = field(default_factory=list)
    matched: set[str] = field(default_factory=set)

    def visible(self, attr: Attribute | None) -> bool:
        return attr is not None and attr.level in VISIBLE[self.level]

    def add_match(self, name: str, value: str) -> None:
        key, attr = _attribute_id(name)
        if attr is None or not self.visible(attr) or attr.matching is Matching.NONE:
            self.ignored.append(keyword_for_tag(int(key, 16)) or key)
            return
        if key in self.matched:
            raise bad_request(f"{attr.keyword} is given more than once")
        self.matched.add(key)
        self.include.append(attr)  # matched attributes are returned (PS3.18 10.6.3)
        if (found := condition(attr, value)) is not None:
            self.conditions.append(found)

    def add_include(self, value: str) -> None:
        for name in (v.strip() for v in value.split(",")):
            if name == "all":
                self.include_all = True
                continue
            key, attr = _attribute_id(name)
            if self.visible(attr):
                assert attr is not None
                self.include.append(attr)
            elif self.level is Level.INSTANCE and attr is None:
                self.include_other.append(key)
            else:
                self.ignored.append(name)


def parse_query(level: Level, args: Iterable[tuple[str, str]], result_limit: int) -> QidoQuery:
    """Parse the query parameters of a search at ``level`` (PS3.18 10.6.1.2, 8.3.4)."""
    builder = _Builder(level)
    limit: int | None = None
    offset = 0
    fuzzy = False
    for name, value in args:
        if name == "includefield":
            builder.add_include(value)
        elif name == "limit":
            limit = _number(name, value)
            if limit == 0:
                raise bad_request("limit: must be at least 1")
        elif name == "offset":
            offset = _number(name, value)
        elif name == "fuzzymatching":
            if value not in ("true", "false"):
                raise bad_request(f"fuzzymatching: {value!r} is not true or false")
            fuzzy = value == "true"
        elif name not in _CONTROL:
            builder.add_match(name, value)
    if limit is None or limit > result_limit:
        limit = result_limit
    return QidoQuery(
        level=level,
        conditions=tuple(builder.conditions),
        include=tuple(dict.fromkeys(builder.include)),
        include_all=builder.include_all,
        include_other=tuple(dict.fromkeys(builder.include_other)),
        limit=limit,
        offset=offset,
        ignored=tuple(builder.ignored),
        fuzzy=fuzzy,
    )
