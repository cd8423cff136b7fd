"""The repository's index of stored documents (the only module that knows its table).

A row is ``pending`` from just before ITI-42 is sent until the registry answers; only
``visible`` rows are retrievable (ITI TF-2b 3.41.4.1.3: stage, register, then commit).
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from xds_common.db import Base


class DocumentState(StrEnum):
    """Where a stored document is in the provide-and-register flow."""

    PENDING = "pending"
    VISIBLE = "visible"


class StoredDocument(Base):
    """One document held by this repository, by its uniqueId."""

    __tablename__ = "repository_documents"
    unique_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    key: Mapped[str] = mapped_column(String(128))
    mime_type: Mapped[str] = mapped_column(String(256))
    hash: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16), index=True)
    created: Mapped[str] = mapped_column(String(32))
