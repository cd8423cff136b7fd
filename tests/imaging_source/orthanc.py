"""A private Orthanc (Debian's package) on 127.0.0.1, the PACS that tests and benchmarks use.

:func:`ensure_installed` finds the ``Orthanc`` binary and installs Debian's ``orthanc`` package
when it is missing and we are root (``scripts/orthanc.sh`` does the same from the shell).
:class:`Orthanc` writes a configuration JSON into its own folder — storage and index there,
``RemoteAccessAllowed: false`` (Orthanc 1.10 cannot bind one address, so it is only ever
spoken to on 127.0.0.1), free ports, our AE title as a known DICOM modality — starts it with
``TCP_NODELAY=1`` in its environment (Debian's DCMTK build otherwise keeps Nagle's algorithm
on and stalls about 40 ms per C-STORE), waits until its REST API answers and stops it on
leaving the ``with`` block, whatever happened inside it.

Orthanc's own defaults are kept where the benchmark compares with it: ``SyncStorageArea``
(fsync of every stored file) stays ``true``. The DICOMweb plugin (Debian's
``orthanc-dicomweb``) is loaded when ``dicomweb=True``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

PACKAGE = "orthanc"
DICOMWEB_PACKAGE = "orthanc-dicomweb"
DICOMWEB_PLUGIN = Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")
AE_TITLE = "ORTHANC"
START_TIMEOUT = 60.0
REQUEST_TIMEOUT = 120.0


class OrthancUnavailable(RuntimeError):
    """Orthanc is not installed and cannot be installed here."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _apt_install(package: str) -> bool:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package]
    if subprocess.run(cmd, env=env, capture_output=True, timeout=900).returncode == 0:
        return True
    subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=900)
    return subprocess.run(cmd, env=env, capture_output=True, timeout=900).returncode == 0


def ensure_installed(*, dicomweb: bool = False) -> str:
    """The ``Orthanc`` binary; Debian's package is installed first when missing and root.

    Raises :class:`OrthancUnavailable` (with the command to run) when it cannot be installed.
    """
    found = shutil.which("Orthanc") or (
        "/usr/sbin/Orthanc" if os.access("/usr/sbin/Orthanc", os.X_OK) else None
    )
    wanted = [PACKAGE] if found is None else []
    if dicomweb and not DICOMWEB_PLUGIN.exists():
        wanted.append(DICOMWEB_PACKAGE)
    if not wanted:
        return str(found)
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise OrthancUnavailable(
            f"Orthanc is not installed and we are not root: sudo apt-get install {' '.join(wanted)}"
        )
    for package in wanted:
        if not _apt_install(package):
            raise OrthancUnavailable(f"apt-get install {package} failed")
    found = shutil.which("Orthanc") or "/usr/sbin/Orthanc"
    if not os.access(found, os.X_OK):
        raise OrthancUnavailable("the orthanc package installed no Orthanc binary")
    return found


