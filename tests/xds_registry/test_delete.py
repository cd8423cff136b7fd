"""ITI-62 Remove Metadata: golden removal, one change per test, one expected code.

RMD supplement (ITI TF-2b 3.62). The golden ITI-42 submission of ``test_update`` is
registered through the real handler; each test removes part of it and checks the code and
the stored rows afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from profiles import namespaces as ns
from profiles import transactions as tx
from profiles.errors import ErrorCode
from profiles.vocabulary import ResponseStatus
from tests.xds_registry.dispatching import registry_response
from tests.xds_registry.test_update import (
    DEPRECATED,
    Golden,
    dispose,
    doc_update,
    documents,
    make_context,
    register_golden,
    run_update,
    snapshot,
)
from tests.xds_registry.test_update import call as call_handler
from xds_common.dispatch import Dispatcher
from xds_common.ebrim import writer
from xds_common.xml import parse
from xds_registry.context import RegistryContext
from xds_registry.delete import delete
from xds_registry.storage.tables import AssociationRow, AuthorRow, CodeRow, DocumentRow

E = ErrorCode
DELETE_ALL = "urn:oasis:names:tc:ebxml-regrep:DeletionScopeType:DeleteAll"


def remove_objects(*uuids: str, scope: str = "", extra: str = "") -> etree._Element:
    """An ``lcm:RemoveObjectsRequest`` with one ObjectRef per entryUUID."""
    refs = "".join(f'<rim:ObjectRef id="{u}"/>' for u in uuids)
    scope_attr = f' deletionScope="{scope}"' if scope else ""
    ref_list = f"<rim:ObjectRefList>{refs}</rim:ObjectRefList>" if uuids else ""
    text = (
        f'<lcm:RemoveObjectsRequest xmlns:lcm="{ns.LCM}" xmlns:rim="{ns.RIM}"{scope_attr}>'
        f"{extra}{ref_list}</lcm:RemoveObjectsRequest>"
    )
    return parse(text.encode())


def run_delete(ctx: RegistryContext, body: etree._Element) -> list[str]:
    return call_handler(delete, ctx, body, tx.ITI_62.request_action)


def everything(g: Golden) -> list[str]:
    """Every object of the golden submission."""
    return [g.ss, g.doc1, g.doc2, g.doc3, g.fd, g.ss_doc1, g.ss_doc2, g.ss_doc3, g.ss_fd,
            g.fd_link, g.ss_fd_link, g.apnd]  # fmt: skip


def stored(ctx: RegistryContext) -> int:
    """How many rows the registry holds over all object and index tables."""
    return sum(len(rows) for rows in snapshot(ctx).values())


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[RegistryContext]:
    yield make_context(tmp_path)
    dispose(tmp_path)


@pytest.fixture
def golden(ctx: RegistryContext) -> Golden:
    return register_golden(ctx)


# --- success ------------------------------------------------------------------------------


def test_remove_the_whole_submission(ctx: RegistryContext, golden: Golden) -> None:
    """Objects and their index rows (codes, authors) are gone; nothing else is."""
    assert run_delete(ctx, remove_objects(*everything(golden))) == []
    assert stored(ctx) == 0
    with ctx.read() as session:
        assert session.scalars(select(CodeRow)).all() == []
        assert session.scalars(select(AuthorRow)).all() == []


def test_remove_a_folder_membership(ctx: RegistryContext, golden: Golden) -> None:
    """FD -> DE HasMember and its SS HasMember go; Folder and DE stay referenced."""
    body = remove_objects(golden.fd_link, golden.ss_fd_link)
    assert run_delete(ctx, body) == []
    with ctx.read() as session:
        assert session.get(AssociationRow, golden.fd_link) is None
        assert session.get(AssociationRow, golden.ss_fd_link) is None
        assert session.get(DocumentRow, golden.doc1) is not None


def test_remove_a_relationship(ctx: RegistryContext, golden: Golden) -> None:
    assert run_delete(ctx, remove_objects(golden.apnd)) == []
    with ctx.read() as session:
        assert session.get(AssociationRow, golden.apnd) is None


def test_remove_one_document_with_its_membership(ctx: RegistryContext, golden: Golden) -> None:
    """The SubmissionSet keeps other members, so it stays referenced."""
    before = stored(ctx)
    assert run_delete(ctx, remove_objects(golden.doc3, golden.ss_doc3)) == []
    with ctx.read() as session:
        assert session.get(DocumentRow, golden.doc3) is None
        codes = session.scalars(select(CodeRow).where(CodeRow.object_uuid == golden.doc3))
        assert codes.all() == []
    assert stored(ctx) < before


def test_remove_an_update_submission(ctx: RegistryContext, golden: Golden) -> None:
    """An ITI-57 submission can be removed again; version 1 stays as it is."""
    body, _ = doc_update(golden, lid=golden.doc3, unique_id=golden.uid3)
    assert run_update(ctx, body) == []
    (_, _, v1), (_, _, v2) = documents(ctx, golden.doc3)
    with ctx.read() as session:
        member = session.scalars(
            select(AssociationRow).where(AssociationRow.target_uuid == v2)
        ).one()
    assert run_delete(ctx, remove_objects(member.source_uuid, v2, member.entry_uuid)) == []
    assert documents(ctx, golden.doc3) == [(1, DEPRECATED, v1)]


def test_repeated_ids_count_once(ctx: RegistryContext, golden: Golden) -> None:
    assert run_delete(ctx, remove_objects(golden.apnd, golden.apnd)) == []


def test_served_through_the_soap_dispatcher(ctx: RegistryContext, golden: Golden) -> None:
    """The route the lead adds to service.py, Failure included."""
    dispatcher = Dispatcher()
    dispatcher.add(tx.ITI_62, lambda request: delete(ctx, request), writer.registry_response)

    def post(body: etree._Element) -> etree._Element:
        return registry_response(dispatcher, tx.ITI_62, body)

    assert post(remove_objects(golden.apnd)).get("status") == ResponseStatus.SUCCESS
    failed = post(remove_objects(golden.apnd))
    assert failed.get("status") == ResponseStatus.FAILURE
    error = failed.find(f".//{{{ns.RS}}}RegistryError")
    assert error is not None
    assert error.get("errorCode") == E.UNRESOLVED_REFERENCE
    assert golden.apnd in error.get("codeContext", "")


# --- one change, one code, nothing removed ------------------------------------------------

Change = Callable[[Golden], etree._Element]
ADHOC = (
    '<rim:AdhocQuery id="urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4">'
    "<rim:Slot name=\"$XDSDocumentEntryPatientId\"><rim:ValueList><rim:Value>'x'</rim:Value>"
    "</rim:ValueList></rim:Slot></rim:AdhocQuery>"
)

CHANGES: dict[str, tuple[Change, str]] = {
    "unknown entryUUID": (
        lambda g: remove_objects(g.apnd, f"urn:uuid:{uuid.uuid4()}"), E.UNRESOLVED_REFERENCE),
    "symbolic id": (lambda g: remove_objects("Document01"), E.UNRESOLVED_REFERENCE),
    "SubmissionSet alone": (lambda g: remove_objects(g.ss), E.REFERENCES_EXIST),
    "DocumentEntry alone": (lambda g: remove_objects(g.doc3), E.REFERENCES_EXIST),
    "Folder alone": (lambda g: remove_objects(g.fd), E.REFERENCES_EXIST),
    "original while its addendum points at it": (
        lambda g: remove_objects(g.doc1, g.ss_doc1, g.fd_link, g.ss_fd_link), E.REFERENCES_EXIST),
    "Folder membership without its SubmissionSet HasMember": (
        lambda g: remove_objects(g.fd_link), E.REFERENCES_EXIST),
    "everything but the SubmissionSet": (
        lambda g: remove_objects(*everything(g)[1:]), E.UNREFERENCED_OBJECT),
    "the only HasMember of a DocumentEntry": (
        lambda g: remove_objects(g.ss_doc3), E.UNREFERENCED_OBJECT),
    "the last Associations of a Folder": (
        lambda g: remove_objects(g.ss_fd, g.fd_link, g.ss_fd_link), E.UNREFERENCED_OBJECT),
    "a relationship and the only HasMember of its source": (
        lambda g: remove_objects(g.apnd, g.ss_doc2), E.UNREFERENCED_OBJECT),
    "an AdhocQuery instead of references": (
        lambda g: remove_objects(extra=ADHOC), E.REGISTRY_ERROR),
    "an AdhocQuery beside the references": (
        lambda g: remove_objects(g.apnd, extra=ADHOC), E.REGISTRY_ERROR),
    "no ObjectRefList": (lambda g: remove_objects(), E.REGISTRY_ERROR),
    "an empty ObjectRefList": (
        lambda g: remove_objects(extra="<rim:ObjectRefList/>"), E.REGISTRY_ERROR),
    "a registry object inside the ObjectRefList": (
        lambda g: remove_objects(extra=f'<rim:ObjectRefList><rim:Association id="{g.apnd}"/>'
                                 "</rim:ObjectRefList>"), E.REGISTRY_ERROR),
    "an ObjectRef without id": (
        lambda g: remove_objects(extra="<rim:ObjectRefList><rim:ObjectRef/></rim:ObjectRefList>"),
        E.REGISTRY_ERROR),
    "deletionScope other than DeleteAll": (
        lambda g: remove_objects(g.apnd, scope="urn:oasis:names:tc:ebxml-regrep:"
                                 "DeletionScopeType:DeleteRepositoryItemOnly"), E.REGISTRY_ERROR),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CHANGES))
def test_one_change_one_code(ctx: RegistryContext, golden: Golden, name: str) -> None:
    change, code = CHANGES[name]
    before = snapshot(ctx)
    assert set(run_delete(ctx, change(golden))) == {code}
    assert snapshot(ctx) == before


def test_deletion_scope_delete_all_is_accepted(ctx: RegistryContext, golden: Golden) -> None:
    assert run_delete(ctx, remove_objects(golden.apnd, scope=DELETE_ALL)) == []
