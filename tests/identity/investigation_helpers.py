"""A real store behind the web app for the search, journey, live and camera
tests: SQLite, migrated, with cameras in two regions and reads with crops."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from PIL import Image

from platekeeper.crypto.master import MasterKey, write_key_file
from platekeeper.crypto.settings import KeySettings
from platekeeper.store.engine import make_engine
from platekeeper.store.facade import Store, StoreConfig, open_store
from platekeeper.store.migrate import upgrade
from platekeeper.store.records import CameraSpec, NewEvidence, NewRead
from platekeeper.store.settings import StoreSettings
from platekeeper.store.types import EvidenceKind

# North is the region of the test users (identity_helpers.add_user's default).
CAMERAS = (
    CameraSpec("TAS-001", "Amir Temur 1", "TAS-B1", "traffic police", "north", 41.311, 69.279),
    CameraSpec("TAS-002", "Chilonzor", "TAS-B2", "traffic police", "north", 41.285, 69.204),
    CameraSpec("SAM-001", "Samarkand gate", "SAM-B1", "traffic police", "south", 39.654, 66.975),
)
TRACKED = "01A123BC"  # seen three times in the north, once in the south
LOOKALIKE = "01A1Z3BC"  # the same plate to fuzzy search (2/Z)
OTHER = "40Z555ZZ"


def jpeg(width: int, height: int, seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 255, (height, width, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=80)
    return out.getvalue()


@dataclass
class Sightings:
    """What was stored: read ids by plate, and the clock's time at seeding."""

    ids: dict[str, list[int]]
    seeded_at: datetime


def open_web_store(data_dir: Path, clock: object) -> Store:
    url = f"sqlite:///{data_dir / 'store.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    key_file = data_dir / "keys" / "master.key"
    if not key_file.exists():
        write_key_file(key_file, MasterKey.generate())
    config = StoreConfig(
        data_dir=data_dir, store=StoreSettings(database_url=url), keys=KeySettings()
    )
    return open_store(config, clock=clock)  # type: ignore[arg-type]


def seed(store: Store, now: datetime) -> Sightings:
    for spec in CAMERAS:
        if store.cameras.by_code(spec.code) is None:
            store.cameras.add(spec)
    plan = [
        (TRACKED, "TAS-001", timedelta(hours=-50)),
        (TRACKED, "TAS-002", timedelta(hours=-26)),
        (TRACKED, "SAM-001", timedelta(hours=-20)),
        (LOOKALIKE, "TAS-001", timedelta(hours=-10)),
        (OTHER, "TAS-002", timedelta(hours=-5)),
        (TRACKED, "TAS-001", timedelta(hours=-2)),
    ]
    reads = [
        NewRead(
            camera=camera,
            captured_at=now + offset,
            plate=plate,
            confidence=0.93,
            country="UZ",
            evidence=(NewEvidence(EvidenceKind.CROP, jpeg(160, 40, seed=i)),),
        )
        for i, (plate, camera, offset) in enumerate(plan)
    ]
    ids: dict[str, list[int]] = {}
    for (plate, _camera, _offset), read_id in zip(plan, store.reads.ingest(reads), strict=True):
        ids.setdefault(plate, []).append(read_id)
    return Sightings(ids, now)


def add_live_read(store: Store, at: datetime, plate: str, camera: str = "TAS-001") -> int:
    read = NewRead(
        camera=camera,
        captured_at=at,
        plate=plate,
        confidence=0.9,
        country="UZ",
        evidence=(
            NewEvidence(EvidenceKind.CROP, jpeg(160, 40, seed=int.from_bytes(os.urandom(2)))),
        ),
    )
    return store.reads.ingest([read])[0]
