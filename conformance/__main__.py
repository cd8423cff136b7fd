"""``python -m conformance --registry URL [options] [TEST ...]``: the replay without the server.

The same command as ``beeldportaal conformance run`` (see :mod:`conformance.command`):
replays the NIST tests against the given endpoints, prints pass counts per transaction and
every failed step, writes ``--junit``/``--html`` reports, and exits 1 if a step failed that
no known deviation explains.
"""

from __future__ import annotations

import sys

from conformance.command import main

if __name__ == "__main__":
    sys.exit(main())
