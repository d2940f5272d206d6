"""Where sealed evidence objects are kept: a directory, or an S3 bucket.

Both back-ends offer the same small interface and the same promise: an
object, once written, is never replaced (``put_new`` writes only when the
name is free). Names are hex keyed hashes of the content, so two writers of
the same name write the same bytes.
"""

from __future__ import annotations

import ctypes
import logging
import os
import secrets
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, cast
from urllib.parse import unquote, urlsplit

logger = logging.getLogger(__name__)


class BlobMissing(LookupError):
    """An evidence object is not in the store."""


class BlobBackend(Protocol):
    """The interface every evidence back-end implements."""

    description: str

    def put_new(self, name: str, data: bytes) -> bool:
        """Store ``data`` under ``name`` unless it exists; True if written."""

    def get(self, name: str) -> bytes:
        """The object's bytes, or ``BlobMissing``."""

    def delete(self, name: str) -> None:
        """Remove the object; no error if it is gone already."""

    def exists(self, name: str) -> bool: ...

    def names_older_than(self, cutoff: datetime) -> Iterator[str]:
        """Every object name last written before ``cutoff`` (for orphan sweeps)."""

    def flush(self) -> None:
        """Make every write so far durable (before the database commit)."""


def _syncfs_function() -> Callable[[int], int] | None:
    """Linux's syncfs(2): one call makes every write on a file system durable."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    function = getattr(libc, "syncfs", None)
    if function is None:
        return None
    function.argtypes = [ctypes.c_int]
    function.restype = ctypes.c_int
    return cast(Callable[[int], int], function)


class FileBackend:
    """Objects as files under ``root``, fanned out by the first hex digits.

    Durability: with ``fsync`` on, every object is on disk before the
    database commit that refers to it. On Linux one ``syncfs`` per batch
    does that for all of a batch's files and directory entries (per-file
    fsync would cost a disk flush per image); elsewhere each file and its
    directory are fsynced.
    """

    def __init__(self, root: Path, fsync: bool = True) -> None:
        self.root = root
        self.fsync = fsync
        self.description = f"file://{root}"
        self._dirty_dirs: set[Path] = set()
        self._syncfs = _syncfs_function() if fsync else None
        self._lock = threading.Lock()
        self._made_dirs: set[Path] = set()
        root.mkdir(mode=0o700, parents=True, exist_ok=True)

    def _path(self, name: str) -> Path:
        if not name or "/" in name or name.startswith("."):
            raise ValueError("invalid object name")
        return self.root / name[:2] / name[2:4] / name

    def put_new(self, name: str, data: bytes) -> bool:
        path = self._path(name)
        if path.parent not in self._made_dirs:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._made_dirs.add(path.parent)
        # Written under a temporary name, then linked: a crash mid-write
        # never leaves a partial object under the real name.
        tmp = path.with_name(f".{name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                if self.fsync and self._syncfs is None:
                    os.fdatasync(fd)
            finally:
                os.close(fd)
            try:
                # link() fails if the name exists: write-once without a lock.
                os.link(tmp, path)
            except FileExistsError:
                return False
        finally:
            os.unlink(tmp)
        with self._lock:
            self._dirty_dirs.add(path.parent)
        return True

    def get(self, name: str) -> bytes:
        try:
            return self._path(name).read_bytes()
        except FileNotFoundError:
            raise BlobMissing(name) from None

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def exists(self, name: str) -> bool:
        return self._path(name).exists()

    def names_older_than(self, cutoff: datetime) -> Iterator[str]:
        limit = cutoff.timestamp()
        for directory, _dirs, files in os.walk(self.root):
            for file in files:
                if file.startswith("."):
                    continue
                if os.stat(os.path.join(directory, file)).st_mtime < limit:
                    yield file

    def flush(self) -> None:
        with self._lock:
            dirs, self._dirty_dirs = self._dirty_dirs, set()
        if not self.fsync or not dirs:
            return
        if self._syncfs is not None:
            fd = os.open(self.root, os.O_RDONLY)
            try:
                if self._syncfs(fd) != 0:
                    raise OSError(ctypes.get_errno(), "syncfs failed on the evidence store")
            finally:
                os.close(fd)
            return
        for directory in dirs:
            fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


class S3Backend:
    """Objects in an S3 bucket (AWS, MinIO, Ceph …) under ``prefix``."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.description = f"s3://{bucket}/{self.prefix}"

    def _key(self, name: str) -> str:
        if not name or "/" in name:
            raise ValueError("invalid object name")
        return f"{self.prefix}{name[:2]}/{name}"

    def put_new(self, name: str, data: bytes) -> bool:
        from botocore.exceptions import ClientError

        try:
            # A conditional write: refused if the key exists (write-once).
            self.client.put_object(
                Bucket=self.bucket, Key=self._key(name), Body=data, IfNoneMatch="*"
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in ("PreconditionFailed", "ConditionalRequestConflict"):
                return False
            if code != "NotImplemented":
                raise
            # Stores without conditional writes: the same name always holds
            # the same bytes, so check-then-write is safe.
            if self.exists(name):
                return False
            self.client.put_object(Bucket=self.bucket, Key=self._key(name), Body=data)
        return True

    def get(self, name: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(name))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise BlobMissing(name) from None
            raise
        body: bytes = response["Body"].read()
        return body

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(name))

    def exists(self, name: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(name))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return False
            raise
        return True

    def names_older_than(self, cutoff: datetime) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                modified: datetime = item["LastModified"]
                if modified.astimezone(UTC) < cutoff:
                    yield str(item["Key"]).rsplit("/", 1)[-1]

    def flush(self) -> None:
        """S3 acknowledges a PUT once it is durable: nothing to do."""


def open_backend(
    url: str,
    *,
    fsync: bool = True,
    s3_endpoint_url: str | None = None,
    s3_region: str | None = None,
) -> BlobBackend:
    """The back-end for ``file:///path`` or ``s3://bucket/prefix``."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError("a file:// evidence URL names a local path: file:///path")
        return FileBackend(Path(unquote(parts.path)), fsync=fsync)
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ValueError("an s3:// evidence URL names a bucket: s3://bucket/prefix")
        import boto3

        client = boto3.client("s3", endpoint_url=s3_endpoint_url, region_name=s3_region)
        return S3Backend(client, parts.netloc, parts.path)
    raise ValueError(f"unsupported evidence URL scheme {parts.scheme!r} (file:// or s3://)")
