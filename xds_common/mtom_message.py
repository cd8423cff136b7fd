"""A received SOAP request: its envelope, staged parts, and ``xop:Include`` resolution.

W3C XOP 1.0 section 3.1 (``xop:Include``, ``href`` is a ``cid:`` URL, RFC 2392), ITI TF-2x
Appendix V.8.2 (a receiver accepts XOP-optimised and inline base64 content alike).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType, TracebackType
from urllib.parse import unquote

from lxml import etree

from profiles import namespaces as ns
from xds_common.mtom_model import (
    OCTET_STREAM,
    MtomError,
    MtomErrorKind,
    StagedPart,
    Stager,
    href_cids,
)
from xds_common.mtom_multipart import Base64Decoder

T_INCLUDE = ns.qn(ns.XOP, "Include")
#: ``xmime:contentType`` (W3C Describing Media Content of Binary Data in XML, section 2.2).
XMIME_CONTENT_TYPE = "{http://www.w3.org/2005/05/xmlmime}contentType"
#: Characters of inline base64 text decoded per step.
INLINE_SLICE = 1 << 20


class MtomMessage:
    """A received request: the parsed envelope and its staged binary parts.

    Use it as a context manager (or call :meth:`cleanup`) so staging files are removed;
    :meth:`keep` moves a document to its final place first.
    """

    def __init__(
        self,
        envelope: etree._Element,
        attachments: dict[str, StagedPart],
        includes: dict[etree._Element, StagedPart],
        stager: Stager,
        is_mtom: bool,
    ) -> None:
        self.envelope = envelope
        self.attachments = attachments
        self.is_mtom = is_mtom
        self._includes = includes
        self._inline: dict[etree._Element, StagedPart] = {}
        self._stager = stager

    @property
    def includes(self) -> Mapping[etree._Element, StagedPart]:
        """Every ``xop:Include`` of the envelope and the part it points at."""
        return MappingProxyType(self._includes)

    def unreferenced(self) -> dict[str, StagedPart]:
        """Attachments that no ``xop:Include`` points at (XOP 1.0 section 4.1 leaves them)."""
        used = set(self._includes.values())
        return {cid: part for cid, part in self.attachments.items() if part not in used}

    def resolve(self, include: etree._Element) -> StagedPart:
        """The staged part an ``xop:Include`` element of this envelope refers to."""
        try:
            return self._includes[include]
        except KeyError:
            raise MtomError(
                "element is not an xop:Include of this message", MtomErrorKind.CID_NOT_FOUND
            ) from None

    def content(self, element: etree._Element) -> StagedPart:
        """The bytes of a base64Binary element, XOP-optimised or inline (ITI TF-2x V.8.2).

        Inline base64 text is decoded slice by slice to a staging file, so callers see the
        same :class:`StagedPart` either way.
        """
        include = element.find(T_INCLUDE)
        if include is not None:
            return self.resolve(include)
        if element not in self._inline:
            self._inline[element] = _stage_inline(element, self._stager)
        return self._inline[element]

    def keep(self, part: StagedPart, destination: Path) -> None:
        """Move a staged part to ``destination`` (same filesystem); cleanup then spares it.

        ITI-41 stores the bytes before it registers them (ITI TF-2b 3.41.4.1.3).
        """
        self._stager.move(part.path, destination)

    def cleanup(self) -> None:
        """Remove every staging file of this message (idempotent)."""
        self._stager.cleanup()

    def __enter__(self) -> MtomMessage:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()


def resolve_includes(
    envelope: etree._Element, attachments: Mapping[str, StagedPart]
) -> dict[etree._Element, StagedPart]:
    """Pair each ``xop:Include`` with its part: each href must name one, once (XOP 1.0 3.1)."""
    includes: dict[etree._Element, StagedPart] = {}
    used: set[str] = set()
    encoded = {unquote(cid): cid for cid in attachments}
    for include in envelope.iter(T_INCLUDE):
        cid = _find_cid(include.get("href", ""), attachments, encoded)
        if cid in used:
            raise MtomError(
                f"MIME part <{cid}> is referenced twice", MtomErrorKind.DUPLICATE_REFERENCE
            )
        used.add(cid)
        includes[include] = attachments[cid]
    return includes


def _find_cid(href: str, attachments: Mapping[str, StagedPart], encoded: Mapping[str, str]) -> str:
    """The Content-ID of the part an href names; also when a sender %-encoded the header."""
    if href.strip()[:4].lower() != "cid:":
        raise MtomError(f"xop:Include href {href!r} is not a cid: URL", MtomErrorKind.MALFORMED)
    candidates = href_cids(href)
    for cid in candidates:
        if cid in attachments:
            return cid
    if candidates[0] in encoded:
        return encoded[candidates[0]]
    raise MtomError(f"no MIME part with Content-ID <{candidates[0]}>", MtomErrorKind.CID_NOT_FOUND)


def _stage_inline(element: etree._Element, stager: Stager) -> StagedPart:
    """Decode an element's inline base64 text to a staging file, one slice at a time."""
    if len(element):
        raise MtomError("base64Binary element has child elements", MtomErrorKind.MALFORMED)
    text = element.text or ""
    staged = stager.open(element.get(XMIME_CONTENT_TYPE) or OCTET_STREAM)
    decoder = Base64Decoder(staged.write)
    try:
        for begin in range(0, len(text), INLINE_SLICE):
            decoder.write(text[begin : begin + INLINE_SLICE].encode("ascii"))
        decoder.close()
    except UnicodeEncodeError:
        staged.discard()
        raise MtomError("inline base64 text is not ASCII", MtomErrorKind.MALFORMED) from None
    except MtomError:
        staged.discard()
        raise
    return staged.finish()
