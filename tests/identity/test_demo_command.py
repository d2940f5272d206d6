"""``platekeeper demo`` (what ``make run`` starts): its preparation is idempotent."""

from __future__ import annotations

from pathlib import Path

from identity_helpers import FAST_AUTH

from platekeeper.commands.demo import prepare
from platekeeper.config import Settings


def test_prepare_initialises_once_and_shows_the_password_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", auth=FAST_AUTH)
    first: list[str] = []
    prepare(settings, first.append)
    key = tmp_path / "data" / "keys" / "master.key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert any(line.startswith("master key: created") for line in first)
    (password_line,) = [line for line in first if line.startswith("one-time password: ")]
    password = password_line.removeprefix("one-time password: ")
    assert len(password) >= 16

    before = key.read_bytes()
    second: list[str] = []
    prepare(settings, second.append)
    assert key.read_bytes() == before
    assert not any("master key" in line for line in second)
    assert not any(password in line for line in second)
    assert any("exists already" in line for line in second)
