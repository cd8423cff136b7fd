"""A private nginx on 127.0.0.1 as a physical reference for file-serving benchmarks.

Debian's nginx (``nginx-light``, or ``nginx``) is installed when missing and we are root;
otherwise :func:`ensure_installed` says how. :class:`Nginx` writes a minimal configuration
into its own folder (pid file, error log and temp paths there too; ``daemon off``, one
worker, ``sendfile on``, ``access_log off``), serves one directory on a free loopback port,
and is stopped on leaving the ``with`` block, whatever happened inside it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

CANDIDATES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")
PACKAGES = ("nginx-light", "nginx")


def find_nginx() -> str | None:
    """The nginx binary, or None."""
    found = shutil.which("nginx")
    if found:
        return found
    return next((c for c in CANDIDATES if os.access(c, os.X_OK)), None)


def ensure_installed() -> str:
    """The nginx binary; installs Debian's package first when missing and we are root."""
    found = find_nginx()
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit(
            "nginx is not installed; as root run: apt-get install -y nginx-light "
            "(or: apt-get install -y nginx), then start the benchmark again"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for package in PACKAGES:
        print(f"installing {package} (apt-get) ...", flush=True)
        done = subprocess.run(
            ["apt-get", "install", "-y", "--no-install-recommends", package],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        if done.returncode != 0 and "Unable to locate package" in done.stderr:
            subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=900)
            done = subprocess.run(
                ["apt-get", "install", "-y", "--no-install-recommends", package],
                env=env,
                capture_output=True,
                text=True,
                timeout=900,
            )
        found = find_nginx()
        if found:
            return found
    raise SystemExit("could not install nginx; run: apt-get install -y nginx-light")


def config(root: Path, folder: Path, port: int) -> str:
    """A minimal nginx.conf: static files from ``root`` on 127.0.0.1:port, state in ``folder``."""
    temp = "\n".join(
        f"  {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if os.geteuid() == 0 else ""  # files live in a 0700 temp dir
    return f"""daemon off;
{user}worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 64; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 10;
  default_type application/octet-stream;
{temp}
  server {{
    listen 127.0.0.1:{port};
    root {root};
    location / {{ }}
  }}
}}
"""


class Nginx:
    """nginx serving ``root`` on 127.0.0.1:``port``; a context manager that always stops it."""

    def __init__(self, binary: str, root: Path, folder: Path, port: int) -> None:
        self.binary = binary
        self.root = root
        self.folder = folder
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def version(self) -> str:
        done = subprocess.run([self.binary, "-v"], capture_output=True, text=True, timeout=10)
        return (done.stderr or done.stdout).strip().removeprefix("nginx version: ")

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        conf = self.folder / "nginx.conf"
        conf.write_text(config(self.root, self.folder, self.port))
        command = [self.binary, "-p", str(self.folder), "-c", str(conf)]
        check = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
        if check.returncode != 0:
            raise RuntimeError(f"nginx -t failed:\n{check.stderr}")
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=(self.folder / "stderr.log").open("wb"),
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("nginx exited:\n" + self._logs())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("nginx did not start listening:\n" + self._logs())

    def _logs(self) -> str:
        return "".join(
            p.read_text(errors="replace")
            for p in (self.folder / "stderr.log", self.folder / "error.log")
            if p.exists()
        )

    def stop(self) -> None:
        """Stop the master (and so its worker); SIGKILL its process group if it lingers."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def __enter__(self) -> Nginx:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
