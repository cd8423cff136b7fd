"""FHIR over HTTP for the facade's routes: media types, request bodies, responses, errors.

FHIR R4 http.html: 2.21.0.6 (``_format`` and ``Accept``; ``application/fhir+json`` and
``application/fhir+xml``, 406 when neither can be produced), 2.21.0.7 (415 for a body type the
server cannot read), 2.21.0.17 (errors are OperationOutcome with a 4xx/5xx status);
search.html 2.21.0.2 (unknown search parameters: 400, or ignored with
``Prefer: handling=lenient``). XML is read through :mod:`xds_common.xml` (no DTD, no entities,
bounded size) and the fhir.resources R4B models.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Final

from fhir.resources.R4B import get_fhir_model_class
from flask import Response, request
from pydantic import ValidationError

from fhir_facade.errors import FhirError, outcome
from fhir_facade.translate.values import JsonDict
from xds_common.xml import XmlRejected, parse, safe_parser

JSON: Final = "application/fhir+json"
XML: Final = "application/fhir+xml"
_JSON_TYPES: Final = frozenset({"json", JSON, "application/json", "application/json+fhir"})
_XML_TYPES: Final = frozenset({"xml", XML, "application/xml", "text/xml", "application/xml+fhir"})
#: Parameters every interaction accepts (FHIR R4 search.html 3.1.1 "common parameters").
CONTROL_PARAMS: Final = frozenset({"_format", "_pretty", "_count", "_offset", "_summary"})
#: Largest FHIR request body: ITI-65 Bundles carry their documents base64-encoded.
MAX_BODY_BYTES: Final = 256 * 1024 * 1024


def _media(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def output_format() -> str:
    """JSON or XML media type of the answer, from ``_format`` or else ``Accept``; 406 if none."""
    wanted = request.args.get("_format")
    if wanted:
        media = _media(wanted)
        if media in _JSON_TYPES:
            return JSON
        if media in _XML_TYPES:
            return XML
        raise FhirError.of(406, "not-supported", f"_format {wanted!r} is not json or xml")
    accept = request.headers.get("Accept", "")
    if not accept.strip():
        return JSON
    for item in sorted(request.accept_mimetypes, key=lambda kv: -kv[1]):
        media = item[0].lower()
        if media in _JSON_TYPES or media in ("*/*", "application/*"):
            return JSON
        if media in _XML_TYPES:
            return XML
    raise FhirError.of(406, "not-supported", f"cannot answer in any of: {accept}")


def read_resource() -> JsonDict:
    """The request body as a FHIR JSON dict (JSON or XML; 413, 415 and 400 otherwise)."""
    media = _media(request.headers.get("Content-Type", ""))
    length = request.content_length
    if length is not None and length > MAX_BODY_BYTES:
        raise FhirError.of(413, "too-costly", f"request body larger than {MAX_BODY_BYTES} bytes")
    if media not in _JSON_TYPES and media not in _XML_TYPES:
        raise FhirError.of(415, "not-supported", f"Content-Type {media!r}: send {JSON} or {XML}")
    body = request.get_data(cache=False)
    if len(body) > MAX_BODY_BYTES:
        raise FhirError.of(413, "too-costly", f"request body larger than {MAX_BODY_BYTES} bytes")
    if media in _JSON_TYPES:
        return _json(body)
    return _xml(body)


def _json(body: bytes) -> JsonDict:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FhirError.of(400, "structure", f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
        raise FhirError.of(400, "structure", "the body is not a FHIR resource (no resourceType)")
    return data


def _xml(body: bytes) -> JsonDict:
    try:
        root = parse(body, MAX_BODY_BYTES)
        name = str(root.tag).rpartition("}")[2]
        model = get_fhir_model_class(name)
        resource = model.model_validate_xml(body, xmlparser=safe_parser())
    except XmlRejected as exc:
        raise FhirError.of(400, "structure", str(exc)) from None
    except (KeyError, ValueError, ValidationError) as exc:
        raise FhirError.of(400, "structure", f"not a FHIR R4 resource: {exc}"[:2000]) from None
    data: JsonDict = resource.model_dump(mode="json", exclude_none=True)
    return data


def render(resource: JsonDict, media: str) -> bytes:
    """The resource serialised as ``media`` (JSON as is; XML through the R4B model)."""
    if media == XML:
        model = get_fhir_model_class(str(resource["resourceType"]))
        xml: bytes | str = model.model_validate(resource).model_dump_xml()
        return xml.encode() if isinstance(xml, str) else xml
    return json.dumps(resource, separators=(",", ":"), ensure_ascii=False).encode()


def respond(
    resource: JsonDict, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """An HTTP answer carrying ``resource`` in the negotiated format (406 when none fits)."""
    return _answer(resource, output_format(), status, headers)


def _answer(
    resource: JsonDict, media: str, status: int, headers: dict[str, str] | None
) -> Response:
    return Response(
        render(resource, media),
        status=status,
        headers=headers or {},
        content_type=f"{media}; charset=utf-8",
    )


def error_response(error: FhirError) -> Response:
    """The OperationOutcome answer of a refused request (FHIR R4 http.html 2.21.0.17)."""
    resource: JsonDict = outcome(error.issues).model_dump(mode="json", exclude_none=True)
    try:
        media = output_format()
    except FhirError:
        media = JSON  # the 406 itself, or an error while negotiating, is told in JSON
    return _answer(resource, media, error.status, None)


def lenient() -> bool:
    """True when the client sent ``Prefer: handling=lenient`` (FHIR R4 search.html 2.21.0.2)."""
    prefer = request.headers.get("Prefer", "")
    return "handling=lenient" in prefer.replace(" ", "").lower()


def check_params(given: Iterable[str], allowed: Iterable[str]) -> None:
    """400 for search parameters the route does not support, unless handling is lenient."""
    known = set(allowed) | CONTROL_PARAMS
    unknown = sorted(name for name in given if name not in known)
    if unknown and not lenient():
        raise FhirError.of(400, "not-supported", f"unsupported search parameters: {unknown}")
