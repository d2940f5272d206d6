"""Administrative commands write the audit log, and fail closed without it.

Each command runs through the real ``platekeeper`` CLI against an initialised
installation; the entries are read back from the database and the whole log
is checked with ``audit verify`` at the end.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from platekeeper.audit import models as _audit_models  # noqa: F401 (registers the tables)
from platekeeper.audit.log import AuditLog
from platekeeper.audit.transaction import audited_write, same_database
from platekeeper.cli import app as cli_app
from platekeeper.store.base import Base
from platekeeper.store.engine import Database


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.delenv("PLATEKEEPER_MASTER_KEY", raising=False)
    values = {
        "PLATEKEEPER_DATA_DIR": str(tmp_path / "data"),
        "PLATEKEEPER_SECRETS_DIR": str(tmp_path / "secrets"),
        "PLATEKEEPER_AUTH__ARGON2_TIME_COST": "1",
        "PLATEKEEPER_AUTH__ARGON2_MEMORY_KIB": "8192",
        "PLATEKEEPER_AUTH__ARGON2_PARALLELISM": "1",
    }
    done = CliRunner().invoke(cli_app, ["init"], env=values)
    assert done.exit_code == 0, done.output
    return values


def cli(env: dict[str, str], *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli_app, list(args), env=env)
    assert result.exit_code == code, result.output
    return result.output


Entry = tuple[str, str, str | None, str | None, dict[str, object]]


def entries(env: dict[str, str]) -> list[Entry]:
    """(action, outcome, actor, target, details) of every entry, oldest first."""
    with sqlite3.connect(Path(env["PLATEKEEPER_DATA_DIR"]) / "platekeeper.db") as conn:
        rows = conn.execute(
            "SELECT action, outcome, actor, target, details FROM audit_log ORDER BY seq"
        ).fetchall()
    return [(a, o, actor, target, json.loads(d)) for a, o, actor, target, d in rows]


def new_entries(env: dict[str, str], before: int) -> list[Entry]:
    return entries(env)[before:]


def add_camera(env: dict[str, str], code: str = "TAS-AMIR-01") -> str:
    out = cli(
        env, "camera", "add", code, "--name", "Amir Temur 1", "--bank", "TAS-B1",
        "--agency", "tashkent", "--region", "Tashkent", "--lat", "41.311", "--lon", "69.279",
    )  # fmt: skip
    return out.split("key id: ")[1].split()[0]


def test_camera_commands_are_audited_with_who_ran_them(env: dict[str, str]) -> None:
    start = len(entries(env))
    assert entries(env)[0][:3] == ("user.create", "ok", "init")

    key_id = add_camera(env)
    ((action, outcome, actor, target, details),) = new_entries(env, start)
    assert (action, outcome, target) == ("camera.add", "ok", "camera:TAS-AMIR-01")
    assert actor is not None
    assert actor.startswith("cli:")
    assert details["key_id"] == key_id
    assert details["region"] == "Tashkent"

    second = cli(env, "camera", "key", "TAS-AMIR-01").split("key id: ")[1].split()[0]
    cli(env, "camera", "revoke", key_id)
    cli(env, "camera", "revoke", key_id)  # again: nothing changes, nothing to record
    cli(env, "camera", "disable", "TAS-AMIR-01")
    cli(env, "camera", "enable", "TAS-AMIR-01")
    later = new_entries(env, start + 1)
    assert [(e[0], e[3], e[4].get("key_id")) for e in later] == [
        ("camera.key.issue", "camera:TAS-AMIR-01", second),
        ("camera.key.revoke", "camera:TAS-AMIR-01", key_id),
        ("camera.disable", "camera:TAS-AMIR-01", None),
        ("camera.enable", "camera:TAS-AMIR-01", None),
    ]
    assert "verified" in cli(env, "audit", "verify")


def test_refused_camera_commands_change_and_record_nothing(env: dict[str, str]) -> None:
    add_camera(env)
    start = len(entries(env))
    out = cli(
        env, "camera", "add", "TAS-AMIR-01", "--name", "again", "--bank", "B", "--agency", "a",
        "--region", "r", "--lat", "1", "--lon", "2", code=2,
    )  # fmt: skip
    assert "exists already" in out
    assert "latitude" in cli(
        env, "camera", "add", "X-1", "--name", "n", "--bank", "B", "--agency", "a",
        "--region", "r", "--lat", "91", "--lon", "2", code=2,
    )  # fmt: skip
    assert "No such camera" in cli(env, "camera", "key", "NOPE", code=2)
    assert "No such camera key" in cli(env, "camera", "revoke", "ck_nope", code=2)
    assert new_entries(env, start) == []
    assert "X-1" not in cli(env, "camera", "keys")


def test_without_the_audit_log_a_camera_change_does_not_happen(env: dict[str, str]) -> None:
    db = Path(env["PLATEKEEPER_DATA_DIR"]) / "platekeeper.db"
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE TRIGGER audit_refused BEFORE INSERT ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END"
        )
    out = cli(
        env, "camera", "add", "TAS-AMIR-01", "--name", "n", "--bank", "B", "--agency", "a",
        "--region", "r", "--lat", "1", "--lon", "2", code=2,
    )  # fmt: skip
    assert "nothing was changed" in out
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM cameras").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM camera_keys").fetchone() == (0,)

    # A long job does not start when its first entry cannot be written.
    master = Path(env["PLATEKEEPER_DATA_DIR"]) / "keys" / "master.key"
    before = master.read_bytes()
    refused = cli(env, "keys", "rotate", code=2)
    assert "so nothing was done" in refused
    assert master.read_bytes() == before


def test_jobs_record_their_start_and_outcome(env: dict[str, str], tmp_path: Path) -> None:
    start = len(entries(env))
    cli(env, "keys", "rotate")
    cli(env, "retention", "run", "--dry-run")  # changes nothing: not recorded
    cli(env, "retention", "run")
    cli(env, "camera", "provision-network", "--keys-out", str(tmp_path / "sim-keys.json"))
    jobs = new_entries(env, start)
    assert [(e[0], e[1]) for e in jobs] == [
        ("keys.rotate", "started"),
        ("keys.rotate", "ok"),
        ("retention.run", "started"),
        ("retention.run", "ok"),
        ("camera.provision_network", "started"),
        ("camera.provision_network", "ok"),
    ]
    assert isinstance(jobs[1][4]["rewrapped"], int)
    assert jobs[1][4]["old_key"] != jobs[1][4]["new_key"]
    assert "reads_deleted" in jobs[3][4]
    provisioned = jobs[5][4]
    assert isinstance(provisioned["cameras"], int)
    assert provisioned["cameras"] > 10
    assert provisioned["added"] == provisioned["cameras"]
    assert all(e[2] is not None and e[2].startswith("cli:") for e in jobs)
    assert "verified" in cli(env, "audit", "verify")


def test_a_refused_job_records_its_failure(env: dict[str, str], tmp_path: Path) -> None:
    start = len(entries(env))
    (tmp_path / "a-file").write_text("")
    unwritable = tmp_path / "a-file" / "keys.json"
    out = cli(env, "camera", "provision-network", "--keys-out", str(unwritable), code=2)
    assert "cannot write" in out
    assert [(e[0], e[1]) for e in new_entries(env, start)] == [
        ("camera.provision_network", "started"),
        ("camera.provision_network", "failed"),
    ]


def test_users_create_admin_is_audited_as_the_command_line(tmp_path: Path) -> None:
    env = {"PLATEKEEPER_DATA_DIR": str(tmp_path / "data"), "PLATEKEEPER_SECRETS_DIR": str(tmp_path)}
    cli(env, "users", "create-admin", "--username", "root")
    ((action, outcome, actor, _target, details),) = entries(env)
    assert (action, outcome, details["username"], details["first_admin"]) == (
        "user.create",
        "ok",
        "root",
        True,
    )
    assert actor is not None
    assert actor.startswith("cli:")


# -- the transaction that holds a change and its entry -------------------------


def make_db(path: Path) -> Database:
    db = Database.from_url(f"sqlite:///{path}")
    Base.metadata.create_all(db.engine)
    with db.write() as s:
        s.execute(text("CREATE TABLE IF NOT EXISTS things (name TEXT)"))
    return db


@pytest.mark.parametrize("shared", [True, False])
def test_a_failed_audit_write_rolls_the_change_back(tmp_path: Path, shared: bool) -> None:
    store = make_db(tmp_path / "store.db")
    audit_db = make_db(tmp_path / ("store.db" if shared else "audit.db"))
    assert same_database(store, audit_db) is shared
    log = AuditLog()
    with audited_write(store, audit_db) as (s, a):
        s.execute(text("INSERT INTO things VALUES ('kept')"))
        log.record(a, "thing.add", actor="test")

    with audit_db.write() as a:
        a.execute(
            text(
                "CREATE TRIGGER audit_refused BEFORE INSERT ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END"
            )
        )

    def add_lost() -> None:
        with audited_write(store, audit_db) as (s, a):
            s.execute(text("INSERT INTO things VALUES ('lost')"))
            log.record(a, "thing.add", actor="test")

    with pytest.raises(IntegrityError, match="audit log unavailable"):
        add_lost()
    with store.read() as s:
        assert s.execute(text("SELECT name FROM things")).scalars().all() == ["kept"]
    with audit_db.read() as a:
        assert a.execute(text("SELECT count(*) FROM audit_log")).scalar() == 1
    store.dispose()
    audit_db.dispose()
