"""Camera keys and signed requests, on SQLite and PostgreSQL: a good request
passes once; unsigned, badly signed, tampered, stale, replayed and revoked
ones are refused with the right status; secrets never rest in the clear."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from sqlalchemy import select
from store_testkit import StoreEnv
from typer.testing import CliRunner

from platekeeper.cli import app
from platekeeper.crypto import DecryptionFailed
from platekeeper.ingest.camera_keys import CameraKeys
from platekeeper.ingest.signing import (
    KEY_ID_HEADER,
    NONCE_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureError,
    sign,
)
from platekeeper.store.errors import InvalidInput
from platekeeper.store.facade import Store
from platekeeper.store.models import CameraKey

PATH = "/api/v1/ingest/reads"
BODY = b'{"reads": [{"idempotency_key": "a1", "plate": "01A123BC"}]}'


@pytest.fixture
def keys(env: StoreEnv, store: Store, cameras: dict[str, int]) -> CameraKeys:
    return CameraKeys(store.db, store.vault, window=300, clock=env.clock)


def signed(keys: CameraKeys, env: StoreEnv, body: bytes = BODY, **kw: str) -> dict[str, str]:
    issued = keys.issue("TAS-001")
    return sign(issued.key_id, issued.secret, "POST", PATH, body, now=env.clock().timestamp(), **kw)


def refused(keys: CameraKeys, headers: dict[str, str], body: bytes = BODY) -> SignatureError:
    with pytest.raises(SignatureError) as caught:
        keys.verify(headers, "POST", PATH, body)
    return caught.value


def test_a_signed_request_passes_once(keys: CameraKeys, env: StoreEnv) -> None:
    headers = signed(keys, env)
    who = keys.verify(headers, "POST", PATH, BODY)
    assert who.camera_code == "TAS-001"
    assert who.key_id == headers[KEY_ID_HEADER]
    replay = refused(keys, headers)
    assert replay.status == 401
    assert "replay" in replay.reason


def test_missing_and_malformed_headers(keys: CameraKeys, env: StoreEnv) -> None:
    headers = signed(keys, env)
    for name in (KEY_ID_HEADER, TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER):
        partial = {k: v for k, v in headers.items() if k != name}
        assert name in refused(keys, partial).reason
    assert refused(keys, {**headers, TIMESTAMP_HEADER: "-5"}).status == 401
    assert refused(keys, {**headers, NONCE_HEADER: "short"}).status == 401
    assert refused(keys, {**headers, SIGNATURE_HEADER: "AB" * 32}).status == 401
    # Header names are case-insensitive, as in HTTP.
    lowered = {k.lower(): v for k, v in headers.items()}
    assert keys.verify(lowered, "POST", PATH, BODY).camera_code == "TAS-001"


def test_tampering_with_any_signed_part_is_refused(keys: CameraKeys, env: StoreEnv) -> None:
    headers = signed(keys, env)
    assert refused(keys, headers, body=BODY.replace(b"01A", b"01B")).reason == "bad signature"
    with pytest.raises(SignatureError, match="bad signature"):
        keys.verify(headers, "PUT", PATH, BODY)
    with pytest.raises(SignatureError, match="bad signature"):
        keys.verify(headers, "POST", "/api/v1/ingest/frames", BODY)
    forged = {**headers, SIGNATURE_HEADER: "0" * 64}
    assert refused(keys, forged).reason == "bad signature"
    other = keys.issue("TAS-002")
    swapped = {**headers, KEY_ID_HEADER: other.key_id}
    assert refused(keys, swapped).reason == "bad signature"
    unknown = {**headers, KEY_ID_HEADER: "ck_" + "0" * 20}
    assert refused(keys, unknown).reason == "unknown camera key"
    # None of the refused attempts used up the nonce: the genuine request still passes.
    assert keys.verify(headers, "POST", PATH, BODY).camera_code == "TAS-001"


def test_stale_and_future_requests_are_refused(keys: CameraKeys, env: StoreEnv) -> None:
    headers = signed(keys, env)
    env.clock.advance(seconds=301)
    assert "window" in refused(keys, headers).reason
    ahead = signed(keys, env)
    env.clock.advance(seconds=-602)
    assert "window" in refused(keys, ahead).reason


def test_revoked_key_and_disabled_camera_answer_403(
    keys: CameraKeys, env: StoreEnv, store: Store
) -> None:
    headers = signed(keys, env)
    keys.revoke(headers[KEY_ID_HEADER])
    denied = refused(keys, headers)
    assert denied.status == 403
    assert "revoked" in denied.reason
    # A bad signature on a revoked key still says only "bad signature".
    assert refused(keys, {**headers, SIGNATURE_HEADER: "1" * 64}).status == 401
    with pytest.raises(InvalidInput):
        keys.revoke("ck_" + "f" * 20)
    with pytest.raises(InvalidInput):
        keys.issue("NO-SUCH-CAMERA")


def test_secrets_are_sealed_and_bound_to_their_key_id(
    keys: CameraKeys, env: StoreEnv, store: Store
) -> None:
    first, second = keys.issue("TAS-001"), keys.issue("TAS-001")
    with store.db.read() as s:
        rows = {r.key_id: r.sealed_secret for r in s.scalars(select(CameraKey))}
    for issued in (first, second):
        assert issued.secret not in rows[issued.key_id]
        assert base64.urlsafe_b64encode(issued.secret).rstrip(b"=") not in rows[issued.key_id]
        assert issued.secret.hex().encode() not in rows[issued.key_id]
    assert "secret" not in repr(first)
    assert first.secret.hex() not in repr(first)
    # Swap the sealed secrets between the two rows: neither key works any more.
    with store.db.write() as s:
        a, b = s.get(CameraKey, first.key_id), s.get(CameraKey, second.key_id)
        assert a is not None
        assert b is not None
        a.sealed_secret, b.sealed_secret = rows[second.key_id], rows[first.key_id]
    headers = sign(first.key_id, first.secret, "POST", PATH, BODY, now=env.clock().timestamp())
    with pytest.raises(DecryptionFailed):
        keys.verify(headers, "POST", PATH, BODY)


def test_camera_command_shows_the_secret_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLATEKEEPER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PLATEKEEPER_MASTER_KEY", raising=False)
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    args = ["camera", "add", "SAM-01", "--name", "Registan 1", "--bank", "SAM-B1"]
    args += ["--agency", "samarkand", "--region", "Samarkand", "--lat", "39.65", "--lon", "66.97"]
    added = runner.invoke(app, args)
    assert added.exit_code == 0, added.output
    key_id = re.search(r"key id: (ck_\w+)", added.output)
    secret = re.search(r"secret: (\S+)", added.output)
    assert key_id
    assert secret
    listed = runner.invoke(app, ["camera", "keys"])
    assert key_id.group(1) in listed.output
    assert "active" in listed.output
    assert secret.group(1) not in listed.output
    again = runner.invoke(app, args)
    assert again.exit_code != 0
    assert "error" in again.output
    revoked = runner.invoke(app, ["camera", "revoke", key_id.group(1)])
    assert revoked.exit_code == 0
    assert "revoked" in revoked.output
    assert "revoked" in runner.invoke(app, ["camera", "keys", "SAM-01"]).output
    unknown = runner.invoke(app, ["camera", "revoke", "ck_" + "0" * 20])
    assert unknown.exit_code != 0
    for path in (tmp_path / "data").rglob("*"):
        if path.is_file():
            assert secret.group(1).encode() not in path.read_bytes()


def test_old_nonces_are_forgotten_as_requests_come(
    keys: CameraKeys, env: StoreEnv, store: Store
) -> None:
    from platekeeper.store.models import IngestNonce

    def nonces() -> int:
        with store.db.read() as s:
            return len(s.scalars(select(IngestNonce.nonce)).all())

    keys.verify(signed(keys, env), "POST", PATH, BODY)
    keys.verify(signed(keys, env), "POST", PATH, BODY)
    assert nonces() == 2
    env.clock.advance(seconds=700)  # past twice the 300 s window
    keys.verify(signed(keys, env), "POST", PATH, BODY)
    assert nonces() == 1, "the two stale nonces are gone, the new one kept"
