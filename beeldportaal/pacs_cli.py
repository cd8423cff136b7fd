"""``beeldportaal pacs find | fetch | forward``: the PACS gateway on the command line.

The PACS is configured by ``BEELDPORTAAL_PACS_AE_TITLE``, ``_PACS_HOST``, ``_PACS_PORT`` and
``_PACS_RETRIEVE`` (``c-move``: the PACS sends to our Storage SCP, so ``beeldportaal serve``
must be running and the PACS must know our AE title, host and DICOM port; ``c-get``: the
instances come back on this command's own association). Exit status: 0 done, 1 nothing
matched or the transfer was incomplete, 2 the PACS could not be used (configuration, down,
association rejected, operation refused).

Examples::

    beeldportaal pacs find --accession ACC-1001
    beeldportaal pacs fetch --study 1.2.840.113619.2.55.3.604688119
    beeldportaal pacs fetch --accession ACC-1001 --publish
    beeldportaal pacs forward 1.2.840.113619.2.55.3.604688119
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from xds_common.settings import Settings

_EXIT = {"no-match": 1, "partial": 1}


def _quiet_pynetdicom() -> None:
    """Our own messages say what went wrong; pynetdicom's log lines would only repeat it."""
    logging.getLogger("pynetdicom").setLevel(logging.CRITICAL)


def _key(args: argparse.Namespace) -> Any:
    from imaging_source.gateway.find import StudyKey

    return StudyKey(accession_number=args.accession or "", study_instance_uid=args.study or "")


def _fail(exc: Exception) -> int:
    from imaging_source.gateway import GatewayError

    assert isinstance(exc, GatewayError)
    print(f"pacs: {exc}", file=sys.stderr)
    return _EXIT.get(exc.problem.value, 2)


def cmd_find(settings: Settings, args: argparse.Namespace) -> int:
    """C-FIND the study by accession number or Study UID; one line per match."""
    from imaging_source.gateway import GatewayError
    from imaging_source.gateway.find import find_studies
    from imaging_source.gateway.peer import peer_from_settings

    _quiet_pynetdicom()
    try:
        matches = find_studies(peer_from_settings(settings), _key(args))
    except GatewayError as exc:
        return _fail(exc)
    for m in matches:
        count = "?" if m.instance_count is None else str(m.instance_count)
        print(
            f"{m.study_instance_uid}\taccession={m.accession_number}\tpatient={m.patient_id}"
            f"\tname={m.patient_name}\tdate={m.study_date}\tmodalities={'/'.join(m.modalities)}"
            f"\tinstances={count}\t{m.study_description}"
        )
    return 0


def cmd_fetch(settings: Settings, args: argparse.Namespace) -> int:
    """Find the study in the PACS, retrieve it into our store (C-MOVE or C-GET), and publish
    it now with ``--publish``."""
    from imaging_source.gateway import GatewayError
    from imaging_source.gateway.fetch import fetch_studies
    from imaging_source.gateway.peer import peer_from_settings
    from imaging_source.ingest import open_ingestor
    from xds_common.db import session_factory

    _quiet_pynetdicom()
    try:
        peer = peer_from_settings(settings)
        key = _key(args)
        ingestor = open_ingestor(settings.home, settings.database_url)
        reports = fetch_studies(peer, key, ingestor, session_factory(settings.database_url))
    except GatewayError as exc:
        return _fail(exc)
    for r in reports:
        o = r.outcome
        print(
            f"fetched {r.match.study_instance_uid} from {peer} by {o.method}: "
            f"{o.completed} completed, {o.warning} warning, {o.failed} failed; "
            f"{r.indexed} instances in our index"
        )
    if not args.publish:
        return 0
    return _publish(settings, [r.match.study_instance_uid for r in reports])


def _publish(settings: Settings, study_uids: list[str]) -> int:
    """Publish each fetched study now (KOS manifest, RAD-68), as ``beeldportaal publish --now``."""
    from imaging_source.publish.publisher import Publisher
    from xds_common.db import session_factory

    publisher = Publisher(
        settings,
        session_factory(settings.database_url),
        session_factory(settings.database_url, write=True),
    )
    status = 0
    for uid in study_uids:
        outcome = publisher.publish_now(uid)
        if outcome is not None and outcome.result == "published":
            print(f"published {uid}: manifest {outcome.detail}")
        elif outcome is not None and outcome.result == "busy":
            print(f"publish {uid}: {outcome.detail}")
        else:
            detail = outcome.detail if outcome is not None else "not in the index"
            print(f"pacs: publishing {uid} failed: {detail}", file=sys.stderr)
            status = 1
    return status


def cmd_forward(settings: Settings, args: argparse.Namespace) -> int:
    """C-STORE a study we hold to the PACS, each instance byte for byte as stored."""
    from imaging_source.gateway import GatewayError
    from imaging_source.gateway.forward import forward_study
    from imaging_source.gateway.peer import peer_from_settings
    from imaging_source.index.reader import Target, instance_files
    from imaging_source.store import InstanceStore
    from xds_common.db import session_factory

    _quiet_pynetdicom()
    try:
        peer = peer_from_settings(settings)
        with session_factory(settings.database_url)() as session:
            files = instance_files(session, Target(args.study_uid))
        outcome = forward_study(peer, InstanceStore(settings.home / "dicom"), files)
    except GatewayError as exc:
        return _fail(exc)
    print(
        f"forwarded {outcome.sent} instances of {outcome.study_instance_uid} to {peer}"
        + (f" ({outcome.warnings} with warnings)" if outcome.warnings else "")
    )
    return 0


def _add_key(parser: argparse.ArgumentParser) -> None:
    key = parser.add_mutually_exclusive_group(required=True)
    key.add_argument("--accession", metavar="A", help="Accession Number (0008,0050)")
    key.add_argument("--study", metavar="UID", help="Study Instance UID (0020,000D)")


def register_commands(subparsers: Any) -> None:
    """Add ``pacs find``, ``pacs fetch`` and ``pacs forward`` to ``beeldportaal``."""
    pacs = subparsers.add_parser(
        "pacs",
        help="PACS gateway: find, fetch (C-MOVE/C-GET) and forward (C-STORE) studies",
        description="Talk to the hospital PACS named by BEELDPORTAAL_PACS_AE_TITLE/_HOST/_PORT.",
    )
    sub = pacs.add_subparsers(dest="pacs_command", required=True)
    find = sub.add_parser("find", help="C-FIND a study (Study Root, STUDY level)")
    _add_key(find)
    find.set_defaults(func=cmd_find)
    fetch = sub.add_parser(
        "fetch", help="retrieve a study into our store by BEELDPORTAAL_PACS_RETRIEVE"
    )
    _add_key(fetch)
    fetch.add_argument(
        "--publish",
        action="store_true",
        help="then publish each fetched study now (KOS manifest, RAD-68), as 'publish --now'",
    )
    fetch.set_defaults(func=cmd_fetch)
    forward = sub.add_parser("forward", help="C-STORE a study we hold to the PACS")
    forward.add_argument("study_uid", metavar="STUDY_UID")
    forward.set_defaults(func=cmd_forward)
