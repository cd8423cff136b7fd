"""PACS gateway: find a study in a hospital PACS, fetch it into us, forward ours to the PACS.

- :mod:`.find` — C-FIND, Study Root, STUDY level, by Accession Number or Study Instance UID
  (PS3.4 C.4.1, C.6.2).
- :mod:`.retrieve` — C-MOVE to our own Storage SCP (PS3.4 C.4.2) or C-GET with us as the SCP
  of the storage sub-operations (PS3.4 C.4.3), then a check that the study is in the index.
- :mod:`.forward` — C-STORE of a study we hold, from the stored files byte for byte, in the
  transfer syntax each file was stored in (PS3.4 B, PS3.7 9.1.1).

Every failure is a :class:`~imaging_source.gateway.errors.GatewayError` with a sentence for
the operator; pynetdicom's own log lines are not the interface.
"""

from imaging_source.gateway.errors import GatewayError, Problem
from imaging_source.gateway.peer import PacsPeer

__all__ = ["GatewayError", "PacsPeer", "Problem"]
