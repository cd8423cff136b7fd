"""ITI-42 and ITI-18 from the repository to the configured registry, with the shared client.

Registry and repository may run on different machines: the registry URL comes from the
settings. An unreachable or broken registry gives XDSRegistryNotAvailable
(ITI TF-2b 3.41.4.1.3 step 9); the registry's own errors are returned unchanged (step 10).
"""

from __future__ import annotations

from lxml import etree

from profiles.errors import ErrorCode
from profiles.vocabulary import ResponseStatus, Severity
from xds_common.client import ClientError, RegistryClient
from xds_common.errors import RegistryError
from xds_repository.context import Register


def _severity(value: str) -> Severity:
    """An answer's severity; anything but Warning counts as an Error."""
    return Severity.WARNING if value == Severity.WARNING else Severity.ERROR


def registry_sender(url: str, timeout: float = 120.0) -> Register:
    """A :data:`Register` function that sends ITI-42 to ``url``."""
    client = RegistryClient(url, timeout=timeout)

    def send(submit: etree._Element) -> tuple[str, list[RegistryError]]:
        try:
            result = client.register(submit)
        except ClientError as exc:
            error = RegistryError(ErrorCode.REGISTRY_NOT_AVAILABLE, f"registry {url}: {exc}")
            return ResponseStatus.FAILURE, [error]
        errors = [
            RegistryError(e.code, e.context, e.location, _severity(e.severity))
            for e in result.errors
        ]
        return result.status, errors

    return send


def registered_unique_ids(url: str, unique_ids: list[str], timeout: float = 60.0) -> set[str]:
    """Which of ``unique_ids`` the registry knows (ITI-18 GetDocuments, LeafClass).

    Raises ``OSError`` when the registry cannot answer, so callers can retry later.
    """
    try:
        result = RegistryClient(url, timeout=timeout).get_documents(unique_ids=unique_ids)
    except ClientError as exc:
        raise OSError(f"registry {url}: {exc}") from exc
    if result.status != ResponseStatus.SUCCESS:
        raise OSError(f"registry {url} did not answer the GetDocuments query")
    return {de.unique_id for de in result.documents} & set(unique_ids)
