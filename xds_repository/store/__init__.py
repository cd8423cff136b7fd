"""The Document Repository's document store, selected by ``BEELDPORTAAL_DOCUMENT_STORE``.

``open_store(kind, **options)`` builds one implementation of :class:`DocumentStore` from the
table below; the S3 module (and boto3) is imported only when the ``s3`` kind is chosen.
"""

from __future__ import annotations

import importlib
from typing import Any

from xds_repository.store.base import (
    DEFAULT_CHUNK,
    DocumentNotFoundError,
    DocumentStore,
    DocumentStoreConfigError,
    DocumentStoreError,
    StagedDocument,
    document_key,
    new_staging_file,
    stage_chunks,
)

#: Store kind -> (module, class). Dispatch through a table, not an if-chain.
STORE_KINDS: dict[str, tuple[str, str]] = {
    "filesystem": ("xds_repository.store.filesystem", "FilesystemDocumentStore"),
    "s3": ("xds_repository.store.s3", "S3DocumentStore"),
}


def open_store(kind: str, **options: Any) -> DocumentStore:
    """Build the document store ``kind`` (``filesystem`` or ``s3``) with its options.

    Filesystem options: ``root``. S3 options: ``bucket``, ``staging_dir``, ``endpoint_url``,
    ``region``, ``access_key_id``, ``secret_access_key``, ``session_token``, ``prefix``,
    ``addressing_style``, ``part_size``, ``multipart_threshold``, ``verify_bucket``.
    Raises :class:`DocumentStoreConfigError` for an unknown kind or bad options.
    """
    try:
        module_name, class_name = STORE_KINDS[kind.strip().lower()]
    except KeyError:
        raise DocumentStoreConfigError(
            f"unknown document store {kind!r} (BEELDPORTAAL_DOCUMENT_STORE); "
            f"choose one of: {', '.join(sorted(STORE_KINDS))}"
        ) from None
    factory = getattr(importlib.import_module(module_name), class_name)
    try:
        store: DocumentStore = factory(**options)
    except TypeError as exc:
        raise DocumentStoreConfigError(f"bad options for the {kind} document store: {exc}") from exc
    return store


__all__ = [
    "DEFAULT_CHUNK",
    "STORE_KINDS",
    "DocumentNotFoundError",
    "DocumentStore",
    "DocumentStoreConfigError",
    "DocumentStoreError",
    "StagedDocument",
    "document_key",
    "new_staging_file",
    "open_store",
    "stage_chunks",
]
