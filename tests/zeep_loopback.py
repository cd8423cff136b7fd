"""A zeep transport for tests: loopback only, and it remembers what it loaded."""

# zeep ships py.typed but leaves most functions unannotated:
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from zeep.transports import Transport


class LoopbackTransport(Transport):
    """A zeep transport that only talks to 127.0.0.1 and remembers every URL it loaded."""

    def __init__(self) -> None:
        super().__init__(session=requests.Session(), timeout=10, operation_timeout=30)
        self.loaded: list[str] = []

    @staticmethod
    def _check(url: str) -> None:
        if urlsplit(url).hostname != "127.0.0.1":
            raise AssertionError(f"zeep tried to reach {url}")

    def load(self, url: str) -> bytes:
        self._check(url)
        self.loaded.append(url)
        return bytes(super().load(url))

    def post(self, address: str, message: Any, headers: Any) -> requests.Response:
        self._check(address)
        response: requests.Response = super().post(address, message, headers)
        return response
