"""``beeldportaal serve``: gunicorn (threaded workers) for HTTP plus the ITI-8 MLLP listener.

Each worker process starts its own MLLP listener on the same port with SO_REUSEPORT, so
the kernel spreads HL7 connections over the workers like it spreads HTTP connections.
Measured facts behind the choice of gunicorn are in the README.
"""

from __future__ import annotations

import gc
import logging
from typing import Any

from gunicorn.app.base import BaseApplication

from beeldportaal import web
from xds_common.db import dispose_engines, session_factory
from xds_common.settings import Settings
from xds_registry.patients import PatientIdentity

log = logging.getLogger(__name__)


def _start_mllp(settings: Settings) -> Any:
    from xds_registry.feed.mllp import start_mllp_listener

    identity = PatientIdentity(
        session_factory(settings.database_url, write=True), settings.patient_id_domains
    )
    return start_mllp_listener(settings.mllp_host, settings.mllp_port, identity, reuse_port=True)


def _start_dicom(settings: Settings) -> Any:
    from imaging_source.ingest import open_ingestor
    from imaging_source.scp import start_scp

    return start_scp(
        open_ingestor(settings.home, settings.database_url),
        ae_title=settings.dicom_ae_title,
        host=settings.dicom_host,
        port=settings.dicom_port,
        reuse_port=True,
    )


def _start_publisher(settings: Settings) -> Any:
    """The KOS publication scheduler of this worker (claims keep workers from colliding)."""
    from imaging_source.publish.publisher import Publisher
    from imaging_source.publish.scheduler import start_scheduler

    read, write = (session_factory(settings.database_url, write=w) for w in (False, True))
    return start_scheduler(Publisher(settings, read, write))


class Server(BaseApplication):  # type: ignore[misc]
    """Gunicorn application running the one-process web app."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        s = self.settings
        options = {
            "bind": f"{s.http_host}:{s.http_port}",
            "workers": s.workers,
            "worker_class": "gthread",
            "threads": 8,
            "timeout": 600,
            "graceful_timeout": 10,
            "keepalive": 30,
            "loglevel": s.log_level.lower(),
            "accesslog": None,
            "control_socket_disable": True,
            "post_fork": self._post_fork,
            "post_worker_init": self._post_worker_init,
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def _post_fork(self, _server: Any, _worker: Any) -> None:
        dispose_engines()

    def _post_worker_init(self, worker: Any) -> None:
        if self.settings.mllp_port:
            worker.mllp = _start_mllp(self.settings)
        if self.settings.dicom_port:  # 0 disables (it must not mean "any port")
            worker.dicom_scp = _start_dicom(self.settings)
        worker.kos_publisher = _start_publisher(self.settings)
        # Everything loaded so far (modules, FHIR models, schemas) lives as long as the
        # worker: move it out of the collector's generations so that full collections,
        # triggered by request garbage, stop rescanning ~10^5 long-lived objects.
        gc.collect()
        gc.freeze()

    def load(self) -> Any:
        return web.create_app(self.settings)


def serve(settings: Settings) -> None:
    """Run until stopped (SIGTERM/SIGINT)."""
    logging.basicConfig(level=settings.log_level)
    logging.getLogger("pynetdicom").setLevel(logging.WARNING)
    Server(settings).run()
