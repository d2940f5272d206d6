"""The key vault and master-key rotation (re-wrapping only, crash-safe)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from platekeeper.crypto import KeyUnavailable
from platekeeper.crypto.master import (
    MasterKey,
    MasterKeyError,
    load_keyring,
    read_key_file,
    write_key_file,
)
from platekeeper.crypto.rotation import rotate_master_key
from platekeeper.crypto.vault import KeyVault


def open_vault(tmp_path: Path, env_key: str | None = None) -> KeyVault:
    keyring = load_keyring(env_key, tmp_path / "keys" / "master.key")
    return KeyVault.open(f"sqlite:///{tmp_path}/keys/vault.db", keyring)


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "keys" / "master.key"
    write_key_file(path, MasterKey.generate())
    return path


def test_vault_stores_and_destroys(tmp_path: Path, key_file: Path) -> None:
    vault = open_vault(tmp_path)
    handle, material = vault.new_key()
    assert vault.get(handle) == material
    assert stat.S_IMODE((tmp_path / "keys" / "vault.db").stat().st_mode) == 0o600
    assert vault.destroy([handle]) == 1
    with pytest.raises(KeyUnavailable):
        vault.get(handle)
    # secure_delete: the destroyed material is not left in the file.
    vault.dispose()
    assert material not in (tmp_path / "keys" / "vault.db").read_bytes()


def test_vault_holds_no_plain_key(tmp_path: Path, key_file: Path) -> None:
    vault = open_vault(tmp_path)
    _handle, material = vault.new_key()
    signing = vault.system_key("signing-ed25519")
    vault.dispose()
    content = (tmp_path / "keys" / "vault.db").read_bytes()
    assert material not in content
    assert signing not in content


def test_system_keys_are_stable(tmp_path: Path, key_file: Path) -> None:
    vault = open_vault(tmp_path)
    first = vault.system_key("blob-address")
    assert open_vault(tmp_path).system_key("blob-address") == first


def test_another_master_key_cannot_open_the_vault(tmp_path: Path, key_file: Path) -> None:
    vault = open_vault(tmp_path)
    handle, _ = vault.new_key()
    stranger = open_vault(tmp_path, env_key=MasterKey.generate().encode())
    with pytest.raises(MasterKeyError, match="wrapped by master key"):
        stranger.get(handle)


def test_rotation_rewraps_and_destroys_the_old_key(tmp_path: Path, key_file: Path) -> None:
    vault = open_vault(tmp_path)
    handles = {vault.new_key() for _ in range(5)}
    signing = vault.system_key("signing-ed25519")
    old = read_key_file(key_file)

    report = rotate_master_key(vault, key_file)

    assert report.rewrapped == 6  # five data keys and the signing key
    new = read_key_file(key_file)
    assert new.fingerprint != old.fingerprint
    assert report.new_fingerprint == new.fingerprint_hex
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert sorted(p.name for p in key_file.parent.iterdir()) == ["master.key", "vault.db"]
    reopened = open_vault(tmp_path)
    for handle, material in handles:
        assert reopened.get(handle) == material
    assert reopened.system_key("signing-ed25519") == signing
    assert reopened.master_ids() == {new.fingerprint}
    with pytest.raises(MasterKeyError):
        open_vault(tmp_path, env_key=old.encode()).get(next(iter(handles))[0])


def test_rotation_interrupted_after_rewrap_is_finished(tmp_path: Path, key_file: Path) -> None:
    vault = open_vault(tmp_path)
    handle, material = vault.new_key()
    # Crash between step 2 and 3: the vault is re-wrapped under the new key,
    # which is still only in master.key.next.
    pending = MasterKey.generate()
    write_key_file(key_file.with_name("master.key.next"), pending)
    open_vault(tmp_path).rewrap(pending)

    restarted = open_vault(tmp_path)  # loads both keys: still works
    assert restarted.get(handle) == material
    report = rotate_master_key(restarted, key_file)
    assert report.resumed
    assert read_key_file(key_file).fingerprint == pending.fingerprint
    assert not key_file.with_name("master.key.next").exists()
    assert open_vault(tmp_path).get(handle) == material


def test_rotation_with_environment_key(tmp_path: Path) -> None:
    old = MasterKey.generate()
    vault = open_vault(tmp_path, env_key=old.encode())
    handle, material = vault.new_key()
    with pytest.raises(MasterKeyError, match="new key"):
        rotate_master_key(vault, tmp_path / "keys" / "master.key")
    new = MasterKey.generate()
    report = rotate_master_key(vault, tmp_path / "keys" / "master.key", new)
    assert report.key_file is None
    assert open_vault(tmp_path, env_key=new.encode()).get(handle) == material
    assert not os.path.exists(tmp_path / "keys" / "master.key")


def test_vault_on_postgresql(tmp_path: Path, key_file: Path, postgres_url: str) -> None:
    """The scale-out vault: its own PostgreSQL database (here: a schema)."""
    import uuid

    from sqlalchemy import create_engine, text

    schema = f"vault_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        keyring = load_keyring(None, key_file)
        url = f"{postgres_url}?options=-csearch_path%3D{schema}"
        vault = KeyVault.open(url, keyring)
        handle, material = vault.new_key()
        report = rotate_master_key(vault, key_file)
        assert report.rewrapped == 1
        reopened = KeyVault.open(url, load_keyring(None, key_file))
        assert reopened.get(handle) == material
        reopened.dispose()
        vault.destroy([handle])
        with pytest.raises(KeyUnavailable):
            vault.get(handle)
        vault.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
