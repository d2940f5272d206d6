"""A stolen database, disk or backup reveals no plate.

The test fills a store with every kind of record that carries a plate (reads
with candidates and GPS, evidence, registry entries, hotlist entries exact
and wildcard, a legal hold), then searches the SQLite file (and its WAL), an
SQL dump of it, `pg_dump` of PostgreSQL, the evidence directory and the rest
of the data directory for each plate of the test set in every encoding a
careless implementation might have used.
"""

from __future__ import annotations

import base64
import logging
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from store_testkit import START, TEST_PLATES, StoreEnv, jpeg, libpq_url

from platekeeper.recognition.text import confusion_skeleton
from platekeeper.retention.holds import LegalHolds
from platekeeper.store.facade import Store
from platekeeper.store.records import NewEvidence, NewRead
from platekeeper.store.search import OpenGuard, ReasonCode, SearchJustification
from platekeeper.store.types import EvidenceKind, VehicleStatus


def _base64_fragments(data: bytes) -> Iterator[bytes]:
    """The part of base64 that depends only on ``data``, at each of the three
    alignments it can have inside a longer encoded stream."""
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + data)
        stable_end = 4 * ((shift + len(data)) // 3)
        skip = {0: 0, 1: 2, 2: 3}[shift]
        fragment = encoded[skip:stable_end]
        if len(fragment) >= 6:
            yield fragment
            yield fragment.replace(b"+", b"-").replace(b"/", b"_")


def encodings(plate: str) -> Iterator[tuple[str, bytes]]:
    forms = {plate, confusion_skeleton(plate), plate[::-1]}
    for form in forms:
        ascii_bytes = form.encode("ascii")
        yield "ascii", ascii_bytes
        for codec in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
            yield codec, form.encode(codec)
        yield "hex", ascii_bytes.hex().encode()
        yield "hex-utf16", form.encode("utf-16-le").hex().encode()
        yield "json-escape", "".join(f"\\u{ord(c):04x}" for c in form).encode()
        yield "base32", base64.b32encode(ascii_bytes).rstrip(b"=")[:-2]
        for fragment in _base64_fragments(ascii_bytes):
            yield "base64", fragment
        for fragment in _base64_fragments(form.encode("utf-16-le")):
            yield "base64-utf16", fragment


def find_plates(haystack: bytes) -> list[tuple[str, str]]:
    lowered = haystack.lower()
    found = []
    for plate in TEST_PLATES:
        for name, needle in encodings(plate):
            if needle.lower() in lowered:
                found.append((plate, name))
    return found


def test_the_search_itself_finds_planted_plates() -> None:
    """Guard against a detector that cannot fail."""
    plate = TEST_PLATES[0]
    for _name, needle in encodings(plate):
        assert find_plates(b"\x00junk" + needle + b"junk\xff"), needle
    for shift in range(3):
        planted = base64.b64encode(b"x" * shift + plate.encode() + b"tail")
        assert (plate, "base64") in find_plates(planted)
    assert find_plates(b"\\x" + plate.encode().hex().upper().encode())


def fill(store: Store, cameras: dict[str, int]) -> None:
    crop = jpeg(200, 60, label=TEST_PLATES[0], seed=21)
    frame = jpeg(640, 360, label=" ".join(TEST_PLATES), seed=22)
    reads = []
    for n, plate in enumerate(TEST_PLATES):
        spaced = f"{plate[:2]} {plate[2:]}"
        reads.append(
            NewRead(
                "TAS-001" if n % 2 else "SAM-001",
                START - timedelta(hours=n),
                spaced,
                0.8,
                country="UZ",
                candidates=[(plate, 0.8), (TEST_PLATES[(n + 1) % len(TEST_PLATES)], 0.1)],
                gps=(41.31 + n / 1000, 69.27),
                evidence=[
                    NewEvidence(EvidenceKind.CROP, crop),
                    NewEvidence(EvidenceKind.FRAME, frame),
                ],
            )
        )
    ids = store.reads.ingest(reads)
    store.rekey.mark_hits(ids[:2])
    holds = LegalHolds(store)
    hold = holds.place("CASE-2026/0001", "court order")
    holds.add_reads(hold.id, ids[2:4])
    for plate in TEST_PLATES:
        store.registry.upsert(plate, VehicleStatus.STOLEN, country="UZ", vehicle_class="car")
    hotlist = store.hotlists.create("wanted")
    for plate in TEST_PLATES:
        store.hotlists.add_entry(hotlist.id, plate, note=f"wanted: {plate}")
    store.hotlists.add_entry(hotlist.id, TEST_PLATES[0][:4] + "*", note=TEST_PLATES[0])
    # Searching must not leave plates behind either (logs, caches on disk).
    service = store.search_service(OpenGuard())
    why = SearchJustification(ReasonCode.INVESTIGATION, "CASE-2026/0001")
    for plate in TEST_PLATES:
        assert service.journey(
            plate, START - timedelta(days=2), START + timedelta(hours=1), why
        ).reads


def files_under(root: Path) -> Iterator[Path]:
    yield from (p for p in root.rglob("*") if p.is_file())


def test_no_plate_in_any_dump(
    env: StoreEnv,
    store: Store,
    cameras: dict[str, int],
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.DEBUG)
    fill(store, cameras)
    leaks: dict[str, list[tuple[str, str]]] = {}

    # Every file of the data directory: database (+ WAL), vault, keys, evidence.
    for path in files_under(env.data_dir):
        found = find_plates(path.read_bytes())
        if found:
            leaks[str(path.relative_to(env.data_dir))] = found
    evidence_files = list(files_under(env.data_dir / "evidence"))
    assert len(evidence_files) == 2

    if env.backend == "sqlite":
        connection = sqlite3.connect(env.data_dir / "platekeeper.db")
        sql_dump = "\n".join(connection.iterdump()).encode()
        connection.close()
        assert b"INSERT INTO" in sql_dump
        if found := find_plates(sql_dump):
            leaks["sqlite .dump"] = found
    else:
        pg_dump = subprocess.run(
            ["pg_dump", "--schema", str(env.schema), libpq_url(env.database_url)],
            check=True,
            capture_output=True,
        ).stdout
        assert b"COPY" in pg_dump
        assert len(pg_dump) > 10_000
        if found := find_plates(pg_dump):
            leaks["pg_dump"] = found

    if found := find_plates(caplog.text.encode()):
        leaks["log"] = found
    assert leaks == {}
