"""Search requests and searchset Bundles with paging (FHIR R4 search.html, bundle.html).

GET ``[base]/[type]?…`` and POST ``[base]/[type]/_search`` (form body) are the same search
(search.html 3.1.1.1; MHD ITI-66/67 require both). Paging: ``_count`` (page size, search.html
3.1.1.5.7) and ``_offset`` (position of the page's first match); the Bundle carries
``total`` and ``self`` / ``next`` / ``previous`` links (bundle.html#searchset, http.html#paging)
that repeat the query with another ``_offset``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final, TypeVar
from urllib.parse import urlencode

from flask import request

from fhir_facade.errors import FhirError
from fhir_facade.translate.values import JsonDict

DEFAULT_COUNT: Final = 100
MAX_COUNT: Final = 1000

T = TypeVar("T")


def search_params() -> dict[str, list[str]]:
    """The search parameters of GET (query) or POST ``_search`` (query + form body)."""
    names = list(dict.fromkeys([*request.args.keys(), *request.form.keys()]))
    return {name: request.args.getlist(name) + request.form.getlist(name) for name in names}


def _int(params: dict[str, list[str]], name: str, default: int) -> int:
    values = params.get(name) or [str(default)]
    try:
        number = int(values[0])
    except ValueError:
        raise FhirError.of(400, "invalid", f"{name}={values[0]} is not an integer") from None
    if number < 0:
        raise FhirError.of(400, "invalid", f"{name} must not be negative")
    return number


def page(params: dict[str, list[str]]) -> tuple[int, int]:
    """``(offset, count)`` of the requested page; ``_count`` is capped at :data:`MAX_COUNT`."""
    return _int(params, "_offset", 0), min(_int(params, "_count", DEFAULT_COUNT), MAX_COUNT)


def _link(url: str, params: dict[str, list[str]], offset: int, count: int) -> str:
    pairs = [(k, v) for k, values in params.items() if k not in ("_offset", "_count")
             for v in values]  # fmt: skip
    pairs += [("_count", str(count)), ("_offset", str(offset))]
    return f"{url}?{urlencode(pairs)}"


def searchset(
    matches: Sequence[T],
    to_resource: Callable[[T], JsonDict],
    type_url: str,
    params: dict[str, list[str]],
) -> JsonDict:
    """The searchset Bundle of one page of ``matches`` (only that page is converted)."""
    offset, count = page(params)
    chosen = matches[offset : offset + count]
    links = [{"relation": "self", "url": _link(type_url, params, offset, count)}]
    if offset + count < len(matches):
        links.append({"relation": "next", "url": _link(type_url, params, offset + count, count)})
    if offset > 0:
        previous = max(offset - count, 0)
        links.append({"relation": "previous", "url": _link(type_url, params, previous, count)})
    entries = []
    for match in chosen:
        resource = to_resource(match)
        entries.append(
            {
                "fullUrl": f"{type_url}/{resource['id']}",
                "resource": resource,
                "search": {"mode": "match"},
            }
        )
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(matches),
        "link": links,
        "entry": entries,
    }
