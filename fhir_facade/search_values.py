"""Pure: FHIR R4 search values of the facade's own resources (token, date, string).

FHIR R4 search.html: 2.21.1.1 (``,`` is OR inside one parameter; repeated parameters AND),
2.21.1.3 (token ``[system]|[code]``), 2.21.1.4 (prefixes eq/ne/gt/lt/ge/le and their range
semantics), 2.21.1.5 (date search values are implicit ranges; "Date search"), 2.21.1.6
(string: case- and accent-insensitive, starts-with; ``:exact``, ``:contains``). A value the
facade cannot use is a 400 OperationOutcome (http.html 2.21.0.17).

Date times without a zone are wall-clock times of the server's zone (search.html "Date
search": "the server's local time zone should be assumed"); values with a zone are converted
to it, so every comparison happens between naive wall-clock datetimes.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from fhir_facade.errors import FhirError

_DATE = re.compile(
    r"^(?P<y>\d{4})(-(?P<m>\d{2})(-(?P<d>\d{2})"
    r"(T(?P<H>\d{2}):(?P<M>\d{2})(:(?P<S>\d{2})(?P<f>\.\d+)?)?"
    r"(?P<z>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


class Prefix(StrEnum):
    """Comparison prefixes the facade supports (search.html 2.21.1.4; sa/eb/ap are not)."""

    EQ = "eq"
    NE = "ne"
    GT = "gt"
    LT = "lt"
    GE = "ge"
    LE = "le"


_PREFIXES = frozenset(p.value for p in Prefix)
_UNSUPPORTED_PREFIXES = ("sa", "eb", "ap")


@dataclass(frozen=True)
class DateRange:
    """The half-open interval ``[start, end)`` a date or dateTime value stands for."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class DateParam:
    """One date search value: its prefix and the range of its value."""

    prefix: Prefix
    range: DateRange


@dataclass(frozen=True)
class Token:
    """A token search value; ``system`` None means any system, ``""`` means no system."""

    system: str | None
    code: str


def bad_param(name: str, reason: str) -> FhirError:
    """The 400 OperationOutcome for an unusable search parameter value."""
    return FhirError.of(400, "invalid", f"search parameter {name}: {reason}")


def _add_months(value: datetime, months: int) -> datetime:
    total = value.month - 1 + months
    return value.replace(year=value.year + total // 12, month=total % 12 + 1)


def date_range(text: str) -> DateRange | None:
    """The range of a FHIR date/dateTime/instant value, or None when it is not one.

    Precision sets the width: a year, a month, a day, a minute, a second (fractions are
    truncated to the second). Values with a zone are converted to the server's wall clock.
    """
    match = _DATE.match(text)
    if match is None:
        return None
    g = match.groupdict()
    try:
        start = datetime(
            int(g["y"]), int(g["m"] or 1), int(g["d"] or 1), int(g["H"] or 0), int(g["M"] or 0)
        )
        start = start.replace(second=int(g["S"] or 0))
    except ValueError:
        return None
    if g["H"] is not None and g["z"] is not None:
        zone = "+00:00" if g["z"] == "Z" else g["z"]
        start = datetime.fromisoformat(start.isoformat() + zone).astimezone().replace(tzinfo=None)
    if g["m"] is None:
        end = start.replace(year=start.year + 1)
    elif g["d"] is None:
        end = _add_months(start, 1)
    elif g["H"] is None:
        end = start + timedelta(days=1)
    elif g["S"] is None:
        end = start + timedelta(minutes=1)
    else:
        end = start + timedelta(seconds=1)
    return DateRange(start, end)


def parse_date(name: str, text: str) -> DateParam:
    """Parse one ``[prefix]value`` date search value (search.html 2.21.1.4 and 2.21.1.5)."""
    head = text[:2]
    if head in _UNSUPPORTED_PREFIXES:
        raise FhirError.of(400, "not-supported", f"search parameter {name}: prefix {head}")
    known = head in _PREFIXES
    prefix = Prefix(head) if known else Prefix.EQ
    value = text[2:] if known else text
    found = date_range(value)
    if found is None:
        raise bad_param(name, f"{value!r} is not a FHIR date or dateTime")
    return DateParam(prefix, found)


def date_matches(param: DateParam, target: DateRange) -> bool:
    """True when ``target`` satisfies ``param`` (search.html 2.21.1.4 range semantics)."""
    ps, pe, ts, te = param.range.start, param.range.end, target.start, target.end
    equal = ps <= ts and te <= pe
    checks = {
        Prefix.EQ: equal,
        Prefix.NE: not equal,
        Prefix.GT: te > pe,
        Prefix.LT: ts < ps,
        Prefix.GE: te > pe or equal,
        Prefix.LE: ts < ps or equal,
    }
    return checks[param.prefix]


def day_window(params: list[DateParam]) -> tuple[datetime | None, datetime | None]:
    """First and last day a target that starts and ends on one day can have to match all.

    Used to narrow a back-end query (QIDO-RS StudyDate range); exact matching follows with
    :func:`date_matches`. ``None`` is an open end.
    """
    low: datetime | None = None
    high: datetime | None = None
    tick = timedelta(microseconds=1)
    for param in params:
        ps, pe = param.range.start, param.range.end
        lows = {Prefix.EQ: ps, Prefix.GE: ps, Prefix.GT: pe - tick}
        highs = {Prefix.EQ: pe - tick, Prefix.LE: pe - tick, Prefix.LT: ps - tick}
        if param.prefix in lows:
            day = lows[param.prefix].replace(hour=0, minute=0, second=0, microsecond=0)
            low = day if low is None else max(low, day)
        if param.prefix in highs:
            day = highs[param.prefix].replace(hour=0, minute=0, second=0, microsecond=0)
            high = day if high is None else min(high, day)
    return low, high


def parse_token(name: str, text: str) -> Token:
    """Parse a token search value ``[system]|[code]`` or ``code`` (search.html 2.21.1.3)."""
    if "|" not in text:
        if not text:
            raise bad_param(name, "empty value")
        return Token(None, text)
    system, _, code = text.partition("|")
    if "|" in code or (not system and not code):
        raise bad_param(name, f"{text!r} is not [system]|[code]")
    return Token(system, code)


def split_or(text: str) -> list[str]:
    """The OR-ed values of one parameter occurrence; ``\\,`` is a literal comma (2.21.1.1)."""
    parts = re.split(r"(?<!\\),", text)
    return [p.replace("\\,", ",") for p in parts]


def normalize(text: str) -> str:
    """String search form: accents removed, case folded (search.html 2.21.1.6)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()
