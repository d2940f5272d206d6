"""``platekeeper hotlist`` and ``platekeeper registry import`` on an
initialised installation: checked input, nothing changed on refusal,
audited, and no plate printed or logged unless asked for."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from platekeeper.audit.models import AuditEntry
from platekeeper.cli import app
from platekeeper.config import load_settings
from platekeeper.store.engine import Database
from platekeeper.store.facade import Store, StoreConfig, open_store

PLATE = "01A123BC"
GOOD = "plate,status,country,vehicle_class,registered_until\n01A123BC,stolen,UZ,car,\n"
BAD = GOOD + "10B777QQ,towed,UZ,car,\n40Z555ZZ,registered,UZ,car,2026-13-01\n"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("PLATEKEEPER_DATA_DIR", str(data))
    monkeypatch.delenv("PLATEKEEPER_MASTER_KEY", raising=False)
    code, output = invoke("init")
    assert code == 0, output
    return data


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    opened = open_store(StoreConfig.from_settings(load_settings(None)))
    yield opened
    opened.close()


def invoke(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), input=stdin)
    return result.exit_code, result.output


def audit(data_dir: Path) -> list[AuditEntry]:
    db = Database.from_url(f"sqlite:///{data_dir / 'platekeeper.db'}")
    try:
        with db.read() as s:
            return list(s.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
    finally:
        db.dispose()


def test_registry_import_is_all_or_nothing(
    data_dir: Path, store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD, encoding="utf-8")
    code, output = invoke("registry", "import", str(bad))
    assert code == 1
    assert "line 3: unknown status" in output
    assert "line 4: registered_until" in output
    assert "nothing was imported" in output
    assert "10B777QQ" not in output
    assert store.registry.lookup(PLATE) == []

    broken = tmp_path / "broken.csv"
    broken.write_text("plate;status\n01A123BC;stolen\n", encoding="utf-8")
    code, output = invoke("registry", "import", str(broken))
    assert (code, "unknown column" in output) == (1, True)
    code, output = invoke("registry", "import", str(tmp_path / "absent.csv"))
    assert (code, "cannot read absent.csv" in output) == (2, True)

    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8")
    code, output = invoke("registry", "import", str(good), "--dry-run")
    assert (code, store.registry.lookup(PLATE)) == (0, [])
    code, output = invoke("registry", "import", str(good))
    assert code == 0, output
    assert "1 lines: 1 imported" in output
    (vehicle,) = store.registry.lookup(PLATE)
    assert vehicle.status.value == "stolen"

    imports = [(e.action, e.outcome) for e in audit(data_dir) if e.action.startswith("registry")]
    assert imports == [
        ("registry.import", "refused"),
        ("registry.import", "refused"),
        ("registry.check", "ok"),
        ("registry.import", "ok"),
    ]
    assert all(
        PLATE not in r.getMessage() and "10B777QQ" not in r.getMessage() for r in caplog.records
    )


def test_hotlist_add_list_remove(
    data_dir: Path, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    code, output = invoke("hotlist", "add", "stolen", PLATE)
    assert (code, "No hotlist named 'stolen'" in output) == (2, True)
    code, output = invoke(
        "hotlist", "add", "stolen", "01 a 123 bc", "--create", "--priority", "8", "--days", "30"
    )
    assert code == 0, output
    assert "created hotlist stolen" in output
    assert "added entry" in output
    assert "(plate) to stolen, until" in output
    assert PLATE not in output
    code, output = invoke("hotlist", "add", "stolen", "-", "--reason", "robbery", stdin="40Z*\n")
    assert code == 0, output
    assert "(pattern)" in output

    for refused in (
        ("hotlist", "add", "stolen", "*"),
        ("hotlist", "add", "stolen", "01A123BC!"),
        ("hotlist", "add", "stolen", PLATE, "--expires", "2030-01-01T00:00"),
        ("hotlist", "add", "stolen", PLATE, "--expires", "2001-01-01T00:00Z"),
        ("hotlist", "add", "stolen", PLATE, "--days", "5", "--expires", "2030-01-01T00:00Z"),
    ):
        code, output = invoke(*refused)
        assert code == 2, (refused, output)
        assert "error:" in output
    (info,) = store.hotlists.lists()
    assert len(store.hotlists.entries(info.id)) == 2  # nothing was added by those

    code, output = invoke("hotlist", "list")
    assert code == 0
    assert "stolen\tpriority 8\t2 entries" in output
    assert PLATE not in output
    code, output = invoke("hotlist", "list", "stolen")
    assert code == 0
    lines = output.strip().splitlines()
    assert [line.split("\t")[1] for line in lines] == [PLATE, "40Z*"]
    assert lines[1].endswith("robbery")

    entry_id = lines[0].split("\t")[0]
    code, output = invoke("hotlist", "remove", entry_id)
    assert (code, output.strip()) == (0, f"removed entry {entry_id} from stolen")
    code, output = invoke("hotlist", "remove", entry_id)
    assert (code, "No such hotlist entry" in output) == (2, True)
    assert [e.pattern for e in store.hotlists.entries(info.id)] == ["40Z*"]

    rows = [e for e in audit(data_dir) if e.action.startswith("hotlist")]
    assert [e.action for e in rows] == [
        "hotlist.create",
        "hotlist.add",
        "hotlist.add",
        "hotlist.view",
        "hotlist.remove",
    ]
    assert all((e.actor or "").startswith("cli:") for e in rows)
    assert all(PLATE not in e.details for e in rows)
    assert all(PLATE not in r.getMessage() for r in caplog.records)
