"""The S3-compatible object store: staging on local disk, multipart upload, streaming retrieval.

Works with AWS S3 and S3-compatible servers (MinIO, Ceph RGW, ...). ``put`` sends a file below
the multipart threshold with one PUT and a larger one as a multipart upload in parts read from
the staged file one at a time (16 MiB by default), so memory stays bounded for any size. A
failed multipart upload is aborted; an object appears only when the upload completes, so a
killed process leaves no visible document (``cleanup_staging`` also aborts stale uploads).
The SHA-1 and MIME type are recorded as object metadata (``x-amz-meta-sha1``, Content-Type).
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from xds_repository.store.base import (
    DEFAULT_CHUNK,
    DocumentNotFoundError,
    DocumentStoreConfigError,
    DocumentStoreError,
    check_key,
    check_put,
    cleanup_directory,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

MIB = 1 << 20
#: S3's minimum part size (every part but the last).
MIN_PART_SIZE = 5 * MIB
DEFAULT_PART_SIZE = 16 * MIB
_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
_FAILURES = (ClientError, BotoCoreError, OSError)


def _is_not_found(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code", "")) in _NOT_FOUND


class _BodyReader(io.RawIOBase):
    """A raw reader over a botocore ``StreamingBody`` (wrapped in ``io.BufferedReader``)."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data: bytes = self._body.read(len(view))
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


