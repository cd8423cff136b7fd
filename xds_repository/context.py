"""What the repository's handlers need: the store, sessions, identity and the registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree
from sqlalchemy.orm import Session, sessionmaker

from xds_common.errors import RegistryError
from xds_repository.store import DocumentStore

#: Sends ITI-42 with a SubmitObjectsRequest; returns the response status and its errors.
Register = Callable[[etree._Element], tuple[str, list[RegistryError]]]


@dataclass(frozen=True)
class RepositoryContext:
    """Shared by every repository transaction handler of one process."""

    store: DocumentStore
    write: sessionmaker[Session]
    read: sessionmaker[Session]
    repository_unique_id: str
    home_community_id: str
    register: Register
