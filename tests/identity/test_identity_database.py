"""Where the commands open the identity and audit tables: the store's database,
its schema made by the store's migrations, on SQLite and PostgreSQL; an
embedded installation's file keeps working, and a database that would lose
the accounts of an earlier layout, or is behind this version, is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer
from identity_helpers import FAST_AUTH, make_database
from sqlalchemy import func, select
from typer.testing import CliRunner

from platekeeper.audit.models import AuditEntry
from platekeeper.audit.transaction import same_database
from platekeeper.auth.bootstrap import create_first_admin
from platekeeper.auth.models import User
from platekeeper.cli import app as cli_app
from platekeeper.commands.webstack import database_path, open_audit_log, open_database
from platekeeper.config import Settings
from platekeeper.store.engine import Database, make_engine
from platekeeper.store.facade import StoreConfig
from platekeeper.store.migrate import current_revision, head_revision, upgrade


def settings_for(data_dir: Path, url: str | None = None) -> Settings:
    store = {"database_url": url} if url else {}
    return Settings(data_dir=data_dir, auth=FAST_AUTH, store=store)


def users_in(db: Database) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(User)) or 0)


def refusal(capsys: pytest.CaptureFixture[str], settings: Settings, **kwargs: bool) -> str:
    with pytest.raises(typer.Exit):
        open_database(settings, **kwargs)
    return capsys.readouterr().err


def test_embedded_default_is_the_stores_file(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    db = open_database(settings)
    try:
        store_db = Database.from_url(StoreConfig.from_settings(settings).database_url)
        assert same_database(db, store_db)
        store_db.dispose()
        assert database_path(settings).exists()
        # Made by the migrations, so `init` afterwards finds nothing to redo.
        assert current_revision(db.engine) == head_revision()
    finally:
        db.dispose()


def test_an_empty_database_is_migrated_and_shared(
    tmp_path: Path, empty_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = settings_for(tmp_path / "data", empty_database_url)
    assert "create the installation first" in refusal(capsys, settings, create=False)
    first = open_database(settings)
    try:
        assert current_revision(first.engine) == head_revision()
        create_first_admin(first, open_audit_log(settings), settings=settings.auth, actor="test")
        second = open_database(settings, create=False)
        assert users_in(second) == 1
        second.dispose()
    finally:
        first.dispose()
    if not empty_database_url.startswith("sqlite"):
        assert not database_path(settings).exists()  # nothing of it in the data directory


def test_a_schema_behind_this_version_is_refused(
    tmp_path: Path, empty_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = make_engine(empty_database_url)
    upgrade(engine, "0004")
    engine.dispose()
    message = refusal(capsys, settings_for(tmp_path / "data", empty_database_url))
    assert "run `platekeeper migrate`" in message
    assert "0004" in message


def test_an_earlier_versions_file_made_before_init_keeps_working(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    legacy = make_database(f"sqlite:///{database_path(settings)}")  # tables, no revision
    create_first_admin(legacy, open_audit_log(settings), settings=settings.auth, actor="test")
    legacy.dispose()
    db = open_database(settings, create=False)
    try:
        assert users_in(db) == 1
    finally:
        db.dispose()


def test_accounts_left_in_the_data_directory_are_not_silently_dropped(
    tmp_path: Path, empty_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # An earlier version kept accounts in data/platekeeper.db beside a store elsewhere.
    embedded = settings_for(tmp_path / "data")
    old = open_database(embedded)
    create_first_admin(old, open_audit_log(embedded), settings=embedded.auth, actor="test")
    old.dispose()
    moved = settings_for(tmp_path / "data", empty_database_url)
    message = refusal(capsys, moved)
    assert "holds 1 with the audit log" in message
    assert "platekeeper users copy-from-data-dir" in message
    assert str(database_path(moved)) in message
    # Once the accounts are in the store's database, the old file is a leftover.
    target = Database.from_url(empty_database_url)  # migrated by the refused opening
    create_first_admin(target, open_audit_log(moved), settings=moved.auth, actor="test")
    target.dispose()
    db = open_database(moved)
    assert users_in(db) == 1
    db.dispose()


def test_accounts_left_behind_are_copied_whole_into_the_stores_database(
    tmp_path: Path, empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PLATEKEEPER_MASTER_KEY", raising=False)
    env = {
        "PLATEKEEPER_DATA_DIR": str(tmp_path / "data"),
        "PLATEKEEPER_SECRETS_DIR": str(tmp_path / "secrets"),
        "PLATEKEEPER_AUTH__ARGON2_TIME_COST": "1",
        "PLATEKEEPER_AUTH__ARGON2_MEMORY_KIB": "8192",
        "PLATEKEEPER_AUTH__ARGON2_PARALLELISM": "1",
    }

    def cli(*args: str, code: int = 0, store: str | None = empty_database_url) -> str:
        extra = {"PLATEKEEPER_STORE__DATABASE_URL": store} if store else {}
        result = CliRunner().invoke(cli_app, list(args), env=env | extra)
        assert result.exit_code == code, result.output
        return result.output

    # The earlier layout: accounts and a signed audit log in data/platekeeper.db.
    cli("init", store=None)
    cli("audit", "checkpoint", store=None)
    assert "copy-from-data-dir" in cli("users", "create-admin", code=2)

    output = cli("users", "copy-from-data-dir")
    assert "users: 1 rows" in output
    assert "audit_checkpoints: 1 rows" in output
    assert "audit log verified" in cli("audit", "verify")
    assert "exists" in cli("users", "create-admin", "--username", "second", code=2)
    assert "already holds users rows" in cli("users", "copy-from-data-dir", code=2)
    # New rows are numbered after the copies (PostgreSQL's sequences moved on).
    db = Database.from_url(empty_database_url)
    try:
        with db.write() as s:
            s.add(
                User(
                    username="next",
                    display_name="Next",
                    role="operator",
                    agency="a",
                    region="r",
                    all_regions=False,
                    password_hash="x",
                    must_change_password=True,
                    failed_logins=0,
                    created_at=datetime.now(UTC),
                )
            )
        with db.read() as s:
            assert s.scalar(select(User.id).where(User.username == "next")) == 2
            actions = list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))
        assert actions[-1] == "users.copy_from_data_dir"
    finally:
        db.dispose()
