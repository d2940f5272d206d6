"""The evidence back-ends behind one interface: a directory, and S3.

S3 is tested against moto's ThreadedMotoServer: a real S3-protocol HTTP
server on loopback, spoken to by boto3 exactly as AWS or MinIO would be.
"""

from __future__ import annotations

import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from store_testkit import START, StoreEnv

from platekeeper.store.evidence.backends import (
    BlobBackend,
    BlobMissing,
    FileBackend,
    S3Backend,
    open_backend,
)
from platekeeper.store.records import NewEvidence, NewRead
from platekeeper.store.types import EvidenceKind

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(
    s3_endpoint: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> str:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    bucket = f"evidence-{abs(hash(request.node.nodeid)) % 10**8}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    return bucket


@pytest.fixture(params=["file", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> BlobBackend:
    if request.param == "file":
        return open_backend(f"file://{tmp_path}/evidence")
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = request.getfixturevalue("s3_bucket")
    return open_backend(f"s3://{bucket}/pk", s3_endpoint_url=endpoint, s3_region="us-east-1")


NAME = "0f" * 32


def test_write_once(backend: BlobBackend) -> None:
    assert backend.put_new(NAME, b"first") is True
    assert backend.put_new(NAME, b"second") is False
    assert backend.get(NAME) == b"first"


def test_missing_and_delete(backend: BlobBackend) -> None:
    with pytest.raises(BlobMissing):
        backend.get(NAME)
    assert not backend.exists(NAME)
    backend.put_new(NAME, b"x")
    assert backend.exists(NAME)
    backend.delete(NAME)
    backend.delete(NAME)  # idempotent
    assert not backend.exists(NAME)


def test_listing_by_age(backend: BlobBackend) -> None:
    backend.put_new(NAME, b"x")
    backend.flush()
    future = datetime.now(UTC) + timedelta(hours=1)
    past = datetime.now(UTC) - timedelta(hours=1)
    assert list(backend.names_older_than(future)) == [NAME]
    assert list(backend.names_older_than(past)) == []


@pytest.mark.parametrize("name", ["", "../x", "a/b", ".hidden"])
def test_names_cannot_escape(backend: BlobBackend, name: str) -> None:
    if isinstance(backend, S3Backend) and name == ".hidden":
        return  # a dot is harmless in an S3 key
    with pytest.raises(ValueError, match="invalid object name"):
        backend.put_new(name, b"x")


def test_files_are_private(tmp_path: Path) -> None:
    backend = FileBackend(tmp_path / "evidence")
    backend.put_new(NAME, b"x")
    path = next(p for p in (tmp_path / "evidence").rglob("*") if p.is_file())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "evidence").stat().st_mode) == 0o700
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("url", ["ftp://x/y", "s3://", "file://remote-host/path"])
def test_bad_urls(url: str) -> None:
    with pytest.raises(ValueError, match="evidence URL"):
        open_backend(url)


@pytest.fixture
def s3_store_env(env: StoreEnv, s3_endpoint: str, s3_bucket: str) -> dict[str, Any]:
    return {
        "evidence_url": f"s3://{s3_bucket}/evidence",
        "s3_endpoint_url": s3_endpoint,
        "s3_region": "us-east-1",
    }


def test_store_with_s3_evidence(
    env: StoreEnv, s3_store_env: dict[str, Any], s3_endpoint: str, s3_bucket: str, crop_jpeg: bytes
) -> None:
    """The whole ingest → read path with evidence in S3; objects are ciphertext."""
    from platekeeper.store.records import CameraSpec

    store = env.open(**s3_store_env)
    store.cameras.add(CameraSpec("S3-CAM", "cam", "bank", "agency", "region", 41.0, 69.0))
    (read_id,) = store.reads.ingest(
        [
            NewRead(
                "S3-CAM",
                START,
                "01A123BC",
                0.9,
                evidence=[NewEvidence(EvidenceKind.CROP, crop_jpeg)],
            )
        ]
    )
    stored = store.reads.get(read_id)
    assert stored is not None
    assert store.reads.evidence_bytes(stored.evidence[0].blob_id)[1] == crop_jpeg
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    objects = client.list_objects_v2(Bucket=s3_bucket)["Contents"]
    assert len(objects) == 1
    body = client.get_object(Bucket=s3_bucket, Key=objects[0]["Key"])["Body"].read()
    assert crop_jpeg[:32] not in body
    assert b"JFIF" not in body
    assert not (env.data_dir / "evidence").exists()
