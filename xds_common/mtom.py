"""MTOM/XOP for the Document Repository: streaming request reader and response writer.

W3C SOAP 1.2 Message Transmission Optimization Mechanism (MTOM) and W3C XML-binary Optimized
Packaging (XOP) 1.0, as profiled by ITI TF-2x Appendix V.8 for ITI-41, ITI-43 and RAD-69.

Reading (:func:`read_mtom`): the ``multipart/related`` body is parsed incrementally; the root
part (the SOAP envelope) stays in memory up to a limit, every other part is streamed to a
staging file while its SHA-1 and size are computed, and each ``xop:Include`` is resolved to
its :class:`StagedPart`. Inline base64 content is staged the same way on request
(:meth:`MtomMessage.content`). Refusals are :class:`MtomError` with a :class:`MtomErrorKind`
that carries the HTTP status.

Writing (:func:`mtom_response`): the envelope with ``xop:Include`` elements
(:func:`xop_include`) and the documents read from storage in 1 MiB chunks, with the
Content-Length computed before the first byte is sent.

The implementation lives in ``mtom_model`` (errors, staging), ``mtom_multipart`` (incremental
MIME parsing), ``mtom_reader`` and ``mtom_writer``; import from here.
"""

from xds_common.mtom_message import T_INCLUDE, MtomMessage
from xds_common.mtom_model import (
    MtomError,
    MtomErrorKind,
    StagedPart,
    normalise_cid,
)
from xds_common.mtom_multipart import Readable
from xds_common.mtom_reader import read_mtom
from xds_common.mtom_writer import (
    MtomResponse,
    ResponsePart,
    mtom_response,
    new_cid,
    xop_include,
)

__all__ = [
    "T_INCLUDE",
    "MtomError",
    "MtomErrorKind",
    "MtomMessage",
    "MtomResponse",
    "Readable",
    "ResponsePart",
    "StagedPart",
    "mtom_response",
    "new_cid",
    "normalise_cid",
    "read_mtom",
    "xop_include",
]
