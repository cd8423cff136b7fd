"""Read an ebRIM 3.0 ``RegistryObjectList`` into the domain model (ITI TF-3 4.2).

Accepts the SubmissionSet/Folder labelling Classification inside the RegistryPackage or
beside it (ITI TF-3 4.2.1.2.1). Matches ExternalIdentifiers on identificationScheme, never
on their Name (pitfall 4 of the reference).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from profiles.metadata import ATTRIBUTES, Attribute, Coding
from profiles.vocabulary import AUTHOR_SLOTS, ClassificationNode, ObjectKind, SlotName
from xds_common.ebrim import rim
from xds_common.metadata import (
    Association,
    Author,
    Code,
    DocumentEntry,
    Folder,
    RegistryObject,
    Submission,
    SubmissionSet,
)


@dataclass
class ReadResult:
    """Objects of a RegistryObjectList: domain model, raw view, and what could not be read."""

    submission: Submission
    raw: dict[str, rim.RimObject] = field(default_factory=dict)
    kinds: dict[str, ObjectKind] = field(default_factory=dict)
    object_refs: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)


def occurrences(obj: rim.RimObject, attr: Attribute) -> int:
    """How many times ``attr`` is present on ``obj`` (for cardinality checks)."""
    match attr.coding:
        case Coding.CLASSIFICATION | Coding.AUTHOR:
            return len(obj.classified(attr.key))
        case Coding.EXTERNAL_IDENTIFIER:
            return len(obj.identified(attr.key))
        case Coding.SLOT:
            slots = obj.slot(attr.key)
            return sum(len(s.values) for s in slots)
        case Coding.XML_ATTRIBUTE:
            return 1 if obj.attrs.get(attr.key) else 0
        case Coding.NAME:
            return len([n for n in obj.names if n])
        case Coding.DESCRIPTION:
            return len([d for d in obj.descriptions if d])
    return 0


def values(obj: rim.RimObject, attr: Attribute) -> list[str]:
    """The string values of ``attr`` (codes as ``code^^scheme``)."""
    match attr.coding:
        case Coding.CLASSIFICATION:
            return [code_of(c).key for c in obj.classified(attr.key)]
        case Coding.EXTERNAL_IDENTIFIER:
            return [e.value for e in obj.identified(attr.key)]
        case Coding.SLOT:
            return [v for s in obj.slot(attr.key) for v in s.values]
        case Coding.XML_ATTRIBUTE:
            value = obj.attrs.get(attr.key)
            return [value] if value else []
        case Coding.NAME:
            return [n for n in obj.names if n]
        case Coding.DESCRIPTION:
            return [d for d in obj.descriptions if d]
    return []


def code_of(classification: rim.RimClassification) -> Code:
    """The coded value of an external Classification (ITI TF-3 4.2.3.1.2)."""
    schemes = classification.slot_values(SlotName.CODING_SCHEME)
    return Code(
        classification.node_representation,
        schemes[0] if schemes else "",
        classification.name,
    )


def author_of(classification: rim.RimClassification) -> Author:
    """An author Classification's sub-attributes (ITI TF-3 4.2.3.1.4)."""
    person, inst, role, spec, tel = (classification.slot_values(n) for n in AUTHOR_SLOTS)
    return Author(person[0] if person else "", tuple(inst), tuple(role), tuple(spec), tuple(tel))


#: Each object kind's attributes by name (profiles.metadata is the one table of them).
_BY_NAME: dict[ObjectKind, dict[str, Attribute]] = {
    kind: {a.name: a for a in attributes} for kind, attributes in ATTRIBUTES.items()
}


