"""Build the message of a step from its ``MetadataFile`` (corpus README §5.1).

Submissions (ITI-41/42/57): parse, convert ebRIM 2.1 to 3.0 unless ``<NoConvert/>``,
bind placeholders, then apply the patient id / uniqueId / sourceId / UUID rules. ITI-41
wraps the result in ``xdsb:ProvideAndRegisterDocumentSetRequest`` with one
``xdsb:Document`` per ``<Document>`` attachment, sent as an XOP ``Include`` (the toolkit
computes neither size nor hash). Queries and retrieves are sent as written after
placeholder binding.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from conformance import ebrim21
from conformance.context import EngineError, StepContext
from conformance.substitute import (
    Assigned,
    SubmissionRules,
    apply_rules,
    placeholders_in,
    substitute_text,
)
from profiles import namespaces as ns
from xds_common.xml import XmlRejected, parse

_PNR = ns.qn(ns.XDSB, "ProvideAndRegisterDocumentSetRequest")
_SOR = ns.qn(ns.LCM, "SubmitObjectsRequest")


@dataclass
class Prepared:
    """The request body to send, what was assigned, and the attachments (Content-ID)."""

    body: etree._Element
    assigned: Assigned
    attachments: dict[str, bytes]
    #: the placeholder values that were bound
    values: dict[str, str] = field(default_factory=dict)


def load_metadata(ctx: StepContext) -> etree._Element:
    """Parse the step's ``MetadataFile``."""
    if not ctx.step.metadata_file:
        raise EngineError("step has no MetadataFile")
    path = ctx.file(ctx.step.metadata_file)
    try:
        return parse(path.read_bytes().lstrip())
    except XmlRejected as exc:
        raise EngineError(f"{path.name}: {exc}") from exc


def bind(ctx: StepContext, root: etree._Element) -> dict[str, str]:
    """Substitute the step's bindings into ``root``."""
    values = ctx.bindings(placeholders_in(root))
    substitute_text(root, values)
    return values


def note_leftovers(ctx: StepContext, root: etree._Element) -> None:
    """Note placeholders nothing bound (NIST sends them as they are)."""
    left = placeholders_in(root)
    if left:
        ctx.notes.append(f"placeholders left unresolved: {', '.join(sorted(left))}")


def prepare_plain(ctx: StepContext) -> Prepared:
    """A query or retrieve request: the file with its placeholders bound."""
    root = load_metadata(ctx)
    values = bind(ctx, root)
    note_leftovers(ctx, root)
    return Prepared(root, Assigned(), {}, values)


def prepare_submission(ctx: StepContext, provide: bool = False) -> Prepared:
    """An ITI-42/ITI-57 SubmitObjectsRequest, or with ``provide`` an ITI-41 request."""
    root = load_metadata(ctx)
    if ebrim21.is_ebrim21(root) and not ctx.step.no_convert:
        root = ebrim21.convert(root)
    values = bind(ctx, root)
    step = ctx.step
    rules = SubmissionRules(
        patient_id=ctx.patient_for_submission(values),
        assign_uids=not step.no_assign_uids,
        keep_uid_of=step.no_assign_uid_ids,
        source_id=ctx.config.source_id,
        assign_uuids=step.assign_uuids,
        keep_uuid_of=step.assign_uuids_exclude,
    )
    assigned = apply_rules(root, rules)
    note_leftovers(ctx, root)
    if not provide:
        return Prepared(root, assigned, {}, values)
    prepared = _provide(ctx, root, assigned)
    prepared.values = values
    return prepared


def _provide(ctx: StepContext, root: etree._Element, assigned: Assigned) -> Prepared:
    """Wrap into ProvideAndRegisterDocumentSetRequest with XOP-referenced documents."""
    if root.tag == _PNR:
        request = root
    elif root.tag == _SOR:
        request = etree.Element(_PNR, nsmap={"xdsb": ns.XDSB})
        request.append(root)
    else:
        raise EngineError(f"cannot provide a {etree.QName(root).localname}")
    attachments: dict[str, bytes] = {}
    for number, document in enumerate(ctx.step.documents, start=1):
        entry_id = assigned.uuids.get(document.id, document.id)
        cid = f"document{number}@beeldportaal.conformance"
        attachments[cid] = ctx.file(document.file).read_bytes()
        element = _document_element(request, entry_id)
        for child in list(element):
            element.remove(child)
        element.text = None
        include = etree.SubElement(element, ns.qn(ns.XOP, "Include"), nsmap={"xop": ns.XOP})
        include.set("href", f"cid:{cid}")
    return Prepared(request, assigned, attachments)


def _document_element(request: etree._Element, entry_id: str) -> etree._Element:
    for element in request.iter(ns.qn(ns.XDSB, "Document")):
        if element.get("id") == entry_id:
            return element
    element = etree.SubElement(request, ns.qn(ns.XDSB, "Document"))
    element.set("id", entry_id)
    return element
