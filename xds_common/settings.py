"""Typed, frozen settings read once from ``BEELDPORTAAL_*`` environment variables.

No module-level mutable configuration: every component receives a ``Settings`` in its
``create_app(settings)``.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from profiles.vocabulary import BSN_ASSIGNING_AUTHORITY

PREFIX = "BEELDPORTAAL_"


class SettingsError(ValueError):
    """A configuration variable has an invalid value."""


@dataclass(frozen=True)
class VariableDoc:
    """Documentation of one configuration variable (rendered into the README)."""

    name: str
    default: str
    meaning: str


@dataclass(frozen=True)
class Settings:
    """All runtime settings. Build with :func:`load_settings`."""

    home: Path
    database_url: str
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    mllp_host: str = "127.0.0.1"
    mllp_port: int = 2575
    workers: int = 2
    home_community_id: str = ""
    repository_unique_id: str = ""
    patient_id_domains: tuple[str, ...] = (BSN_ASSIGNING_AUTHORITY,)
    query_result_limit: int = 5000
    unknown_patient_query_error: bool = False
    max_soap_bytes: int = 20 * 1024 * 1024
    registry_url: str = ""
    dicom_ae_title: str = "BEELDPORTAAL"
    dicom_host: str = "127.0.0.1"
    dicom_port: int = 11112
    document_store: str = "filesystem"
    max_document_bytes: int = 8 * 1024**3
    s3: Mapping[str, str] = field(default_factory=dict)
    study_stable_seconds: int = 60
    repository_url: str = ""
    public_url: str = ""
    imaging_source_unique_id: str = ""
    imaging_assigning_authority: str = ""
    pacs_ae_title: str = ""
    pacs_host: str = "127.0.0.1"
    pacs_port: int = 0
    pacs_retrieve: str = "c-move"
    dicomweb_url: str = ""
    log_level: str = "INFO"
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def public_base_url(self) -> str:
        """Base URL of the HTTP listener as seen from this machine."""
        return f"http://{self.http_host}:{self.http_port}"

    @property
    def effective_registry_url(self) -> str:
        """The ITI-42/ITI-18 endpoint used by clients inside the system."""
        return self.registry_url or f"{self.public_base_url}/xds/registry"

    @property
    def effective_repository_url(self) -> str:
        """The ITI-41/ITI-43 endpoint used by the imaging source and the FHIR facade."""
        return self.repository_url or f"{self.public_base_url}/xds/repository"

    @property
    def external_base_url(self) -> str:
        """Base URL that other systems use to reach us (put into KOS and FHIR links)."""
        return (self.public_url or self.public_base_url).rstrip("/")

    @property
    def effective_dicomweb_url(self) -> str:
        """The DICOMweb base (QIDO-RS, WADO-RS, STOW-RS) used inside the system and in links."""
        return self.dicomweb_url or f"{self.external_base_url}/dicomweb"

    @property
    def effective_imaging_assigning_authority(self) -> str:
        """Assigning authority OID of the patient ids the imaging source publishes under."""
        return self.imaging_assigning_authority or self.patient_id_domains[0]


VARIABLES: tuple[VariableDoc, ...] = (
    VariableDoc("BEELDPORTAAL_HOME", "./var", "data folder (database, documents, identifiers)"),
    VariableDoc(
        "BEELDPORTAAL_DATABASE_URL",
        "sqlite:///$HOME/beeldportaal.db",
        "SQLAlchemy URL; postgresql+psycopg://user:pw@host/db works too",
    ),
    VariableDoc("BEELDPORTAAL_HTTP_HOST", "127.0.0.1", "HTTP listen address"),
    VariableDoc("BEELDPORTAAL_HTTP_PORT", "8080", "HTTP listen port"),
    VariableDoc("BEELDPORTAAL_MLLP_HOST", "127.0.0.1", "ITI-8 MLLP listen address"),
    VariableDoc("BEELDPORTAAL_MLLP_PORT", "2575", "ITI-8 MLLP listen port (0 disables)"),
    VariableDoc("BEELDPORTAAL_WORKERS", "2", "HTTP worker processes"),
    VariableDoc(
        "BEELDPORTAAL_HOME_COMMUNITY_ID",
        "generated once, kept in $HOME/identifiers.json",
        "homeCommunityId (urn:oid:...)",
    ),
    VariableDoc(
        "BEELDPORTAAL_REPOSITORY_UNIQUE_ID",
        "generated once, kept in $HOME/identifiers.json",
        "repositoryUniqueId of the document repository (OID)",
    ),
    VariableDoc(
        "BEELDPORTAAL_PATIENT_ID_DOMAINS",
        BSN_ASSIGNING_AUTHORITY,
        "comma-separated assigning-authority OIDs of the affinity domain's patient ids",
    ),
    VariableDoc(
        "BEELDPORTAAL_QUERY_RESULT_LIMIT",
        "5000",
        "ITI-18 answers XDSTooManyResults above this many objects",
    ),
    VariableDoc(
        "BEELDPORTAAL_UNKNOWN_PATIENT_QUERY_ERROR",
        "false",
        "ITI-18 answers XDSUnknownPatientId for unknown patients instead of an empty result",
    ),
    VariableDoc("BEELDPORTAAL_MAX_SOAP_BYTES", "20971520", "largest accepted SOAP request"),
    VariableDoc(
        "BEELDPORTAAL_REGISTRY_URL",
        "http://$HTTP_HOST:$HTTP_PORT/xds/registry",
        "registry endpoint used by the repository and clients inside the system",
    ),
    VariableDoc(
        "BEELDPORTAAL_DICOM_AE_TITLE",
        "BEELDPORTAAL",
        "AE title of the DICOM Storage SCP (C-STORE, C-ECHO)",
    ),
    VariableDoc("BEELDPORTAAL_DICOM_HOST", "the HTTP host", "DICOM Storage SCP listen address"),
    VariableDoc("BEELDPORTAAL_DICOM_PORT", "11112", "DICOM Storage SCP listen port (0 disables)"),
    VariableDoc(
        "BEELDPORTAAL_DOCUMENT_STORE",
        "filesystem",
        "where the repository keeps documents: filesystem ($HOME/documents) or s3",
    ),
    VariableDoc(
        "BEELDPORTAAL_MAX_DOCUMENT_BYTES",
        "8589934592",
        "largest accepted ITI-41 request body (all documents together)",
    ),
    VariableDoc("BEELDPORTAAL_S3_ENDPOINT_URL", "(AWS)", "S3-compatible endpoint URL"),
    VariableDoc("BEELDPORTAAL_S3_BUCKET", "", "bucket for documents (required for s3)"),
    VariableDoc("BEELDPORTAAL_S3_REGION", "", "S3 region"),
    VariableDoc("BEELDPORTAAL_S3_ACCESS_KEY_ID", "", "S3 access key (or the AWS default chain)"),
    VariableDoc("BEELDPORTAAL_S3_SECRET_ACCESS_KEY", "", "S3 secret key"),
    VariableDoc(
        "BEELDPORTAAL_STUDY_STABLE_SECONDS",
        "60",
        "a study is published when no instance arrived for this many seconds",
    ),
    VariableDoc(
        "BEELDPORTAAL_REPOSITORY_URL",
        "http://$HTTP_HOST:$HTTP_PORT/xds/repository",
        "repository endpoint used by the imaging source (RAD-68) and the FHIR facade",
    ),
    VariableDoc(
        "BEELDPORTAAL_PUBLIC_URL",
        "http://$HTTP_HOST:$HTTP_PORT",
        "base URL other systems use to reach this server (KOS Retrieve URL, FHIR links)",
    ),
    VariableDoc(
        "BEELDPORTAAL_IMAGING_SOURCE_UNIQUE_ID",
        "generated once, kept in $HOME/identifiers.json",
        "Imaging Document Source OID (KOS Retrieve Location UID, RAD-69 RepositoryUniqueId)",
    ),
    VariableDoc(
        "BEELDPORTAAL_IMAGING_ASSIGNING_AUTHORITY",
        "first of PATIENT_ID_DOMAINS",
        "assigning authority OID of the patient ids in published imaging manifests",
    ),
    VariableDoc("BEELDPORTAAL_PACS_AE_TITLE", "", "AE title of the hospital PACS (gateway)"),
    VariableDoc("BEELDPORTAAL_PACS_HOST", "127.0.0.1", "host of the hospital PACS"),
    VariableDoc("BEELDPORTAAL_PACS_PORT", "0", "DICOM port of the hospital PACS (0: no PACS)"),
    VariableDoc(
        "BEELDPORTAAL_PACS_RETRIEVE",
        "c-move",
        "how studies are fetched from the PACS: c-move or c-get",
    ),
    VariableDoc(
        "BEELDPORTAAL_DICOMWEB_URL",
        "$PUBLIC_URL/dicomweb",
        "DICOMweb base the FHIR facade queries and links to (ImagingStudy endpoints)",
    ),
    VariableDoc("BEELDPORTAAL_LOG_LEVEL", "INFO", "Python logging level"),
)

_S3_KEYS = ("ENDPOINT_URL", "BUCKET", "REGION", "ACCESS_KEY_ID", "SECRET_ACCESS_KEY")


def _bool(name: str, raw: str) -> bool:
    low = raw.strip().lower()
    if low in {"1", "true", "yes", "on"}:
        return True
    if low in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"{name}: expected true or false, got {raw!r}")


def _int(name: str, raw: str, minimum: int = 0) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}: expected a whole number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name}: must be at least {minimum}")
    return value


def _choice(name: str, raw: str, allowed: tuple[str, ...]) -> str:
    value = raw.strip().lower()
    if value not in allowed:
        raise SettingsError(f"{name}: one of {', '.join(allowed)}, got {raw!r}")
    return value


def _ae_title(raw: str) -> str:
    """A DICOM AE title: 1-16 printable ASCII characters, no backslash (PS3.5 6.2)."""
    value = raw.strip()
    if not 1 <= len(value) <= 16 or "\\" in value or not (value.isascii() and value.isprintable()):
        raise SettingsError(f"BEELDPORTAAL_DICOM_AE_TITLE: 1-16 ASCII characters, no '\\': {raw!r}")
    return value


def _new_oid() -> str:
    """An OID under the UUID arc 2.25 (ITU-T X.667), unique without registration."""
    return f"2.25.{uuid.uuid4().int}"


def _identifiers(home: Path) -> dict[str, str]:
    """Read, or create once, the installation's own identifiers in ``home``."""
    path = home / "identifiers.json"
    if path.exists():
        data: dict[str, str] = json.loads(path.read_text())
        if "imaging_source_unique_id" in data:
            return data
        data["imaging_source_unique_id"] = _new_oid()  # a home made before the imaging source
    else:
        data = {
            "home_community_id": f"urn:oid:{_new_oid()}",
            "repository_unique_id": _new_oid(),
            "imaging_source_unique_id": _new_oid(),
        }
    home.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2))
    tmp.replace(path)
    return data


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build validated settings from ``env`` (default: the process environment)."""
    env = os.environ if env is None else env

    def get(name: str, default: str) -> str:
        return env.get(PREFIX + name, default)

    home = Path(get("HOME", "./var")).resolve()
    ids = _identifiers(home)
    known = {PREFIX + f.name.upper() for f in fields(Settings)} | {
        f"{PREFIX}S3_{k}" for k in _S3_KEYS
    }
    extra = {k: v for k, v in env.items() if k.startswith(PREFIX) and k not in known}
    domains = tuple(d.strip() for d in get("PATIENT_ID_DOMAINS", "").split(",") if d.strip())
    return Settings(
        home=home,
        database_url=get("DATABASE_URL", f"sqlite:///{home / 'beeldportaal.db'}"),
        http_host=get("HTTP_HOST", "127.0.0.1"),
        http_port=_int("HTTP_PORT", get("HTTP_PORT", "8080")),
        mllp_host=get("MLLP_HOST", get("HTTP_HOST", "127.0.0.1")),
        mllp_port=_int("MLLP_PORT", get("MLLP_PORT", "2575")),
        workers=_int("WORKERS", get("WORKERS", "2"), minimum=1),
        home_community_id=get("HOME_COMMUNITY_ID", ids["home_community_id"]),
        repository_unique_id=get("REPOSITORY_UNIQUE_ID", ids["repository_unique_id"]),
        patient_id_domains=domains or (BSN_ASSIGNING_AUTHORITY,),
        query_result_limit=_int("QUERY_RESULT_LIMIT", get("QUERY_RESULT_LIMIT", "5000"), 1),
        unknown_patient_query_error=_bool(
            "UNKNOWN_PATIENT_QUERY_ERROR", get("UNKNOWN_PATIENT_QUERY_ERROR", "false")
        ),
        max_soap_bytes=_int("MAX_SOAP_BYTES", get("MAX_SOAP_BYTES", str(20 * 1024 * 1024)), 1024),
        registry_url=get("REGISTRY_URL", ""),
        dicom_ae_title=_ae_title(get("DICOM_AE_TITLE", "BEELDPORTAAL")),
        dicom_host=get("DICOM_HOST", get("HTTP_HOST", "127.0.0.1")),
        dicom_port=_int("DICOM_PORT", get("DICOM_PORT", "11112")),
        document_store=get("DOCUMENT_STORE", "filesystem").strip().lower(),
        max_document_bytes=_int(
            "MAX_DOCUMENT_BYTES", get("MAX_DOCUMENT_BYTES", str(8 * 1024**3)), 1024
        ),
        s3={k.lower(): v for k in _S3_KEYS if (v := get(f"S3_{k}", ""))},
        study_stable_seconds=_int("STUDY_STABLE_SECONDS", get("STUDY_STABLE_SECONDS", "60")),
        repository_url=get("REPOSITORY_URL", ""),
        public_url=get("PUBLIC_URL", ""),
        imaging_source_unique_id=get("IMAGING_SOURCE_UNIQUE_ID", ids["imaging_source_unique_id"]),
        imaging_assigning_authority=get("IMAGING_ASSIGNING_AUTHORITY", ""),
        pacs_ae_title=get("PACS_AE_TITLE", "").strip(),
        pacs_host=get("PACS_HOST", "127.0.0.1"),
        pacs_port=_int("PACS_PORT", get("PACS_PORT", "0")),
        pacs_retrieve=_choice("PACS_RETRIEVE", get("PACS_RETRIEVE", "c-move"), ("c-move", "c-get")),
        dicomweb_url=get("DICOMWEB_URL", "").rstrip("/"),
        log_level=get("LOG_LEVEL", "INFO").upper(),
        extra=extra,
    )
