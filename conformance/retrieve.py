"""Check ITI-43 answers against the plan's ``<ReferenceDocument>`` files.

NIST's ``RetrieveTransaction`` compares each retrieved document, found by
``DocumentUniqueId`` in ``xdsb:RetrieveDocumentSetResponse/xdsb:DocumentResponse``
(ITI TF-2b 3.43.4.2.2), byte for byte with the file the test submitted. The bytes come
from the XOP attachment or inline base64 (ITI TF-2 Appendix V.8).
"""

from __future__ import annotations

from collections.abc import Mapping

from conformance import mtom
from conformance.context import StepContext
from conformance.soap import SoapResult
from profiles import namespaces as ns


def retrieved_document(result: SoapResult, unique_id: str) -> bytes | None:
    """The bytes returned for ``unique_id``, or None when it is not in the response."""
    if result.body is None:
        return None
    for response in result.body.iter(ns.qn(ns.XDSB, "DocumentResponse")):
        uid = (response.findtext(ns.qn(ns.XDSB, "DocumentUniqueId")) or "").strip()
        document = response.find(ns.qn(ns.XDSB, "Document"))
        if uid == unique_id and document is not None:
            return mtom.content_of(document, result.attachments)
    return None


def _bound(text: str, values: Mapping[str, str]) -> str:
    for key in sorted(values, key=len, reverse=True):
        text = text.replace(key, values[key])
    return text


def reference_problems(
    ctx: StepContext, result: SoapResult, values: Mapping[str, str]
) -> list[str]:
    """Differences between the retrieved documents and the reference files."""
    problems: list[str] = []
    for reference in ctx.step.reference_documents:
        uid = _bound(reference.id, values)
        expected = ctx.file(reference.file).read_bytes()
        got = retrieved_document(result, uid)
        if got is None:
            problems.append(f"document {uid} is not in the response")
        elif got != expected:
            problems.append(
                f"document {uid}: {len(got)} bytes differ from {reference.file} "
                f"({len(expected)} bytes)"
            )
    return problems