class _Fields:
    """An object's Slots, Classifications and ExternalIdentifiers indexed in one pass.

    Reading an entry looks up some 25 attributes; indexing once by slot name and scheme
    (ITI TF-3 Table 4.2.3.1.7-1) keeps that linear in the object's size.
    """

    def __init__(self, obj: rim.RimObject, kind: ObjectKind) -> None:
        self.obj = obj
        self.attributes = _BY_NAME[kind]
        self.slots: dict[str, list[str]] = {}
        for slot in obj.slots:
            self.slots.setdefault(slot.name, []).extend(slot.values)
        self.classified: dict[str, list[rim.RimClassification]] = {}
        for classification in obj.classifications:
            self.classified.setdefault(classification.scheme, []).append(classification)
        self.identified: dict[str, list[str]] = {}
        for external_id in obj.external_ids:
            self.identified.setdefault(external_id.scheme, []).append(external_id.value)

    def first(self, name: str) -> str:
        """The first value of attribute ``name`` ("" when absent), as :func:`values` reads it."""
        attr = self.attributes[name]
        match attr.coding:
            case Coding.SLOT:
                found = self.slots.get(attr.key)
            case Coding.EXTERNAL_IDENTIFIER:
                found = self.identified.get(attr.key)
            case Coding.CLASSIFICATION:
                classified = self.classified.get(attr.key)
                return code_of(classified[0]).key if classified else ""
            case _:
                found = values(self.obj, attr)
        return found[0] if found else ""

    def many(self, slot: str) -> list[str]:
        """Every value of the slots called ``slot``."""
        return list(self.slots.get(slot, ()))

    def codes(self, name: str) -> list[Code]:
        """The coded values of classification attribute ``name``."""
        return [code_of(c) for c in self.classified.get(self.attributes[name].key, ())]

    def code(self, name: str) -> Code | None:
        """The first coded value of ``name``, or None."""
        found = self.classified.get(self.attributes[name].key)
        return code_of(found[0]) if found else None

    def authors(self) -> list[Author]:
        """The author Classifications' sub-attributes (ITI TF-3 4.2.3.1.4)."""
        return [author_of(c) for c in self.classified.get(self.attributes["author"].key, ())]


def _common(obj: rim.RimObject) -> dict[str, object]:
    attrs = obj.attrs
    return {
        "entry_uuid": obj.id,
        "availability_status": attrs.get("status", ""),
        "home_community_id": attrs.get("home", ""),
        "lid": attrs.get("lid", ""),
        "version": obj.version_name,
        "title": obj.names[0] if obj.names else "",
        "comments": obj.descriptions[0] if obj.descriptions else "",
        "slots": {s.name: list(s.values) for s in obj.slots},
    }


def to_document_entry(obj: rim.RimObject) -> DocumentEntry:
    """Map an ExtrinsicObject to a DocumentEntry (ITI TF-3 Table 4.2.3.2-1)."""
    fields = _Fields(obj, ObjectKind.DOCUMENT_ENTRY)
    f = fields.first
    return DocumentEntry(
        **_common(obj),  # type: ignore[arg-type]
        object_type=obj.attrs.get("objectType", ""),
        mime_type=obj.attrs.get("mimeType", ""),
        patient_id=f("patientId"),
        unique_id=f("uniqueId"),
        class_code=fields.code("classCode"),
        type_code=fields.code("typeCode"),
        format_code=fields.code("formatCode"),
        healthcare_facility_type_code=fields.code("healthcareFacilityTypeCode"),
        practice_setting_code=fields.code("practiceSettingCode"),
        confidentiality_codes=fields.codes("confidentialityCode"),
        event_codes=fields.codes("eventCodeList"),
        authors=fields.authors(),
        creation_time=f("creationTime"),
        service_start_time=f("serviceStartTime"),
        service_stop_time=f("serviceStopTime"),
        hash=f("hash").lower(),
        size=f("size"),
        repository_unique_id=f("repositoryUniqueId"),
        language_code=f("languageCode"),
        legal_authenticator=f("legalAuthenticator"),
        source_patient_id=f("sourcePatientId"),
        source_patient_info=fields.many(SlotName.SOURCE_PATIENT_INFO),
        reference_ids=fields.many(SlotName.REFERENCE_ID_LIST),
        uri=f("URI"),
        document_availability=f("documentAvailability"),
    )


def to_submission_set(obj: rim.RimObject) -> SubmissionSet:
    """Map a RegistryPackage labelled SubmissionSet (ITI TF-3 Table 4.2.3.3-1)."""
    fields = _Fields(obj, ObjectKind.SUBMISSION_SET)
    return SubmissionSet(
        **_common(obj),  # type: ignore[arg-type]
        patient_id=fields.first("patientId"),
        unique_id=fields.first("uniqueId"),
        source_id=fields.first("sourceId"),
        submission_time=fields.first("submissionTime"),
        content_type_code=fields.code("contentTypeCode"),
        authors=fields.authors(),
        intended_recipients=fields.many(SlotName.INTENDED_RECIPIENT),
    )


