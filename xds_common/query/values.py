"""Stored-query value syntax and per-kind normalisation (ITI TF-2a 3.18.4.1.2.3.5).

``split_value`` reads one ``rim:Value``: a quoted string (``''`` is a quote), a bare
number or DTM, or a parenthesised, comma-separated list. ``NORMALISE`` turns each value
into the form the tables hold: ``code^^scheme`` codes, DTMs padded to 14 digits, full
status and association-type URNs. A value that breaks the syntax raises
``MalformedValueError``; one to be ignored (an unknown status) normalises to None.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from profiles.stored_queries import ParamKind
from profiles.vocabulary import SHORT_ASSOCIATION_TYPES, Status
from xds_common.datatypes import check_dtm, pad_dtm
from xds_common.query import names

_BARE = re.compile(r"[^'(),\s]+")
_KNOWN_STATUS: Final = {
    s.value.rsplit(":", 1)[1]: s.value for s in (Status.APPROVED, Status.DEPRECATED)
}
_EBXML_PREFIX: Final = "urn:oasis:names:tc:ebxml-regrep:"
_METADATA_LEVELS: Final = frozenset({"1", "2"})


class MalformedValueError(ValueError):
    """A parameter value that does not follow ITI TF-2a 3.18.4.1.2.3.5."""


def _quoted(body: str, pos: int) -> tuple[str, int]:
    """A quoted string starting at ``body[pos] == "'"``; ``''`` is one quote."""
    out: list[str] = []
    i = pos + 1
    while i < len(body):
        if body[i] == "'":
            if body.startswith("''", i):
                out.append("'")
                i += 2
                continue
            return "".join(out), i + 1
        out.append(body[i])
        i += 1
    raise MalformedValueError("unterminated quoted string")


def _item(body: str, pos: int) -> tuple[str, int]:
    if pos >= len(body):
        raise MalformedValueError("missing value")
    if body[pos] == "'":
        return _quoted(body, pos)
    match = _BARE.match(body, pos)
    if match is None:
        raise MalformedValueError(f"unexpected {body[pos]!r}")
    return match.group(), match.end()


def split_value(text: str) -> list[str]:
    """The values in one ``rim:Value``: ``'a'``, ``123``, or ``('a', 'b', 123)``."""
    body = text.strip()
    if body.startswith("("):
        if not body.endswith(")"):
            raise MalformedValueError("list without closing parenthesis")
        body = body[1:-1]
    items: list[str] = []
    pos = 0
    while True:
        pos = len(body) - len(body[pos:].lstrip())
        item, pos = _item(body, pos)
        items.append(item)
        pos = len(body) - len(body[pos:].lstrip())
        if pos == len(body):
            return items
        if body[pos] != ",":
            raise MalformedValueError(f"expected ',' between values, found {body[pos:]!r}")
        pos += 1


# --- per-kind normalisation -----------------------------------------------------------------


def same(value: str) -> str | None:
    """Values compared as given (strings, patient ids, UUIDs, LIKE patterns)."""
    return value


def _code(value: str) -> str | None:
    """``code^^scheme`` (CE components 1 and 3, both required); a display part is dropped."""
    parts = value.split("^")
    if len(parts) != 3 or not parts[0] or not parts[2]:
        raise MalformedValueError(f"coded value {value!r} is not code^^codingScheme")
    return f"{parts[0]}^^{parts[2]}"


def _time(value: str) -> str | None:
    reason = check_dtm(value)
    if reason:
        raise MalformedValueError(f"{value!r}: {reason}")
    return pad_dtm(value)


def _status(value: str) -> str | None:
    """Approved/Deprecated URNs; liberal about the TF sample's ResponseStatusType typo."""
    if value.startswith(_EBXML_PREFIX) or ":" not in value:
        return _KNOWN_STATUS.get(value.rsplit(":", 1)[-1])
    return None


def _association_type(value: str) -> str | None:
    return SHORT_ASSOCIATION_TYPES.get(value, value)


NORMALISE: Final[dict[ParamKind, Callable[[str], str | None]]] = {
    ParamKind.STRING: same,
    ParamKind.PATIENT: same,
    ParamKind.LIKE: same,
    ParamKind.UUID: same,
    ParamKind.OBJECT_TYPE: same,
    ParamKind.CODE: _code,
    ParamKind.TIME: _time,
    ParamKind.STATUS: _status,
    ParamKind.ASSOCIATION_TYPE: _association_type,
}


def _metadata_level(value: str) -> str | None:
    if value not in _METADATA_LEVELS:
        raise MalformedValueError(f"{value!r} is not 1 or 2")
    return value


#: Checks for single parameters beyond their kind.
BY_NAME: Final[dict[str, Callable[[str], str | None]]] = {names.METADATA_LEVEL: _metadata_level}
