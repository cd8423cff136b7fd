"""The one-process web application: every component's routes plus ``/health``."""

from __future__ import annotations

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue

from fhir_facade import app as fhir_app
from imaging_source import app as imaging_app
from xds_common.settings import Settings
from xds_registry import app as registry_app
from xds_repository import app as repository_app

VERSION = "0.1.0"


def create_app(settings: Settings) -> Flask:
    """Mount every component on one Flask app (the embedded default of ``serve``)."""
    app = Flask(__name__)
    app.register_blueprint(registry_app.blueprint(settings))
    app.register_blueprint(repository_app.blueprint(settings))
    app.register_blueprint(imaging_app.blueprint(settings))
    app.register_blueprint(fhir_app.blueprint(settings))

    @app.get("/health")
    def health() -> ResponseReturnValue:
        return jsonify(
            status="ok",
            version=VERSION,
            components={
                "registry": {"endpoint": registry_app.ENDPOINT, "ready": True},
                "imaging_source": {
                    "dicom_ae_title": settings.dicom_ae_title,
                    "dicom_port": settings.dicom_port,
                    "ready": True,
                },
                "repository": {
                    "endpoint": repository_app.ENDPOINT,
                    "ready": True,
                    "document_store": settings.document_store,
                    "registry": settings.effective_registry_url,
                },
            },
            home_community_id=settings.home_community_id,
            repository_unique_ids=[settings.repository_unique_id],
            imaging_source_unique_id=settings.imaging_source_unique_id,
            patient_id_domains=list(settings.patient_id_domains),
            mllp_port=settings.mllp_port,
        )

    @app.errorhandler(404)
    def not_found(_error: Exception) -> ResponseReturnValue:
        return jsonify(error="not found"), 404

    @app.errorhandler(405)
    def not_allowed(_error: Exception) -> ResponseReturnValue:
        return jsonify(error="method not allowed"), 405

    return app