class S3DocumentStore:
    """A :class:`~xds_repository.store.base.DocumentStore` on an S3-compatible object store."""

    kind = "s3"

    def __init__(
        self,
        *,
        bucket: str,
        staging_dir: str | os.PathLike[str],
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        session_token: str | None = None,
        prefix: str = "documents/",
        addressing_style: Literal["auto", "path", "virtual"] = "auto",
        part_size: int = DEFAULT_PART_SIZE,
        multipart_threshold: int | None = None,
        max_attempts: int = 5,
        verify_bucket: bool = True,
        client: Any = None,
    ) -> None:
        """Connect to ``bucket``; credentials left ``None`` come from boto3's default chain.

        ``client`` replaces the boto3 client built from the other settings (for tests).
        With ``verify_bucket`` the bucket is checked now, so bad settings fail at start-up.
        """
        if not bucket:
            raise DocumentStoreConfigError("the S3 document store needs a bucket name")
        if part_size < MIN_PART_SIZE:
            raise DocumentStoreConfigError(f"S3 part size must be at least {MIN_PART_SIZE}")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.part_size = part_size
        self.multipart_threshold = part_size if multipart_threshold is None else multipart_threshold
        self._staging = Path(staging_dir).resolve()
        self._staging.mkdir(parents=True, exist_ok=True)
        self._client: S3Client = client or boto3.session.Session(
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            aws_session_token=session_token or None,
            region_name=region or None,
        ).client(
            "s3",
            endpoint_url=endpoint_url or None,
            config=Config(
                s3={"addressing_style": addressing_style},
                retries={"max_attempts": max_attempts, "mode": "standard"},
            ),
        )
        if verify_bucket:
            try:
                self._client.head_bucket(Bucket=bucket)
            except _FAILURES as exc:
                raise DocumentStoreConfigError(
                    f"S3 bucket {bucket!r} is not reachable at {endpoint_url or 'AWS'}: {exc}"
                ) from exc

    def __repr__(self) -> str:
        return f"S3DocumentStore(bucket={self.bucket!r}, prefix={self.prefix!r})"

    def object_name(self, key: str) -> str:
        """The S3 object key of the document ``key``."""
        return self.prefix + check_key(key)

    def stage_dir(self) -> Path:
        """The local staging directory (uploads read from it)."""
        self._staging.mkdir(parents=True, exist_ok=True)
        return self._staging

    def put(self, key: str, staged: Path, sha1: str, size: int, mime_type: str) -> None:
        """Upload the staged file (single PUT or multipart), then remove it."""
        name = self.object_name(key)
        check_put(staged, sha1, size)
        try:
            if size < self.multipart_threshold:
                with staged.open("rb") as body:
                    self._client.put_object(
                        Bucket=self.bucket,
                        Key=name,
                        Body=body,
                        ContentLength=size,
                        ContentType=mime_type,
                        Metadata={"sha1": sha1},
                    )
            else:
                self._multipart(name, staged, sha1, mime_type)
        except _FAILURES as exc:
            raise DocumentStoreError(f"cannot upload document {key}: {exc}") from exc
        staged.unlink(missing_ok=True)

    def _multipart(self, name: str, staged: Path, sha1: str, mime_type: str) -> None:
        """Multipart upload, one part in memory at a time; abort on any failure."""
        upload_id = self._client.create_multipart_upload(
            Bucket=self.bucket, Key=name, ContentType=mime_type, Metadata={"sha1": sha1}
        )["UploadId"]
        try:
            parts: list[CompletedPartTypeDef] = []
            with staged.open("rb") as f:
                while data := f.read(self.part_size):
                    number = len(parts) + 1
                    answer = self._client.upload_part(
                        Bucket=self.bucket,
                        Key=name,
                        UploadId=upload_id,
                        PartNumber=number,
                        Body=data,
                    )
                    part: CompletedPartTypeDef = {"ETag": answer["ETag"], "PartNumber": number}
                    for field in ("ChecksumCRC32", "ChecksumCRC32C", "ChecksumCRC64NVME"):
                        if field in answer:
                            part[field] = answer[field]  # type: ignore[literal-required]
                    parts.append(part)
                    del data
            self._client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=name,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except BaseException:
            with contextlib.suppress(*_FAILURES):
                self._client.abort_multipart_upload(
                    Bucket=self.bucket, Key=name, UploadId=upload_id
                )
            raise

    def _get_body(self, key: str) -> Any:
        try:
            return self._client.get_object(Bucket=self.bucket, Key=self.object_name(key))["Body"]
        except ClientError as exc:
            if _is_not_found(exc):
                raise DocumentNotFoundError(key) from exc
            raise DocumentStoreError(f"cannot read document {key}: {exc}") from exc
        except (BotoCoreError, OSError) as exc:
            raise DocumentStoreError(f"cannot read document {key}: {exc}") from exc

    def open(self, key: str) -> BinaryIO:
        """A buffered reader streaming the object body (close it to free the connection)."""
        return io.BufferedReader(_BodyReader(self._get_body(key)), buffer_size=DEFAULT_CHUNK)

    def size(self, key: str) -> int:
        """Content-Length from HEAD."""
        try:
            return self._client.head_object(Bucket=self.bucket, Key=self.object_name(key))[
                "ContentLength"
            ]
        except ClientError as exc:
            if _is_not_found(exc):
                raise DocumentNotFoundError(key) from exc
            raise DocumentStoreError(f"cannot stat document {key}: {exc}") from exc
        except (BotoCoreError, OSError) as exc:
            raise DocumentStoreError(f"cannot stat document {key}: {exc}") from exc

    def exists(self, key: str) -> bool:
        """True if HEAD finds the object."""
        try:
            self.size(key)
        except DocumentNotFoundError:
            return False
        return True

    def delete(self, key: str) -> None:
        """DELETE the object (S3 answers success for an absent one too)."""
        try:
            self._client.delete_object(Bucket=self.bucket, Key=self.object_name(key))
        except _FAILURES as exc:
            raise DocumentStoreError(f"cannot delete document {key}: {exc}") from exc

    def iter_chunks(self, key: str, chunk: int = DEFAULT_CHUNK) -> Iterator[bytes]:
        """Stream the object body in chunks; the connection is released when the iterator ends."""
        body = self._get_body(key)
        try:
            while data := body.read(chunk):
                yield data
        finally:
            body.close()

    def cleanup_staging(self, older_than: float = 0) -> int:
        """Remove old local staging files and abort multipart uploads older than ``older_than``."""
        try:
            removed = cleanup_directory(self._staging, older_than)
        except OSError as exc:
            raise DocumentStoreError(f"cannot clean {self._staging}: {exc}") from exc
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than)
        try:
            pages = self._client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=self.prefix
            )
            for page in pages:
                for upload in page.get("Uploads", []):
                    if upload["Initiated"] <= cutoff:
                        self._client.abort_multipart_upload(
                            Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                        )
                        removed += 1
        except _FAILURES as exc:
            raise DocumentStoreError(f"cannot abort stale S3 uploads: {exc}") from exc
        return removed
