"""The background thread that publishes complete studies (one per server worker process).

Every tick it asks the database which studies are due (:func:`.state.due_studies`) and
publishes each one it manages to claim; claims make sure that of several workers exactly one
publishes a study. The tick is a quarter of the stability window, between 0.5 and 5 seconds,
so a study is published at most about a quarter window late.
"""

from __future__ import annotations

import logging
import threading

from imaging_source.publish.publisher import Publisher

log = logging.getLogger(__name__)
#: Pause after an unexpected error, so a lasting problem is not logged every tick.
PAUSE = 30.0


def tick_seconds(stable_seconds: int) -> float:
    """Seconds between two looks for due studies."""
    return min(5.0, max(0.5, stable_seconds / 4))


class Scheduler:
    """Runs :meth:`Publisher.publish_due` in a daemon thread until :meth:`stop`."""

    def __init__(self, publisher: Publisher) -> None:
        self.publisher = publisher
        self.interval = tick_seconds(publisher.settings.study_stable_seconds)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kos-publisher", daemon=True)

    def start(self) -> Scheduler:
        """Start the thread; returns self."""
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to end after its current publication, and wait for it."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.publisher.publish_due()
            except Exception:  # e.g. the database is briefly unavailable: wait, then retry
                log.exception("looking for studies to publish failed; retrying in %s s", PAUSE)
                self._stop.wait(PAUSE)


def start_scheduler(publisher: Publisher) -> Scheduler:
    """A running scheduler for ``publisher``."""
    return Scheduler(publisher).start()
