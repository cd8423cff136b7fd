"""The HTTP side of the clients: one POST per call, MTOM streamed both ways (Appendix V.8).

zeep's own transport holds whole messages in memory (``response.content``) and cannot send an
XOP package, so requests are posted here with ``requests``:

* Simple SOAP (ITI-18, ITI-42): the envelope as ``application/soap+xml; action=...``.
* MTOM/XOP (ITI-41, ITI-43): the envelope with ``xop:Include`` elements plus one MIME part per
  document, packaged by :func:`xds_common.mtom.mtom_response`. Each document is read from its
  file in 1 MiB chunks while it is sent, and Content-Length is computed before the first byte
  (no chunked encoding, which some SOAP stacks refuse).
* Every answer is read by :func:`xds_common.mtom.read_mtom` straight from the socket: the
  envelope stays in memory up to a limit, every MIME part is streamed to a file in the
  caller's staging folder while its SHA-1 and size are counted, so a 1 GB document never
  sits in memory. Plain SOAP answers go through the same reader.

Failures become :class:`~xds_common.client.errors.ClientError` (connection, timeout, HTTP
status, SOAP Fault, an answer that is not the SOAP 1.2 message the WSDL promises). The
``timeout`` is the longest wait for the network, per connect and per read or write, not a
bound on the whole transfer: uploading a large document takes as long as it takes.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Final

import requests
import urllib3.exceptions
from lxml import etree

from profiles import namespaces as ns
from profiles.transactions import BY_ACTION
from xds_common.client.envelopes import Request
from xds_common.client.errors import ClientError, ClientErrorKind
from xds_common.mtom import MtomError, MtomErrorKind, MtomMessage, ResponsePart, read_mtom
from xds_common.mtom import mtom_response as xop_package
from xds_common.soap import T_ACTION, T_HEADER

log = logging.getLogger(__name__)

#: Called with the bytes sent (or received) so far and the total, None when unknown.
Progress = Callable[[int, int | None], None]

#: Largest SOAP envelope accepted in an answer (a LeafClass answer of the registry's result
#: limit of 5000 objects is some 20 MB).
DEFAULT_MAX_ENVELOPE_BYTES: Final = 256 * 1024 * 1024
#: Largest answer accepted in total (documents included).
DEFAULT_MAX_RESPONSE_BYTES: Final = 1 << 40
SOAP11: Final = "http://schemas.xmlsoap.org/soap/envelope/"
T_ENVELOPE = ns.qn(ns.SOAP12, "Envelope")
T_BODY = ns.qn(ns.SOAP12, "Body")
T_FAULT = ns.qn(ns.SOAP12, "Fault")
ACCEPT: Final = "multipart/related, application/soap+xml, text/xml"
#: How much of a non-SOAP error page is quoted in the message.
SNIPPET_BYTES: Final = 300
_TITLE = re.compile(r"<title[^>]*>([^<]*)", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>?")


def scratch_dir() -> Path:
    """Where answers whose MIME parts nobody keeps stage them (the system temp folder).

    Registry answers and ITI-41 RegistryResponses carry no documents; should a server send
    parts anyway, each lands in its own ``mkstemp`` file (mode 0600) that the message's
    cleanup removes, so no per-call folder has to be made and removed.
    """
    return Path(tempfile.gettempdir())


class _LocalFileError(Exception):
    """A document file could not be read while it was being sent."""


class UploadBody:
    """A request body of known length, produced chunk by chunk (``requests`` sees ``len``).

    ``requests`` sends an iterable with a ``__len__`` with that Content-Length and without
    chunked transfer encoding.
    """

    def __init__(self, chunks: Iterator[bytes], length: int, progress: Progress | None) -> None:
        self._chunks = chunks
        self._length = length
        self._progress = progress

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[bytes]:
        sent = 0
        try:
            for chunk in self._chunks:
                yield chunk
                sent += len(chunk)
                if self._progress is not None:
                    self._progress(sent, self._length)
        except (OSError, ValueError) as exc:
            # Raised while a document file is read (the socket errors happen in the caller).
            raise _LocalFileError(str(exc)) from None


class ResponseStream:
    """``response.raw`` as the reader wants it, with progress and network errors translated."""

    def __init__(self, response: requests.Response, url: str, progress: Progress | None) -> None:
        self._raw = response.raw
        self._url = url
        self._progress = progress
        self.received = 0
        length = response.headers.get("Content-Length", "")
        self._total = int(length) if length.isdigit() else None

    def read(self, size: int = -1, /) -> bytes:
        """Up to ``size`` bytes of the (decoded) answer; ``b""`` at its end."""
        try:
            data: bytes = self._raw.read(None if size < 0 else size, decode_content=True)
        except (urllib3.exceptions.ReadTimeoutError, TimeoutError) as exc:
            raise ClientError(
                ClientErrorKind.TIMEOUT,
                f"{self._url} stopped sending its answer: {exc}",
                url=self._url,
            ) from None
        except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
            raise ClientError(
                ClientErrorKind.CONNECTION,
                f"the answer from {self._url} broke off after {self.received} bytes: "
                f"{_reason(exc)}",
                url=self._url,
            ) from None
        self.received += len(data)
        if self._progress is not None and data:
            self._progress(self.received, self._total)
        return data


def _reason(exc: BaseException) -> str:
    """A short, human explanation of a connection failure from requests/urllib3."""
    text = str(exc)
    for marker, reason in (
        ("Connection refused", "connection refused"),
        ("Name or service not known", "host name not found"),
        ("Failed to resolve", "host name not found"),
        ("nodename nor servname", "host name not found"),
        ("Connection reset", "connection reset by the server"),
        ("RemoteDisconnected", "the server closed the connection without an answer"),
        ("IncompleteRead", "the server closed the connection early"),
        ("CERTIFICATE_VERIFY_FAILED", "the server's TLS certificate was not accepted"),
    ):
        if marker in text:
            return reason
    return text


class SoapTransport:
    """POSTs zeep-built envelopes; answers are read by the streaming MTOM reader."""

    def __init__(
        self,
        *,
        timeout: float,
        session: requests.Session | None = None,
        max_envelope_bytes: int = DEFAULT_MAX_ENVELOPE_BYTES,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self.timeout = timeout
        self.session = session or requests.Session()
        self.max_envelope_bytes = max_envelope_bytes
        self.max_response_bytes = max_response_bytes

    def call(
        self,
        url: str,
        request: Request,
        staging_dir: Path,
        *,
        mtom: bool,
        parts: Sequence[ResponsePart] = (),
        upload: Progress | None = None,
        download: Progress | None = None,
    ) -> MtomMessage:
        """Send ``request`` and return the checked answer; the caller cleans it up.

        MIME parts of the answer are staged in ``staging_dir``. The answer is a SOAP 1.2
        envelope whose body holds ``request.response_element``; anything else raises
        :class:`ClientError`.
        """
        headers = {"Accept": ACCEPT, "Accept-Encoding": "identity"}
        data: bytes | UploadBody
        if mtom:
            package = xop_package(request.envelope, parts, action=request.action)
            headers["Content-Type"] = package.content_type
            data = UploadBody(package.body, package.content_length, upload)
        else:
            headers["Content-Type"] = request.content_type
            data = etree.tostring(request.envelope, encoding="UTF-8", xml_declaration=True)
        response = self._post(url, data, headers)
        with response:
            message = self._read(url, response, staging_dir, download)
        try:
            self._check(url, response, message, request)
        except BaseException:
            message.cleanup()
            raise
        return message

    def _post(
        self, url: str, data: bytes | UploadBody, headers: dict[str, str]
    ) -> requests.Response:
        try:
            return self.session.post(
                url,
                data=data,
                headers=headers,
                timeout=self.timeout,
                stream=True,
                allow_redirects=False,
            )
        except _LocalFileError as exc:
            raise ClientError(
                ClientErrorKind.LOCAL, f"could not read a document while sending it: {exc}", url=url
            ) from None
        except requests.Timeout:
            raise ClientError(
                ClientErrorKind.TIMEOUT,
                f"no answer from {url} within {self.timeout:g} s",
                url=url,
            ) from None
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema) as exc:
            raise ClientError(
                ClientErrorKind.CONNECTION, f"{url!r} is not a usable URL: {exc}", url=url
            ) from None
        except requests.exceptions.InvalidSchema:
            raise ClientError(
                ClientErrorKind.CONNECTION, f"{url!r} is not an http(s) URL", url=url
            ) from None
        except requests.RequestException as exc:
            raise ClientError(
                ClientErrorKind.CONNECTION, f"cannot reach {url}: {_reason(exc)}", url=url
            ) from None

    def _read(
        self,
        url: str,
        response: requests.Response,
        staging_dir: Path,
        progress: Progress | None,
    ) -> MtomMessage:
        content_type = response.headers.get("Content-Type", "")
        try:
            return read_mtom(
                ResponseStream(response, url, progress),
                content_type,
                staging_dir,
                max_root_bytes=self.max_envelope_bytes,
                max_total_bytes=self.max_response_bytes,
            )
        except MtomError as exc:
            raise self._unreadable(url, response, content_type, exc) from None

    def _unreadable(
        self, url: str, response: requests.Response, content_type: str, exc: MtomError
    ) -> ClientError:
        status = response.status_code
        if exc.kind is MtomErrorKind.WRONG_CONTENT_TYPE:
            snippet = _snippet(response)
            if status >= 300:
                return _http_error(url, response, snippet)
            shown = content_type or "no Content-Type"
            return ClientError(
                ClientErrorKind.INVALID_RESPONSE,
                f"the answer from {url} is not SOAP ({shown}){': ' + snippet if snippet else ''}",
                url=url,
                status=status,
            )
        if status >= 300:
            return _http_error(url, response, "")
        return ClientError(
            ClientErrorKind.INVALID_RESPONSE,
            f"the answer from {url} is not a readable SOAP message: {exc}",
            url=url,
            status=status,
        )

    @staticmethod
    def _check(
        url: str, response: requests.Response, message: MtomMessage, request: Request
    ) -> None:
        envelope = message.envelope
        status = response.status_code
        if etree.QName(envelope).namespace == SOAP11:
            fault = envelope.find(f"{{{SOAP11}}}Body/{{{SOAP11}}}Fault")
            if fault is not None:
                raise _soap11_fault(url, status, fault)
            raise ClientError(
                ClientErrorKind.INVALID_RESPONSE,
                f"{url} answered with SOAP 1.1; XDS.b uses SOAP 1.2 (ITI TF-2x Appendix V)",
                url=url,
                status=status,
            )
        if envelope.tag != T_ENVELOPE:
            raise ClientError(
                ClientErrorKind.INVALID_RESPONSE,
                f"the answer from {url} is XML but not a SOAP envelope "
                f"({etree.QName(envelope).localname})",
                url=url,
                status=status,
            )
        body = envelope.find(T_BODY)
        fault = body.find(T_FAULT) if body is not None else None
        if fault is not None:
            raise _soap12_fault(url, status, fault)
        if status >= 300:
            raise _http_error(url, response, "")
        payload = body[0] if body is not None and len(body) else None
        if payload is None or payload.tag != request.response_element:
            found = "nothing" if payload is None else etree.QName(payload).localname
            expected = etree.QName(request.response_element).localname
            raise ClientError(
                ClientErrorKind.INVALID_RESPONSE,
                f"{url} answered {found} where {expected} was expected",
                url=url,
                status=status,
            )
        action = envelope.find(f"{T_HEADER}/{T_ACTION}")
        if action is not None and (action.text or "").strip() != _response_action(request):
            log.info("%s answered with wsa:Action %r", url, action.text)


def _response_action(request: Request) -> str:
    transaction = BY_ACTION.get(request.action)
    return transaction.response_action if transaction else ""


def _snippet(response: requests.Response) -> str:
    """The start of a non-SOAP body (an error page), on one line."""
    try:
        data = response.raw.read(SNIPPET_BYTES, decode_content=True) or b""
    except Exception:  # only for the message; the HTTP status says enough
        return ""
    text = data.decode("utf-8", "replace")
    title = _TITLE.search(text)
    if title:
        text = title.group(1)
    elif "<" in text:
        text = _TAG.sub(" ", text)
    return " ".join(text.split())[:SNIPPET_BYTES]


def _http_error(url: str, response: requests.Response, snippet: str) -> ClientError:
    status = response.status_code
    reason = response.reason or ""
    text = f"{url} answered HTTP {status} {reason}".rstrip()
    if 300 <= status < 400 and response.headers.get("Location"):
        text += f" (redirect to {response.headers['Location']}; use that URL)"
    if snippet:
        text += f": {snippet}"
    return ClientError(ClientErrorKind.HTTP, text, url=url, status=status)


def _text(node: etree._Element | None) -> str:
    return " ".join((node.text or "").split()) if node is not None else ""


def _soap12_fault(url: str, status: int, fault: etree._Element) -> ClientError:
    """SOAP 1.2 Part 1 section 5.4: Code/Value, Code/Subcode/Value, Reason/Text."""
    q = ns.SOAP12
    code = _text(fault.find(f"{{{q}}}Code/{{{q}}}Value"))
    subcode = _text(fault.find(f"{{{q}}}Code/{{{q}}}Subcode/{{{q}}}Value"))
    reason = _text(fault.find(f"{{{q}}}Reason/{{{q}}}Text"))
    shown = code + (f" ({subcode})" if subcode else "")
    return ClientError(
        ClientErrorKind.FAULT,
        f"{url} answered with a SOAP Fault {shown}: {reason or 'no reason given'}",
        url=url,
        status=status,
        fault_code=code,
        fault_subcode=subcode,
        fault_reason=reason,
    )


def _soap11_fault(url: str, status: int, fault: etree._Element) -> ClientError:
    code, reason = _text(fault.find("faultcode")), _text(fault.find("faultstring"))
    return ClientError(
        ClientErrorKind.FAULT,
        f"{url} answered with a SOAP 1.1 Fault {code}: {reason or 'no reason given'}",
        url=url,
        status=status,
        fault_code=code,
        fault_reason=reason,
    )