def to_folder(obj: rim.RimObject) -> Folder:
    """Map a RegistryPackage labelled Folder (ITI TF-3 Table 4.2.3.4-1)."""
    fields = _Fields(obj, ObjectKind.FOLDER)
    return Folder(
        **_common(obj),  # type: ignore[arg-type]
        patient_id=fields.first("patientId"),
        unique_id=fields.first("uniqueId"),
        codes=fields.codes("codeList"),
        last_update_time=fields.first("lastUpdateTime"),
    )


def to_association(obj: rim.RimObject) -> Association:
    """Map a ``rim:Association`` (ITI TF-3 4.2.2)."""
    return Association(
        **_common(obj),  # type: ignore[arg-type]
        association_type=obj.attrs.get("associationType", ""),
        source=obj.attrs.get("sourceObject", ""),
        target=obj.attrs.get("targetObject", ""),
    )


_PACKAGE_NODES = {
    ClassificationNode.SUBMISSION_SET: ObjectKind.SUBMISSION_SET,
    ClassificationNode.FOLDER: ObjectKind.FOLDER,
}


def _package_kind(obj: rim.RimObject, result: ReadResult) -> ObjectKind | None:
    kinds = {_PACKAGE_NODES[ClassificationNode(c.node)] for c in obj.classifications
             if c.node in _PACKAGE_NODES}  # fmt: skip
    if len(kinds) != 1:
        reason = "is labelled both SubmissionSet and Folder" if kinds else "has no label"
        result.problems.append((obj.id, f"RegistryPackage {obj.id} {reason}"))
        return None
    return kinds.pop()


_BUILDERS = {
    ObjectKind.DOCUMENT_ENTRY: to_document_entry,
    ObjectKind.SUBMISSION_SET: to_submission_set,
    ObjectKind.FOLDER: to_folder,
    ObjectKind.ASSOCIATION: to_association,
}


def _add(result: ReadResult, kind: ObjectKind, obj: rim.RimObject) -> None:
    model: RegistryObject = _BUILDERS[kind](obj)
    sub = result.submission
    target: list[RegistryObject] = {  # type: ignore[assignment]
        ObjectKind.DOCUMENT_ENTRY: sub.documents,
        ObjectKind.SUBMISSION_SET: sub.submission_sets,
        ObjectKind.FOLDER: sub.folders,
        ObjectKind.ASSOCIATION: sub.associations,
    }[kind]
    target.append(model)
    result.kinds[obj.id] = kind


def read_object_list(object_list: etree._Element | None) -> ReadResult:
    """Read every object of a ``rim:RegistryObjectList`` (ITI TF-3 4.2.1)."""
    result = ReadResult(Submission())
    if object_list is None:
        return result
    objects: list[rim.RimObject] = []
    loose: list[rim.RimClassification] = []
    for child in object_list:
        if child.tag in (rim.T_EXTRINSIC, rim.T_PACKAGE, rim.T_ASSOCIATION):
            obj = rim.read_object(child)
            if obj.id in result.raw:
                result.problems.append((obj.id, f"id {obj.id} is used by two objects"))
            result.raw[obj.id] = obj
            objects.append(obj)
        elif child.tag == rim.T_CLASSIFICATION:
            loose.append(rim.read_classification(child))
        elif child.tag == rim.T_OBJECT_REF:
            result.object_refs.append(child.get("id", ""))
        elif isinstance(child.tag, str):
            result.problems.append(("", f"unexpected element {etree.QName(child).localname}"))
    for cls in loose:
        owner = result.raw.get(cls.classified_object)
        if owner is None:
            result.problems.append((cls.classified_object, "Classification of an unknown object"))
        else:
            owner.classifications.append(cls)
    for obj in objects:
        kind: ObjectKind | None
        if obj.tag == rim.T_EXTRINSIC:
            kind = ObjectKind.DOCUMENT_ENTRY
        elif obj.tag == rim.T_ASSOCIATION:
            kind = ObjectKind.ASSOCIATION
        else:
            kind = _package_kind(obj, result)
        if kind is not None:
            _add(result, kind, obj)
    return result
