"""Finish or undo ITI-41 submissions that a crash interrupted (ITI TF-2b 3.41.4.1.3).

A *pending* row means the bytes were stored and ITI-42 may or may not have reached the
registry. Rows older than any request can live are settled by asking the registry: known
uniqueIds become visible, unknown ones are deleted with their bytes. Pending rows are never
retrievable, so a killed ITI-41 leaves nothing visible even before this runs.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from xds_repository.context import RepositoryContext
from xds_repository.provide import discard, publish
from xds_repository.registry_link import registered_unique_ids
from xds_repository.tables import DocumentState, StoredDocument

log = logging.getLogger(__name__)

#: Longer than any ITI-41 request may take (gunicorn's worker timeout is 600 s).
SETTLE_AFTER = timedelta(minutes=15)
#: Staging files older than this are leftovers of requests that died (a worker killed
#: mid-upload); longer than any request may take (gunicorn's worker timeout is 600 s).
STALE_STAGING_SECONDS = 1800.0
INTERVAL_SECONDS = 300.0


def stale_pending(ctx: RepositoryContext, now: datetime) -> list[str]:
    """uniqueIds of pending rows created before ``now - SETTLE_AFTER``."""
    cutoff = (now - SETTLE_AFTER).strftime("%Y%m%d%H%M%S")
    with ctx.read() as session:
        rows = session.scalars(
            select(StoredDocument.unique_id).where(
                StoredDocument.state == DocumentState.PENDING, StoredDocument.created < cutoff
            )
        )
        return list(rows)


def settle(ctx: RepositoryContext, registry_url: str, now: datetime | None = None) -> int:
    """Settle stale pending rows once; return how many were settled."""
    pending = stale_pending(ctx, now or datetime.now(UTC))
    if not pending:
        return 0
    known = registered_unique_ids(registry_url, pending)
    publish(ctx, sorted(known))
    discard(ctx, sorted(set(pending) - known))
    log.info("recovered %d interrupted documents (%d registered)", len(pending), len(known))
    return len(pending)


def recover(ctx: RepositoryContext, registry_url: str) -> None:
    """Background loop of each worker: clean stale staging files, settle pending rows."""
    while True:
        try:
            ctx.store.cleanup_staging(older_than=STALE_STAGING_SECONDS)
            settle(ctx, registry_url)
        except Exception:  # keep the loop alive; the next round retries
            log.exception("repository recovery round failed")
        time.sleep(INTERVAL_SECONDS)
