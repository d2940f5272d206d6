"""The store's commands: init, migrate, keys rotate, retention run."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from platekeeper.cli import app
from platekeeper.config import load_settings
from platekeeper.crypto.master import MasterKey, read_key_file, write_key_file
from platekeeper.store.facade import StoreConfig, open_store
from platekeeper.store.migrate import head_revision
from platekeeper.store.records import CameraSpec, NewRead


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("PLATEKEEPER_DATA_DIR", str(data))
    monkeypatch.delenv("PLATEKEEPER_MASTER_KEY", raising=False)
    return data


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_init_creates_everything_and_says_so(data_dir: Path) -> None:
    code, output = invoke("init")
    assert code == 0, output
    key_file = data_dir / "keys" / "master.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((data_dir / "platekeeper.db").stat().st_mode) == 0o600
    assert (data_dir / "keys" / "signing.pub").read_bytes().startswith(b"-----BEGIN PUBLIC KEY")
    fingerprint = read_key_file(key_file).fingerprint_hex
    for expected in (
        "data directory: created",
        f"fingerprint {fingerprint}",
        f"revision {head_revision()}",
        "key vault:",
        "initialised",
    ):
        assert expected in output
    assert read_key_file(key_file).encode() not in output


def test_init_refuses_to_overwrite_a_key(data_dir: Path) -> None:
    invoke("init")
    key_file = data_dir / "keys" / "master.key"
    before = key_file.read_bytes()
    code, output = invoke("init")
    assert code == 2
    assert "refusing to overwrite" in output
    assert key_file.read_bytes() == before


def test_init_refuses_a_new_key_for_an_existing_vault(data_dir: Path) -> None:
    invoke("init")
    (data_dir / "keys" / "master.key").unlink()  # the key is lost, the vault is not
    code, output = invoke("init")
    assert code == 2
    assert "restore the master key" in output
    assert not (data_dir / "keys" / "master.key").exists()


def test_init_with_a_key_from_the_environment(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLATEKEEPER_MASTER_KEY", MasterKey.generate().encode())
    code, output = invoke("init")
    assert code == 0, output
    assert "taken from PLATEKEEPER_MASTER_KEY" in output
    assert not (data_dir / "keys" / "master.key").exists()


def test_init_against_postgresql(
    data_dir: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uuid

    from sqlalchemy import text

    from platekeeper.store.engine import make_engine

    schema = f"cli_{uuid.uuid4().hex[:10]}"
    admin = make_engine(postgres_url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        monkeypatch.setenv(
            "PLATEKEEPER_STORE__DATABASE_URL", f"{postgres_url}?options=-csearch_path%3D{schema}"
        )
        code, output = invoke("init")
        assert code == 0, output
        assert "postgresql+psycopg://postgres@127.0.0.1" in output
        code, output = invoke("migrate")
        assert f"up to date (revision {head_revision()})" in output
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def test_password_in_database_url_is_refused(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLATEKEEPER_STORE__DATABASE_URL", "postgresql+psycopg://u:hunter2@db/pk")
    code, output = invoke("migrate")
    assert code == 2
    assert "may not contain a password" in output
    assert "hunter2" not in output


def test_migrate_is_idempotent(data_dir: Path) -> None:
    code, output = invoke("migrate")
    assert code == 0, output
    assert f"migrated from empty to revision {head_revision()}" in output
    code, output = invoke("migrate")
    assert "up to date" in output


def _store_with_a_read(now: datetime) -> tuple[StoreConfig, int]:
    config = StoreConfig.from_settings(load_settings(None))
    store = open_store(config, clock=lambda: now)
    try:
        store.cameras.add(CameraSpec("CAM-1", "c", "b", "agency", "region", 41.0, 69.0))
        (read_id,) = store.reads.ingest([NewRead("CAM-1", now, "01A123BC", 0.9)])
    finally:
        store.close()
    return config, read_id


def test_keys_rotate_keeps_data_readable(data_dir: Path) -> None:
    invoke("init")
    now = datetime.now(UTC)
    config, read_id = _store_with_a_read(now)
    old = read_key_file(data_dir / "keys" / "master.key").fingerprint_hex
    code, output = invoke("keys", "rotate")
    assert code == 0, output
    new = read_key_file(data_dir / "keys" / "master.key").fingerprint_hex
    assert f"{old} -> {new}" in output
    assert "5 key(s) re-wrapped" in output  # 3 system keys, the read's data and index keys
    store = open_store(config)
    try:
        stored = store.reads.get(read_id)
        assert stored is not None
        assert stored.plate == "01A123BC"
    finally:
        store.close()


def test_keys_rotate_with_env_key_needs_the_new_key(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLATEKEEPER_MASTER_KEY", MasterKey.generate().encode())
    invoke("init")
    code, output = invoke("keys", "rotate")
    assert code == 2
    assert "--new-key-file" in output
    new_key = MasterKey.generate()
    write_key_file(tmp_path / "new.key", new_key)
    code, output = invoke("keys", "rotate", "--new-key-file", str(tmp_path / "new.key"))
    assert code == 0, output
    assert "now replace PLATEKEEPER_MASTER_KEY" in output


def test_retention_run(data_dir: Path) -> None:
    invoke("init")
    config, read_id = _store_with_a_read(datetime.now(UTC) - timedelta(days=29, hours=23))
    code, output = invoke("retention", "run", "--dry-run")
    assert code == 0, output
    assert "keys would destroy: none" in output
    # Nothing is expired yet: the read is kept.
    code, output = invoke("retention", "run")
    assert code == 0, output
    assert "reads deleted: 0" in output
    store = open_store(config)
    try:
        assert store.reads.get(read_id) is not None
    finally:
        store.close()


def test_commands_on_an_uninitialised_directory(data_dir: Path) -> None:
    code, output = invoke("retention", "run")
    assert code == 2
    assert "platekeeper init" in output
    code, output = invoke("keys", "rotate")
    assert code == 2
    assert "platekeeper init" in output
