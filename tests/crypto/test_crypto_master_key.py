"""The master key: generated, parsed, stored 0600, refused when exposed."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from platekeeper.crypto import DecryptionFailed
from platekeeper.crypto.master import (
    MasterKey,
    MasterKeyError,
    load_keyring,
    read_key_file,
    write_key_file,
)


def test_key_file_is_created_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "master.key"
    key = MasterKey.generate()
    write_key_file(path, key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert read_key_file(path).fingerprint == key.fingerprint


def test_key_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    first = MasterKey.generate()
    write_key_file(path, first)
    with pytest.raises(MasterKeyError, match="refusing to overwrite"):
        write_key_file(path, MasterKey.generate())
    assert read_key_file(path).fingerprint == first.fingerprint


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660])
def test_exposed_key_file_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "master.key"
    write_key_file(path, MasterKey.generate())
    os.chmod(path, mode)
    with pytest.raises(MasterKeyError, match="chmod 600"):
        read_key_file(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not base64!!", "not valid base64"),
        (base64.b64encode(b"short").decode(), "32 bytes"),
        (base64.b64encode(bytes(64)).decode(), "32 bytes"),
    ],
)
def test_malformed_keys(text: str, message: str) -> None:
    with pytest.raises(MasterKeyError, match=message):
        MasterKey.parse(text)


def test_parse_accepts_standard_and_url_safe_base64() -> None:
    raw = bytes(range(32))
    standard = base64.b64encode(raw).decode()
    url_safe = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    assert MasterKey.parse(standard).fingerprint == MasterKey.parse(url_safe).fingerprint
    assert MasterKey.parse(f"  {standard}\n").fingerprint == MasterKey(raw).fingerprint


def test_repr_and_errors_never_show_the_key() -> None:
    key = MasterKey(bytes(range(32)))
    assert key.encode() not in repr(key)
    with pytest.raises(MasterKeyError) as caught:
        load_keyring("A" * 10, Path("/nonexistent"))
    assert "A" * 10 not in str(caught.value)


def test_environment_wins_over_file(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    write_key_file(path, MasterKey.generate())
    env_key = MasterKey.generate()
    keyring = load_keyring(env_key.encode(), path)
    assert keyring.source == "environment"
    assert keyring.current.fingerprint == env_key.fingerprint


def test_missing_key_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(MasterKeyError, match="platekeeper init"):
        load_keyring(None, tmp_path / "master.key")


def test_wrap_binds_the_context() -> None:
    key = MasterKey.generate()
    wrapped = key.wrap(b"k" * 32, b"slot-1")
    assert key.unwrap(wrapped, b"slot-1") == b"k" * 32
    with pytest.raises(DecryptionFailed):
        key.unwrap(wrapped, b"slot-2")
    with pytest.raises(DecryptionFailed):
        MasterKey.generate().unwrap(wrapped, b"slot-1")


def test_settings_take_the_key_from_env_or_secrets_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from platekeeper.config import ConfigError, load_settings

    key = MasterKey.generate().encode()
    monkeypatch.setenv("PLATEKEEPER_MASTER_KEY", key)
    settings = load_settings(None)
    assert settings.master_key is not None
    assert settings.master_key.get_secret_value() == key
    assert key not in repr(settings)
    monkeypatch.delenv("PLATEKEEPER_MASTER_KEY")

    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "platekeeper_master_key").write_text(key)
    monkeypatch.setenv("PLATEKEEPER_SECRETS_DIR", str(secrets))
    settings = load_settings(None)
    assert settings.master_key is not None
    assert settings.master_key.get_secret_value() == key

    config = tmp_path / "platekeeper.yaml"
    config.write_text(f"master_key: {key}\n")
    with pytest.raises(ConfigError, match="secret"):
        load_settings(config)
