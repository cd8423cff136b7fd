"""Fixtures of the client tests: a fake SOAP server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.xds_common.client.fake_server import FakeServer


@pytest.fixture
def server() -> Iterator[FakeServer]:
    """A fresh fake server that keeps request bodies."""
    with FakeServer() as fake:
        yield fake
