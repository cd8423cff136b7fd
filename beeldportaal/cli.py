"""The ``beeldportaal`` command line: init, serve, patients, submit, fetch, conformance run."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from beeldportaal.conformance_cli import register_commands as register_conformance_commands
from beeldportaal.imaging_cli import register_commands as register_imaging_commands
from beeldportaal.pacs_cli import register_commands as register_pacs_commands
from beeldportaal.validate_cli import register_commands as register_validate_commands
from beeldportaal.xds_cli import register_commands as register_xds_commands
from fhir_facade import migrate as fhir_migrate
from imaging_source import migrate as imaging_migrate
from xds_common.db import session_factory
from xds_common.settings import Settings, SettingsError, load_settings
from xds_registry import migrate
from xds_registry.patients import PatientIdentity, PatientIdRejected
from xds_repository import migrate as repository_migrate


def _migrate(settings: Settings) -> None:
    migrate.upgrade(settings.database_url)
    repository_migrate.upgrade(settings.database_url)
    imaging_migrate.upgrade(settings.database_url)
    fhir_migrate.upgrade(settings.database_url)


def cmd_init(settings: Settings, _args: argparse.Namespace) -> int:
    """Create the home folder and bring the database schema up to date."""
    settings.home.mkdir(parents=True, exist_ok=True)
    _migrate(settings)
    print(f"home {settings.home}")
    print(f"database ready: {settings.database_url.split('@')[-1]}")
    print(f"homeCommunityId {settings.home_community_id}")
    print(f"repositoryUniqueId {settings.repository_unique_id}")
    return 0


def cmd_serve(settings: Settings, _args: argparse.Namespace) -> int:
    """Run every component in one process."""
    from beeldportaal.server import serve
    from xds_repository.app import build_store

    _migrate(settings)
    from imaging_source.store import InstanceStore

    build_store(settings).cleanup_staging(older_than=0)  # no worker is running yet
    InstanceStore(settings.home / "dicom").cleanup_staging(older_than=0)
    serve(settings)
    return 0


def cmd_patients_add(settings: Settings, args: argparse.Namespace) -> int:
    """Register patient ids, as the identity feed would (ITI-8 A01)."""
    identity = PatientIdentity(
        session_factory(settings.database_url, write=True), settings.patient_id_domains
    )
    status = 0
    for patient_id in args.patient_ids:
        try:
            print(f"{patient_id}: {identity.add(patient_id)}")
        except PatientIdRejected as exc:
            print(f"{patient_id}: rejected: {exc.reason}", file=sys.stderr)
            status = 2
    return status


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    """Import a DVD (DICOMDIR), a folder or a zip of DICOM files, with a progress bar."""
    from tqdm import tqdm

    from imaging_source.errors import IngestError
    from imaging_source.importer import Progress, import_path
    from imaging_source.ingest import open_ingestor

    _migrate(settings)
    ingestor = open_ingestor(settings.home, settings.database_url)
    with tqdm(unit="file", desc="import", dynamic_ncols=True) as bar:

        def progress(p: Progress) -> None:
            bar.total = p.total
            bar.update(1)
            bar.set_postfix_str(p.outcome.value)

        try:
            report = import_path(args.path, ingestor, progress=progress)
        except (IngestError, FileNotFoundError) as exc:
            print(f"import stopped: {exc}", file=sys.stderr)
            return 2
    for line in report.summary():
        print(line)
    return 0 if report.ok else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="beeldportaal",
        description="Standards-based exchange server for radiology images and reports. "
        "Settings come from BEELDPORTAAL_* environment variables (see README).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init", help="create ./var and the database schema").set_defaults(func=cmd_init)
    sub.add_parser("serve", help="run every component in one process").set_defaults(func=cmd_serve)
    patients = sub.add_parser("patients", help="patient identity feed")
    psub = patients.add_subparsers(dest="patients_command", required=True)
    add = psub.add_parser("add", help="register patient ids like ID^^^&OID&ISO")
    add.add_argument("patient_ids", nargs="+", metavar="CX")
    add.set_defaults(func=cmd_patients_add)
    imp = sub.add_parser("import", help="import a DVD (DICOMDIR), a folder or a zip of DICOM files")
    imp.add_argument("path", help="folder, DICOMDIR, .zip or one DICOM file")
    imp.set_defaults(func=cmd_import)
    register_xds_commands(sub)
    register_conformance_commands(sub)
    register_imaging_commands(sub)
    register_pacs_commands(sub)
    register_validate_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = _parser().parse_args(argv)
    if not getattr(args, "needs_settings", True):
        client_command: Callable[[object, argparse.Namespace], int] = args.func
        return client_command(None, args)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    func: Callable[[Settings, argparse.Namespace], int] = args.func
    return func(settings, args)
