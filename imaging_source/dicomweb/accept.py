"""Pure: content negotiation for DICOMweb (PS3.18 8.7: Accept header, media types, q).

:func:`parse_accept` reads an ``Accept`` value (RFC 9110 12.5.1) into media ranges ordered by
preference; ``multipart/related`` ranges keep their ``type`` and ``transfer-syntax``
parameters (PS3.18 8.7.3.5). The resources then pick what they can serve.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from imaging_source.dicomweb.errors import bad_request

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_PARAM = re.compile(r'\s*;\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;,\s]*)')
_UID = re.compile(r"[0-9]+(\.[0-9]+)*")


@dataclass(frozen=True)
class MediaRange:
    """One acceptable media type (``type/subtype``, lower case) with its parameters."""

    media_type: str
    params: tuple[tuple[str, str], ...]
    q: float

    def param(self, name: str) -> str | None:
        """The value of parameter ``name`` (lower-case name), or None."""
        return dict(self.params).get(name)

    def matches(self, media_type: str) -> bool:
        """Whether this range covers ``media_type`` (``*/*``, ``image/*`` or exact)."""
        major, _, _minor = media_type.partition("/")
        return self.media_type in ("*/*", f"{major}/*", media_type)

    @property
    def inner(self) -> str | None:
        """The ``type`` of a ``multipart/related`` range (PS3.18 8.7.3.5.1), lower case."""
        value = self.param("type")
        return value.lower() if value is not None else None

    @property
    def transfer_syntax(self) -> str | None:
        """The ``transfer-syntax`` parameter: a UID or ``*``; 400 when malformed (8.7.3.5.2)."""
        value = self.param("transfer-syntax")
        if value is not None and value != "*" and not _UID.fullmatch(value):
            raise bad_request(f"transfer-syntax {value!r} is not a UID or *")
        return value


def _split(header: str) -> list[str]:
    """Split on commas outside quoted strings."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def _range(text: str) -> MediaRange:
    media, _, rest = text.partition(";")
    media = media.strip().lower()
    major, slash, minor = media.partition("/")
    if not (slash and _TOKEN.fullmatch(major) and _TOKEN.fullmatch(minor)):
        raise bad_request(f"Accept: {text!r} is not a media range")
    params: list[tuple[str, str]] = []
    q = 1.0
    for match in _PARAM.finditer(";" + rest if rest else ""):
        name, value = match[1].lower(), match[2].strip('"')
        if name == "q":
            try:
                q = float(value)
            except ValueError:
                raise bad_request(f"Accept: q={value!r} is not a number") from None
        else:
            params.append((name, value))
    return MediaRange(media, tuple(params), q)


def parse_accept(header: str | None, default: str) -> list[MediaRange]:
    """The media ranges of ``header``, most preferred first (``default`` when absent).

    Ranges with ``q=0`` are not acceptable and left out (RFC 9110 12.4.2).
    """
    text = header.strip() if header else ""
    ranges = [_range(part) for part in _split(text or default)]
    ordered = sorted(enumerate(ranges), key=lambda item: (-item[1].q, item[0]))
    return [r for _, r in ordered if r.q > 0]


def accepts(ranges: list[MediaRange], media_type: str) -> bool:
    """Whether any range covers the single-part ``media_type``."""
    return any(r.matches(media_type) for r in ranges)
