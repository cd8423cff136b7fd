"""Registry tables: indexed columns that stored queries filter on, next to the full ebRIM XML.

The XML of each object is kept as registered (after symbolic ids became UUIDs) so that a
LeafClass answer returns every slot unchanged (ARCHITECTURE.md, "three models").
Status, version, patient id after merges and Folder.lastUpdateTime live in columns and
are written into the XML when it is returned.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xds_common.db import Base

UUID_LEN = 64
CODE_LEN = 512
TEXT_ID_LEN = 256


class Patient(Base):
    """A patient id received through the identity feed (ITI-8) or the CLI."""

    __tablename__ = "registry_patients"
    patient_id: Mapped[str] = mapped_column(String(TEXT_ID_LEN), primary_key=True)
    merged_into: Mapped[str | None] = mapped_column(String(TEXT_ID_LEN), index=True)
    updated: Mapped[str] = mapped_column(String(32))


class DocumentRow(Base):
    """A DocumentEntry version (ITI TF-3 4.2.3.2)."""

    __tablename__ = "registry_documents"
    entry_uuid: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    lid: Mapped[str] = mapped_column(String(UUID_LEN), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(64))
    patient_id: Mapped[str] = mapped_column(String(TEXT_ID_LEN))
    unique_id: Mapped[str] = mapped_column(String(TEXT_ID_LEN), index=True)
    object_type: Mapped[str] = mapped_column(String(UUID_LEN))
    availability: Mapped[str] = mapped_column(String(64))
    class_code: Mapped[str | None] = mapped_column(String(CODE_LEN))
    type_code: Mapped[str | None] = mapped_column(String(CODE_LEN))
    practice_setting_code: Mapped[str | None] = mapped_column(String(CODE_LEN))
    hcft_code: Mapped[str | None] = mapped_column(String(CODE_LEN))
    format_code: Mapped[str | None] = mapped_column(String(CODE_LEN))
    creation_time: Mapped[str | None] = mapped_column(String(32))
    service_start_time: Mapped[str | None] = mapped_column(String(32))
    service_stop_time: Mapped[str | None] = mapped_column(String(32))
    hash: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(BigInteger)
    repository_unique_id: Mapped[str | None] = mapped_column(String(TEXT_ID_LEN))
    mime_type: Mapped[str | None] = mapped_column(String(TEXT_ID_LEN))
    xml: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        Index("ix_registry_documents_patient_status_class", "patient_id", "status", "class_code"),
    )


class SubmissionSetRow(Base):
    """A SubmissionSet (ITI TF-3 4.2.3.3)."""

    __tablename__ = "registry_submission_sets"
    entry_uuid: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    status: Mapped[str] = mapped_column(String(64))
    patient_id: Mapped[str] = mapped_column(String(TEXT_ID_LEN), index=True)
    unique_id: Mapped[str] = mapped_column(String(TEXT_ID_LEN), unique=True)
    source_id: Mapped[str | None] = mapped_column(String(TEXT_ID_LEN))
    submission_time: Mapped[str | None] = mapped_column(String(32))
    content_type_code: Mapped[str | None] = mapped_column(String(CODE_LEN))
    xml: Mapped[str] = mapped_column(Text)


class FolderRow(Base):
    """A Folder version (ITI TF-3 4.2.3.4)."""

    __tablename__ = "registry_folders"
    entry_uuid: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    lid: Mapped[str] = mapped_column(String(UUID_LEN), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(64))
    patient_id: Mapped[str] = mapped_column(String(TEXT_ID_LEN), index=True)
    unique_id: Mapped[str] = mapped_column(String(TEXT_ID_LEN), index=True)
    last_update_time: Mapped[str | None] = mapped_column(String(32))
    xml: Mapped[str] = mapped_column(Text)


class AssociationRow(Base):
    """An Association (ITI TF-3 4.2.2)."""

    __tablename__ = "registry_associations"
    entry_uuid: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    status: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(TEXT_ID_LEN))
    source_uuid: Mapped[str] = mapped_column(String(UUID_LEN), index=True)
    target_uuid: Mapped[str] = mapped_column(String(UUID_LEN), index=True)
    xml: Mapped[str] = mapped_column(Text)


class CodeRow(Base):
    """One value of a multi-valued coded attribute (eventCodeList, confidentialityCode,
    Folder codeList), as ``code^^scheme``, for AND/OR matching (ITI TF-2a 3.18.4.1.2.3.5)."""

    __tablename__ = "registry_codes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    object_uuid: Mapped[str] = mapped_column(String(UUID_LEN), index=True)
    attribute: Mapped[str] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(String(CODE_LEN))

    __table_args__ = (Index("ix_registry_codes_attr_code", "attribute", "code"),)


class AuthorRow(Base):
    """One authorPerson value of a DocumentEntry or SubmissionSet (LIKE matching)."""

    __tablename__ = "registry_authors"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    object_uuid: Mapped[str] = mapped_column(String(UUID_LEN), index=True)
    person: Mapped[str] = mapped_column(String(CODE_LEN))


class ReferenceIdRow(Base):
    """One referenceIdList value of a DocumentEntry (FindDocumentsByReferenceId)."""

    __tablename__ = "registry_reference_ids"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    object_uuid: Mapped[str] = mapped_column(String(UUID_LEN), index=True)
    value: Mapped[str] = mapped_column(String(CODE_LEN), index=True)
