"""``beeldportaal publish``: publish a study as an XDS-I.b manifest now, or show publication state.

* ``beeldportaal publish STUDY_UID`` - queue the study: the running server's scheduler
  publishes it at its next tick, without waiting for the stability window.
* ``beeldportaal publish STUDY_UID --now`` - build the KOS and send RAD-68 from this process
  (to ``BEELDPORTAAL_REPOSITORY_URL``) and print the outcome.
* ``beeldportaal publish --status [STUDY_UID]`` - the publication state as JSON (one study, or
  the 100 most recently active ones).

Exit status: 0 done (or queued), 1 the repository refused the manifest, 2 unknown study or
bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from xds_common.settings import Settings


def _print(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def cmd_publish(settings: Settings, args: argparse.Namespace) -> int:
    """Queue or publish a study, or print publication state."""
    from imaging_source.publish import state
    from imaging_source.publish.publisher import Publisher, Result
    from xds_common.db import session_factory

    read = session_factory(settings.database_url)
    write = session_factory(settings.database_url, write=True)
    uid: str | None = args.study_uid
    if args.status:
        with read() as session:
            found = state.status(session, uid) if uid else state.all_status(session)
        if found is None:
            print(f"unknown study {uid}", file=sys.stderr)
            return 2
        _print(found)
        return 0
    if not uid:
        print("publish: give a STUDY_UID (or --status)", file=sys.stderr)
        return 2
    if args.now:
        outcome = Publisher(settings, read, write).publish_now(uid)
        code = {Result.FAILED: 1}.get(outcome.result, 0) if outcome else 2
    else:
        code = 0 if state.request(write, uid, state.utcnow()) else 2
    if code == 2:
        print(f"unknown study {uid}", file=sys.stderr)
        return 2
    with read() as session:
        _print(state.status(session, uid))
    return code


def register_commands(subparsers: Any) -> None:
    """Add ``publish`` to the ``beeldportaal`` command line."""
    parser = subparsers.add_parser(
        "publish", help="publish a study as an XDS-I.b KOS manifest (RAD-68), or show state"
    )
    parser.add_argument("study_uid", nargs="?", metavar="STUDY_UID")
    parser.add_argument(
        "--now", action="store_true", help="publish from this process instead of queueing"
    )
    parser.add_argument("--status", action="store_true", help="print the publication state")
    parser.set_defaults(func=cmd_publish)
