"""Shared pieces of the store tests (imported by their conftest and modules)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from platekeeper.crypto.master import MasterKey
from platekeeper.crypto.settings import KeySettings
from platekeeper.store.facade import Store, StoreConfig, open_store
from platekeeper.store.settings import StoreSettings

START = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

# The plates of the test set: every dump must be free of all of them.
TEST_PLATES = (
    "01A123BC",
    "10B777QQ",
    "40Z555ZZ",
    "AB1234CD",
    "KX09XYZ",
    "A123BC77",
    "95H321LA",
)


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class StoreEnv:
    """A store plus what tests need to poke at it from outside."""

    backend: str
    data_dir: Path
    database_url: str
    schema: str | None
    clock: Clock
    master_key: MasterKey
    opened: list[Store] = field(default_factory=list)

    def config(self, **store_overrides: Any) -> StoreConfig:
        return StoreConfig(
            data_dir=self.data_dir,
            store=StoreSettings(database_url=self.database_url, **store_overrides),
            keys=KeySettings(),
        )

    def open(self, **store_overrides: Any) -> Store:
        store = open_store(self.config(**store_overrides), clock=self.clock)
        self.opened.append(store)
        return store


def jpeg(width: int, height: int, label: str = "", quality: int = 80, seed: int = 0) -> bytes:
    """A real JPEG with some texture (and optionally text drawn on it)."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
    image = Image.fromarray(pixels)
    if label:
        ImageDraw.Draw(image).text((4, 4), label, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def postgres_base_url(database_url: str) -> str:
    return database_url.split("?", 1)[0]


def libpq_url(database_url: str) -> str:
    """The URL as libpq tools (pg_dump, psql) take it."""
    return postgres_base_url(database_url).replace("postgresql+psycopg://", "postgresql://")


@dataclass
class Backup:
    """A copy of the database and the evidence directory — what an operator's
    nightly backup holds. The key vault is not in it: it is backed up apart."""

    database: Path
    evidence: Path


def take_backup(env: StoreEnv, where: Path) -> Backup:
    import shutil
    import sqlite3
    import subprocess

    where.mkdir(parents=True)
    database = where / ("db.sqlite" if env.backend == "sqlite" else "db.sql")
    if env.backend == "sqlite":
        source = sqlite3.connect(env.data_dir / "platekeeper.db")
        target = sqlite3.connect(database)
        source.backup(target)
        target.close()
        source.close()
    else:
        subprocess.run(
            [
                "pg_dump",
                "--no-owner",
                "--schema",
                str(env.schema),
                "-f",
                str(database),
                libpq_url(env.database_url),
            ],
            check=True,
        )
    evidence = where / "evidence"
    shutil.copytree(env.data_dir / "evidence", evidence)
    return Backup(database, evidence)


def restore_backup(env: StoreEnv, backup: Backup) -> None:
    """Put the backup back in place of the live database and evidence."""
    import shutil
    import sqlite3
    import subprocess

    for store in env.opened:
        store.close()
    env.opened.clear()
    if env.backend == "sqlite":
        live = env.data_dir / "platekeeper.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{live}{suffix}").unlink(missing_ok=True)
        source = sqlite3.connect(backup.database)
        target = sqlite3.connect(live)
        source.backup(target)
        target.close()
        source.close()
    else:
        url = libpq_url(env.database_url)
        subprocess.run(
            ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-c", f"DROP SCHEMA {env.schema} CASCADE", url],
            check=True,
        )
        subprocess.run(
            ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(backup.database), url],
            check=True,
            capture_output=True,
        )
    shutil.rmtree(env.data_dir / "evidence")
    shutil.copytree(backup.evidence, env.data_dir / "evidence")