class Orthanc:
    """One private Orthanc process: ``with Orthanc(binary, folder, modalities) as pacs: ...``.

    ``modalities`` maps an AE title to its DICOM port on 127.0.0.1 (the peers Orthanc may
    C-MOVE to and accept associations from).
    """

    def __init__(
        self,
        binary: str,
        folder: Path,
        modalities: dict[str, int] | None = None,
        *,
        ae_title: str = AE_TITLE,
        dicomweb: bool = False,
    ) -> None:
        self.binary = binary
        self.folder = folder
        self.ae_title = ae_title
        self.http_port = _free_port()
        self.dicom_port = _free_port()
        self.modalities = dict(modalities or {})
        self.dicomweb = dicomweb
        self.process: subprocess.Popen[bytes] | None = None
        self.session = requests.Session()

    @property
    def base_url(self) -> str:
        """Orthanc's REST API on 127.0.0.1."""
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def dicomweb_url(self) -> str:
        """The DICOMweb root of the plugin (PS3.18), when loaded."""
        return f"{self.base_url}/dicom-web"

    @property
    def environment(self) -> dict[str, str]:
        """The environment Orthanc runs with (``TCP_NODELAY=1`` for DCMTK)."""
        return {**os.environ, "TCP_NODELAY": "1"}

    def config(self) -> dict[str, Any]:
        """The configuration JSON Orthanc is started with."""
        config: dict[str, Any] = {
            "Name": "beeldportaal-test-pacs",
            "StorageDirectory": str(self.folder / "storage"),
            "IndexDirectory": str(self.folder / "index"),
            "HttpPort": self.http_port,
            "DicomPort": self.dicom_port,
            "DicomAet": self.ae_title,
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": False,
            "DicomCheckCalledAet": False,
            "DicomAlwaysAllowEcho": True,
            "DicomAlwaysAllowStore": True,
            "DicomModalities": {
                ae.lower(): [ae, "127.0.0.1", port] for ae, port in self.modalities.items()
            },
            "Plugins": [str(DICOMWEB_PLUGIN)] if self.dicomweb else [],
            "HttpTimeout": 600,
            "DicomScuTimeout": 60,
        }
        if self.dicomweb:
            config["DicomWeb"] = {"Enable": True, "Root": "/dicom-web/"}
        return config

    def __enter__(self) -> Orthanc:
        self.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Write the configuration, start Orthanc and wait until its REST API answers."""
        self.folder.mkdir(parents=True, exist_ok=True)
        config = self.folder / "orthanc.json"
        config.write_text(json.dumps(self.config(), indent=2))
        log = (self.folder / "orthanc.log").open("wb")
        self.process = subprocess.Popen(
            [self.binary, str(config)],
            env=self.environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Orthanc exited:\n{self.log_tail()}")
            try:
                if self.session.get(f"{self.base_url}/system", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"Orthanc did not answer within {START_TIMEOUT:.0f} s:\n{self.log_tail()}"
        )

    def stop(self) -> None:
        """Stop Orthanc (SIGTERM, then SIGKILL after 30 s) and wait for it."""
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)

    def log_tail(self, lines: int = 40) -> str:
        """The last lines Orthanc logged."""
        path = self.folder / "orthanc.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def system(self) -> dict[str, Any]:
        """``GET /system``: version, AE title, ports."""
        return dict(self._get_json("/system"))

    def store(self, part10: bytes) -> str:
        """``POST /instances``: store one Part 10 file; its Orthanc instance id."""
        reply = self.session.post(
            f"{self.base_url}/instances", data=part10, timeout=REQUEST_TIMEOUT
        )
        reply.raise_for_status()
        return str(reply.json()["ID"])

    def find_study(self, study_uid: str) -> str | None:
        """The Orthanc id of the study with this Study Instance UID, or None."""
        reply = self.session.post(
            f"{self.base_url}/tools/find",
            json={"Level": "Study", "Query": {"StudyInstanceUID": study_uid}},
            timeout=REQUEST_TIMEOUT,
        )
        reply.raise_for_status()
        found = reply.json()
        return str(found[0]) if found else None

    def study_files(self, study_uid: str) -> dict[str, bytes]:
        """Every stored file of a study, by SOP Instance UID (empty for an unknown study)."""
        study = self.find_study(study_uid)
        if study is None:
            return {}
        out: dict[str, bytes] = {}
        for instance in self._get_json(f"/studies/{study}/instances"):
            uid = instance["MainDicomTags"]["SOPInstanceUID"]
            reply = self.session.get(
                f"{self.base_url}/instances/{instance['ID']}/file", timeout=REQUEST_TIMEOUT
            )
            reply.raise_for_status()
            out[uid] = reply.content
        return out

    def delete_study(self, study_uid: str) -> None:
        """Delete a study (absent is fine)."""
        study = self.find_study(study_uid)
        if study is not None:
            self.session.delete(
                f"{self.base_url}/studies/{study}", timeout=REQUEST_TIMEOUT
            ).raise_for_status()

    def _get_json(self, path: str) -> Any:
        reply = self.session.get(f"{self.base_url}{path}", timeout=REQUEST_TIMEOUT)
        reply.raise_for_status()
        return reply.json()
