"""Parse a ``query:AdhocQueryRequest`` into a :class:`ParsedQuery` (ITI TF-2a 3.18.4.1.2.3).

Value syntax (ITI TF-2a 3.18.4.1.2.3.5): quoted strings with ``''`` for a quote, bare
numbers and DTMs, ``('a','b')`` lists that may be split over several ``rim:Value``s, and
``code^^scheme`` coded values. A repeated Slot of an AND/OR parameter adds an AND term
(3.18.4.1.2.3.5.1); for other multi-valued parameters its values are ORed with the rest.

Errors (3.18.4.1.3, reference pitfall 4): unknown query id → XDSUnknownStoredQuery;
missing required parameter → XDSStoredQueryMissingParam; too many values or both of a
one-of group → XDSStoredQueryParamNumber; malformed values → XDSRegistryError (the
error table lists XDSRegistryMetadataError for ITI-41/42 only).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from lxml import etree

from profiles import namespaces as ns
from profiles.errors import ErrorCode
from profiles.stored_queries import BY_ID, RETURN_TYPES, Param, StoredQuery
from xds_common.ebrim import rim
from xds_common.errors import ErrorCollector, XdsError
from xds_common.query import names
from xds_common.query.values import BY_NAME, NORMALISE, MalformedValueError, same, split_value

T_ADHOC_QUERY: Final = ns.qn(ns.RIM, "AdhocQuery")
T_RESPONSE_OPTION: Final = ns.qn(ns.QUERY, "ResponseOption")
LEAF_CLASS: Final = "LeafClass"
OBJECT_REF: Final = "ObjectRef"
assert {LEAF_CLASS, OBJECT_REF} == RETURN_TYPES

#: One tuple of ORed values per Slot; the tuples are ANDed (AND/OR parameters only).
Groups = tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class ParsedQuery:
    """A validated stored-query request."""

    spec: StoredQuery
    return_type: str
    params: Mapping[str, Groups]
    home: str = ""
    #: Slot names the query does not declare (ignored, kept for logging).
    ignored: tuple[str, ...] = ()

    @property
    def leaf_class(self) -> bool:
        """True for ``returnType="LeafClass"`` (full objects), False for ObjectRef."""
        return self.return_type == LEAF_CLASS

    @property
    def metadata_level(self) -> int:
        """``$MetadataLevel`` (ITI-57 supplement 3.18.4.1.2.3.5.1.1): 1 unless 2 is asked."""
        return int(self.single(names.METADATA_LEVEL) or "1")

    def has(self, name: str) -> bool:
        """True when the request gave the parameter (with at least one usable value)."""
        return name in self.params

    def groups(self, name: str) -> Groups:
        """The AND-ed groups of OR-ed values (one group for non-AND/OR parameters)."""
        return self.params.get(name, ())

    def values(self, name: str) -> tuple[str, ...]:
        """All values of the parameter, in request order."""
        return tuple(v for group in self.groups(name) for v in group)

    def single(self, name: str) -> str:
        """The value of a single-valued parameter, or '' when absent."""
        found = self.values(name)
        return found[0] if found else ""


def _slots(adhoc: etree._Element) -> dict[str, list[list[str]]]:
    """Slot name -> one list of ``rim:Value`` texts per Slot occurrence."""
    found: dict[str, list[list[str]]] = {}
    for slot in adhoc.iterchildren(rim.T_SLOT):
        texts = [
            v.text or ""
            for vl in slot.iterchildren(rim.T_VALUE_LIST)
            for v in vl.iterchildren(rim.T_VALUE)
        ]
        texts = [t for t in texts if t.strip()]
        if texts:
            found.setdefault(slot.get("name", ""), []).append(texts)
    return found


def _parse_values(param: Param, slots: list[list[str]]) -> Groups:
    """Split, check and normalise into groups (maybe empty); may raise MalformedValueError."""
    normalise, extra = NORMALISE[param.kind], BY_NAME.get(param.name, same)
    groups: list[tuple[str, ...]] = []
    for texts in slots:
        items = [item for text in texts for item in split_value(text)]
        kept = [n for n in (normalise(i) for i in items) if n is not None]
        kept = [n for n in (extra(k) for k in kept) if n is not None]
        groups.append(tuple(dict.fromkeys(kept)))
    if not param.and_or:
        groups = [tuple(dict.fromkeys(v for g in groups for v in g))]
    return tuple(g for g in groups if g)


def _count(slots: list[list[str]]) -> int:
    try:
        return sum(len(split_value(t)) for texts in slots for t in texts)
    except MalformedValueError:
        return 0


def _check_alternatives(spec: StoredQuery, given: set[str], errors: ErrorCollector) -> None:
    """Exactly one parameter of each one-of group (ITI TF-2a 3.18.4.1.2.3.7)."""
    for group in spec.one_of:
        present = [n for n in group if n in given]
        if len(present) > 1:
            errors.add(ErrorCode.STORED_QUERY_PARAM_NUMBER, f"only one of {', '.join(group)}")
        elif not present:
            errors.add(ErrorCode.STORED_QUERY_MISSING_PARAM, f"one of {', '.join(group)}")


def _parse_params(
    spec: StoredQuery, raw: dict[str, list[list[str]]], errors: ErrorCollector
) -> tuple[dict[str, Groups], set[str]]:
    """Parsed parameters plus the names given at all (even when rejected)."""
    params: dict[str, Groups] = {}
    given: set[str] = set()
    for name, slots in raw.items():
        param = spec.param(name)
        if param is None:
            continue
        given.add(name)
        if not param.multiple and _count(slots) > 1:
            errors.add(ErrorCode.STORED_QUERY_PARAM_NUMBER, f"{name} takes a single value")
            continue
        try:
            groups = _parse_values(param, slots)
        except MalformedValueError as exc:
            errors.add(ErrorCode.REGISTRY_ERROR, f"{name}: {exc}")
            continue
        if groups:
            params[name] = groups
        else:
            given.discard(name)  # e.g. only unknown status values: as if absent
    return params, given


def _return_type(request: etree._Element) -> str:
    option = request.find(T_RESPONSE_OPTION)
    value = option.get("returnType") if option is not None else None
    value = value or LEAF_CLASS
    if value not in RETURN_TYPES:
        raise XdsError(ErrorCode.REGISTRY_ERROR, f"returnType {value!r} is not supported")
    return value


def parse_request(request: etree._Element) -> ParsedQuery:
    """Validate an AdhocQueryRequest against the catalogue (ITI TF-2a 3.18.4.1.2.3)."""
    adhoc = request.find(T_ADHOC_QUERY)
    if adhoc is None:
        raise XdsError(ErrorCode.REGISTRY_ERROR, "AdhocQueryRequest without rim:AdhocQuery")
    spec = BY_ID.get(adhoc.get("id", ""))
    if spec is None:
        raise XdsError(ErrorCode.UNKNOWN_STORED_QUERY, f"unknown query id {adhoc.get('id')!r}")
    return_type = _return_type(request)
    raw = _slots(adhoc)
    errors = ErrorCollector()
    params, given = _parse_params(spec, raw, errors)
    for param in spec.params:
        if param.required and param.name not in given:
            errors.add(ErrorCode.STORED_QUERY_MISSING_PARAM, f"{param.name} is required")
    _check_alternatives(spec, given, errors)
    errors.raise_if_errors()
    home_values = [v for g in params.get(names.HOME_COMMUNITY_ID, ()) for v in g]
    home = adhoc.get("home") or (home_values[0] if home_values else "")
    ignored = tuple(n for n in raw if spec.param(n) is None)
    return ParsedQuery(spec, return_type, params, home, ignored)
