"""Helpers shared by the store tests (imported by their conftest and modules)."""

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
