"""Reads: validated, encrypted and stored with their evidence in one commit;
loaded and decrypted for search.

The ingest path is built for batches (the HTTP ingest service hands over
hundreds of reads at a time): one id reservation, cached keys, one
executemany per table and one transaction per batch. Everything that can
refuse a read runs before anything is written, so a bad read costs nothing
and a batch is stored completely or not at all. Evidence objects are written
before the transaction; if it then fails they are orphans that nobody can
decrypt (their keys were never stored) and the retention job sweeps them.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from platekeeper.crypto import KeyUnavailable
from platekeeper.crypto.aead import record_aad
from platekeeper.store import payload
from platekeeper.store.base import Base
from platekeeper.store.cameras import CameraRepository
from platekeeper.store.engine import Database
from platekeeper.store.errors import InvalidInput, InvalidRead, UnknownCamera
from platekeeper.store.evidence.sealing import EvidenceStore, PreparedBlob
from platekeeper.store.evidence.validation import (
    CheckedEvidence,
    EvidenceLimits,
    EvidenceRejected,
    check_evidence,
)
from platekeeper.store.ids import IdAllocator
from platekeeper.store.keys import KeyService
from platekeeper.store.models import EvidenceBlob, Read, ReadEvidence
from platekeeper.store.partitions import PartitionManager
from platekeeper.store.plates import canonical_plate
from platekeeper.store.records import NO_PLATE, CameraInfo, EvidenceRef, NewRead, StoredRead
from platekeeper.store.settings import StoreSettings
from platekeeper.store.types import (
    EVIDENCE_CLASS,
    DataClass,
    EvidenceKind,
    UtcDateTime,
    utc_now,
)

logger = logging.getLogger(__name__)

_READS_TABLE = Base.metadata.tables["reads"]
_LINKS_TABLE = Base.metadata.tables["read_evidence"]

READ_TABLE = "reads"
MAX_CANDIDATES = 10
_COUNTRY = re.compile(r"^[A-Z]{1,3}$")

# The columns a search loads to build a StoredRead.
READ_COLUMNS = (
    Read.id,
    Read.captured_at,
    Read.camera_id,
    Read.data_key_id,
    Read.sealed,
    Read.confidence,
    Read.country,
    Read.hit,
)


@dataclass(frozen=True)
class _Checked:
    read: NewRead
    camera: CameraInfo
    plate: str
    candidates: tuple[tuple[str, float], ...]
    evidence: tuple[CheckedEvidence, ...]
    """The read's own evidence, then its track frames."""
    track_points: tuple[int, ...] = ()
    """The track point of each track frame (the last ones of ``evidence``)."""


class ReadStore:
    """Stores and loads reads."""

    def __init__(
        self,
        db: Database,
        *,
        keys: KeyService,
        cameras: CameraRepository,
        evidence: EvidenceStore,
        ids: IdAllocator,
        partitions: PartitionManager,
        settings: StoreSettings,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.db = db
        self.keys = keys
        self.cameras = cameras
        self.evidence = evidence
        self.ids = ids
        self.partitions = partitions
        self.settings = settings
        self.clock = clock
        self.limits = EvidenceLimits(
            max_crop_bytes=settings.max_crop_bytes,
            max_frame_bytes=settings.max_frame_bytes,
            max_clip_bytes=settings.max_clip_bytes,
            max_image_pixels=settings.max_image_pixels,
        )
        self._insert_blob = pg_insert if not db.is_sqlite else sqlite_insert
        mark = "?" if db.engine.dialect.paramstyle == "qmark" else "%s"
        self._insert_reads_sql = _insert_sql("reads", _READ_INSERT_COLUMNS, mark)
        self._insert_links_sql = _insert_sql("read_evidence", _LINK_INSERT_COLUMNS, mark)
        utc = UtcDateTime()
        self._to_db = utc.bind_processor(db.engine.dialect) or (lambda value: value)
        self._expiry_by_day: dict[int, datetime] = {}
        self._listeners: list[Callable[[list[int]], None]] = []

    def add_listener(self, listener: Callable[[list[int]], None]) -> None:
        """Call ``listener`` with the ids of every batch once it has committed
        (the rules pipeline). A failing listener is logged, never the writer's problem."""
        self._listeners.append(listener)

    # -- validation ------------------------------------------------------------

    def check(self, read: NewRead, index: int | None = None) -> _Checked:
        """Everything that can refuse a read, before anything is written."""
        now = self.clock()
        camera = self.cameras.by_code(read.camera) if isinstance(read.camera, str) else None
        if camera is None:
            shown = read.camera[:64] if isinstance(read.camera, str) else "?"
            raise UnknownCamera(f"unknown camera {shown!r}", index)
        if not camera.active:
            raise InvalidRead("the camera is disabled", index)
        at = read.captured_at
        if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
            raise InvalidRead("the capture time must carry a time zone", index)
        if at > now + timedelta(seconds=self.settings.max_clock_skew_seconds):
            raise InvalidRead("the capture time is in the future", index)
        if self._too_old(at, now):
            raise InvalidRead("the capture time is older than the retention period", index)
        plate, candidates = self._check_text(read, index)
        _check_track(read, index)
        _check_plate_box(read, index)
        _check_lane_and_class(read, index)
        prepared = self._check_evidence(read, index)
        points, frames = self._check_track_frames(read, index)
        return _Checked(read, camera, plate, candidates, prepared + frames, points)

    def _too_old(self, at: datetime, now: datetime) -> bool:
        # Retention periods are whole UTC days: one answer per day and run.
        day = int(at.timestamp() // 86_400)
        expiry = self._expiry_by_day.get(day)
        if expiry is None:
            expiry = self.keys.expiry(DataClass.READS, at)
            if len(self._expiry_by_day) > 1_000:
                self._expiry_by_day.clear()
            self._expiry_by_day[day] = expiry
        return expiry <= now

    def _check_text(
        self, read: NewRead, index: int | None
    ) -> tuple[str, tuple[tuple[str, float], ...]]:
        if read.plate is None:
            if read.candidates:
                raise InvalidRead("a pass with no plate has no candidate plates", index)
            plate = NO_PLATE
        try:
            if read.plate is not None:
                plate = canonical_plate(read.plate)
            if len(read.candidates) > MAX_CANDIDATES:
                raise InvalidInput(f"more than {MAX_CANDIDATES} candidates")
            candidates = tuple(
                (canonical_plate(text), _confidence(conf)) for text, conf in read.candidates
            )
            _confidence(read.confidence)
        except InvalidInput as exc:
            raise InvalidRead(str(exc), index) from None
        if read.country is not None and not _COUNTRY.match(read.country):
            raise InvalidRead("the country must be an ISO code of 1-3 capital letters", index)
        if read.gps is not None:
            lat, lon = read.gps
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise InvalidRead("the GPS position is out of range", index)
        return plate, candidates

    def _check_evidence(self, read: NewRead, index: int | None) -> tuple[CheckedEvidence, ...]:
        if len(read.evidence) > self.settings.max_evidence_per_read:
            raise InvalidRead("too many evidence items", index)
        prepared = []
        now = self.clock()
        for item in read.evidence:
            kind = EvidenceKind(item.kind)
            data_class = EVIDENCE_CLASS[kind]
            # Frames and clips are kept for less time than reads: one that
            # is already past its policy is refused, not stored to be shredded.
            if self.keys.expiry(data_class, read.captured_at) <= now:
                days = self.keys.policy(data_class).keep_days
                raise InvalidRead(
                    f"the {kind} is older than its retention period ({days} days); "
                    "send the read without it",
                    index,
                )
            try:
                checked = check_evidence(kind, item.data, self.limits)
            except EvidenceRejected as exc:
                raise InvalidRead(str(exc), index) from None
            prepared.append(checked)
        return tuple(prepared)

    def _check_track_frames(
        self, read: NewRead, index: int | None
    ) -> tuple[tuple[int, ...], tuple[CheckedEvidence, ...]]:
        frames = read.track_frames
        if not frames:
            return (), ()
        if len(frames) != len(read.track):
            raise InvalidRead("track frames must match the track's points", index)
        points = tuple(n for n, data in enumerate(frames) if data is not None)
        if len(points) > MAX_TRACK_FRAMES:
            raise InvalidRead(f"at most {MAX_TRACK_FRAMES} track points carry a frame", index)
        if points and self.keys.expiry(DataClass.FRAMES, read.captured_at) <= self.clock():
            days = self.keys.policy(DataClass.FRAMES).keep_days
            raise InvalidRead(
                f"the track frames are older than their retention period ({days} days); "
                "send the read without them",
                index,
            )
        checked = []
        for n in points:
            data = frames[n]
            assert data is not None
            try:
                item = check_evidence(EvidenceKind.FRAME, data, self.limits)
            except EvidenceRejected as exc:
                raise InvalidRead(f"track point {n}: {exc}", index) from None
            if item.media_type != "image/jpeg":
                raise InvalidRead(f"track point {n}: the frame must be a JPEG", index)
            checked.append(item)
        return points, tuple(checked)

    # -- ingest ------------------------------------------------------------------

    def ingest(
        self,
        reads: Sequence[NewRead],
        *,
        within: Callable[[Session, list[int]], None] | None = None,
    ) -> list[int]:
        """Store a batch; returns the new read ids in order. All or nothing.

        ``within`` runs inside the same write transaction, after the reads
        are inserted, with their ids: what it writes (an ingest receipt, say)
        commits with the reads or not at all."""
        if not reads:
            return []
        checked = [self.check(read, index) for index, read in enumerate(reads)]
        sealed_blobs = self.evidence.prepare_many(
            [item for read in checked for item in read.evidence]
        )
        read_ids = self.ids.allocate(READ_TABLE, len(checked))
        read_rows: list[tuple[object, ...]] = []
        blobs: dict[bytes, tuple[PreparedBlob, dict[str, object]]] = {}
        links: list[tuple[int, bytes, object]] = []
        to_db = self._to_db
        position = 0
        for read_id, item in zip(read_ids, checked, strict=True):
            at = item.read.captured_at
            agency = item.camera.agency
            data_key = self.keys.data_key(DataClass.READS, agency, at)
            exact, fuzzy = self.keys.index_key(DataClass.READS, at).indexer.both(item.plate)
            own = sealed_blobs[position : position + len(item.evidence)]
            sealed = data_key.cipher.seal(_body(item, own), record_aad(READ_TABLE, read_id))
            db_at = to_db(at)
            read_rows.append(
                (read_id, db_at, item.camera.id, data_key.id, exact, fuzzy, sealed,
                 float(item.read.confidence), item.read.country, False)
            )  # fmt: skip
            linked: set[bytes] = set()
            for blob in own:
                # One link per blob: a frame may be both the read's and a track point's.
                if blob.address in linked:
                    continue
                linked.add(blob.address)
                links.append((read_id, blob.address, db_at))
                if blob.address not in blobs:
                    blob_key = self.keys.data_key(EVIDENCE_CLASS[blob.kind], agency, at)
                    row = self._blob_row(blob, blob_key.id, at)
                    row["wrapped_key"] = self.evidence.wrap_key(
                        blob_key.cipher, blob.address, blob.blob_key
                    )
                    blobs[blob.address] = (blob, row)
            position += len(item.evidence)

        blob_ids = self._write_objects(blobs)
        self.partitions.ensure(item.read.captured_at for item in checked)
        with self.db.write() as session:
            if blobs:
                new_rows = [row for address, (_b, row) in blobs.items() if address not in blob_ids]
                if new_rows:
                    session.execute(
                        self._insert_blob(EvidenceBlob)
                        .values()
                        .on_conflict_do_nothing(index_elements=["address"]),
                        new_rows,
                    )
                    addresses = [address for address in blobs if address not in blob_ids]
                    blob_ids.update(self._blob_ids(session, addresses))
            # Straight to the driver's executemany: the rows are already in
            # database form, and SQLAlchemy's per-row parameter processing
            # would cost more than the encryption.
            connection = session.connection()
            connection.exec_driver_sql(self._insert_reads_sql, read_rows)
            if links:
                connection.exec_driver_sql(
                    self._insert_links_sql,
                    [(rid, blob_ids[address], db_at) for rid, address, db_at in links],
                )
            if within is not None:
                within(session, read_ids)
        for listener in self._listeners:
            try:
                listener(read_ids)
            except Exception:
                logger.exception("a listener of stored reads failed")
        return read_ids

    def _blob_row(self, blob: PreparedBlob, key_id: int, at: datetime) -> dict[str, object]:
        return {
            "address": blob.address,
            "kind": blob.kind.value,
            "media_type": blob.media_type,
            "size": blob.size,
            "data_key_id": key_id,
            "captured_at": at,
            "created_at": self.clock(),
        }

    def _write_objects(
        self, blobs: dict[bytes, tuple[PreparedBlob, dict[str, object]]]
    ) -> dict[bytes, int]:
        """Write the objects not yet stored; returns ids of blobs already in the
        database (those need neither an object nor a row)."""
        if not blobs:
            return {}
        with self.db.read() as session:
            existing = self._blob_ids(session, list(blobs))
        new = [address for address in blobs if address not in existing]
        for address, blob_id in zip(
            new, self.ids.allocate("evidence_blobs", len(new)), strict=True
        ):
            blobs[address][1]["id"] = blob_id
        self.evidence.write_many([blobs[address][0] for address in new])
        return existing

    @staticmethod
    def _blob_ids(session: object, addresses: list[bytes]) -> dict[bytes, int]:
        from sqlalchemy.orm import Session

        assert isinstance(session, Session)
        out: dict[bytes, int] = {}
        for start in range(0, len(addresses), 500):
            rows = session.execute(
                select(EvidenceBlob.address, EvidenceBlob.id).where(
                    EvidenceBlob.address.in_(addresses[start : start + 500])
                )
            )
            out.update({address: blob_id for address, blob_id in rows})
        return out

    # -- loading -------------------------------------------------------------------

    def get(self, read_id: int) -> StoredRead | None:
        with self.db.read() as session:
            rows = session.execute(select(*READ_COLUMNS).where(Read.id == read_id)).all()
        loaded = self.decrypt_rows(rows)
        return loaded[0] if loaded else None

    def latest(
        self, camera_ids: Sequence[int], since: datetime, limit: int = 100
    ) -> list[StoredRead]:
        """The newest reads of these cameras captured at or after ``since``,
        newest first (the live view: not a search, so no plate is asked for)."""
        if not camera_ids:
            return []
        statement = (
            select(*READ_COLUMNS)
            .where(Read.camera_id.in_(list(camera_ids)), Read.captured_at >= since)
            .order_by(Read.captured_at.desc(), Read.id.desc())
            .limit(limit)
        )
        with self.db.read() as session:
            rows = session.execute(statement).all()
        return self.decrypt_rows(rows)

    def around(
        self, camera_id: int, at: datetime, seconds: float, limit: int = 20
    ) -> list[StoredRead]:
        """The reads of one camera captured within ``seconds`` of ``at``,
        oldest first: the other vehicles in a violation's frame."""
        statement = (
            select(*READ_COLUMNS)
            .where(
                Read.camera_id == camera_id,
                Read.captured_at >= at - timedelta(seconds=seconds),
                Read.captured_at <= at + timedelta(seconds=seconds),
            )
            .order_by(Read.captured_at, Read.id)
            .limit(limit)
        )
        with self.db.read() as session:
            rows = session.execute(statement).all()
        return self.decrypt_rows(rows)

    def get_many(self, read_ids: Sequence[int]) -> list[StoredRead]:
        """The reads with these ids that still exist, in no particular order."""
        out: list[StoredRead] = []
        for start in range(0, len(read_ids), 500):
            chunk = list(read_ids[start : start + 500])
            with self.db.read() as session:
                rows = session.execute(select(*READ_COLUMNS).where(Read.id.in_(chunk))).all()
            out.extend(self.decrypt_rows(rows))
        return out

    def decrypt_rows(self, rows: Sequence[Any]) -> list[StoredRead]:
        """Decrypt rows selected with ``READ_COLUMNS``. Rows whose key has been
        destroyed meanwhile are left out: they are past retention."""
        if not rows:
            return []
        keys = self.keys.by_ids({row.data_key_id for row in rows})
        evidence = self.evidence_refs(row.id for row in rows)
        out = []
        for row in rows:
            key = keys.get(row.data_key_id)
            camera = self.cameras.get(row.camera_id)
            if key is None or camera is None:
                continue
            body = payload.decode(key.cipher.open(row.sealed, record_aad(READ_TABLE, row.id)))
            refs = tuple(evidence.get(row.id, ()))
            track_frames = _track_frames(body.track_frames, refs)
            if track_frames:
                # The read's own evidence first: what shows "the" frame of a
                # read takes the first one, and that is not a track point's.
                on_track = set(track_frames)
                refs = tuple(sorted(refs, key=lambda ref: ref.blob_id in on_track))
            out.append(
                StoredRead(
                    id=row.id,
                    captured_at=row.captured_at,
                    camera=camera,
                    plate=body.plate,
                    confidence=row.confidence,
                    country=row.country,
                    candidates=body.candidates,
                    gps=body.gps,
                    hit=row.hit,
                    evidence=refs,
                    track=body.track,
                    track_frames=track_frames,
                    plate_box=body.plate_box,
                    lane=body.lane,
                    vehicle_class=body.vehicle_class,
                )
            )
        return out

    def evidence_refs(self, read_ids: Iterable[int]) -> dict[int, list[EvidenceRef]]:
        wanted = list(read_ids)
        out: dict[int, list[EvidenceRef]] = {}
        with self.db.engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                rows = conn.execute(_EVIDENCE_REFS, {"ids": wanted[start : start + 500]})
                for read_id, blob_id, kind, media_type, size, address in rows:
                    out.setdefault(read_id, []).append(
                        EvidenceRef(blob_id, EvidenceKind(kind), media_type, size, address)
                    )
        return out

    def evidence_bytes(self, blob_id: int) -> tuple[EvidenceRef, bytes]:
        """Decrypt one evidence blob; ``KeyUnavailable`` once it is past retention."""
        with self.db.read() as session:
            row = session.get(EvidenceBlob, blob_id)
            if row is None:
                raise KeyUnavailable("no such evidence (deleted or never stored)")
            kind = EvidenceKind(row.kind)
            ref = EvidenceRef(row.id, kind, row.media_type, row.size)
            address, key_id, wrapped = row.address, row.data_key_id, row.wrapped_key
        key = self.keys.by_id(key_id)
        return ref, self.evidence.open(address, kind, key.cipher, wrapped)


_READ_INSERT_COLUMNS = (
    "id",
    "captured_at",
    "camera_id",
    "data_key_id",
    "plate_exact",
    "plate_fuzzy",
    "sealed",
    "confidence",
    "country",
    "hit",
)
_LINK_INSERT_COLUMNS = ("read_id", "blob_id", "captured_at")


_EVIDENCE_REFS = (
    select(
        ReadEvidence.read_id,
        EvidenceBlob.id,
        EvidenceBlob.kind,
        EvidenceBlob.media_type,
        EvidenceBlob.size,
        EvidenceBlob.address,
    )
    .join(EvidenceBlob, EvidenceBlob.id == ReadEvidence.blob_id)
    .where(ReadEvidence.read_id.in_(bindparam("ids", expanding=True)))
)


MAX_TRACK_POINTS = 64
MAX_TRACK_FRAMES = 8


def _body(item: _Checked, blobs: Sequence[PreparedBlob]) -> bytes:
    """The read's payload; ``blobs`` are its evidence as sealed, track frames last."""
    names = [""] * len(item.read.track) if item.track_points else []
    first_frame = len(blobs) - len(item.track_points)
    for point, blob in zip(item.track_points, blobs[first_frame:], strict=True):
        names[point] = payload.frame_name(blob.address)
    return payload.encode(
        item.plate,
        item.candidates,
        item.read.gps,
        item.read.track,
        track_frames=names,
        plate_box=item.read.plate_box,
        lane=item.read.lane,
        vehicle_class=item.read.vehicle_class,
    )


def _track_frames(names: Sequence[str], refs: Sequence[EvidenceRef]) -> tuple[int | None, ...]:
    """The blob id of each track point's frame, found by its name among the
    read's evidence (a frame past retention is no longer there: None)."""
    if not names:
        return ()
    by_name = {
        payload.frame_name(ref.address): ref.blob_id
        for ref in refs
        if ref.kind is EvidenceKind.FRAME and ref.address
    }
    return tuple(by_name.get(name) if name else None for name in names)


TRACK_SPAN_S = 30.0
MAX_OFFSET_M = 1000.0


def _check_track(read: NewRead, index: int | None) -> None:
    track = read.track
    if not track:
        return
    if len(track) > MAX_TRACK_POINTS:
        raise InvalidRead(f"a track has at most {MAX_TRACK_POINTS} points", index)
    at = read.captured_at.timestamp()
    for point in track:
        try:
            ts, offset = float(point[0]), float(point[1])
        except (TypeError, ValueError, IndexError):
            raise InvalidRead("a track point is (time, offset)", index) from None
        if not (math.isfinite(ts) and math.isfinite(offset)):
            raise InvalidRead("a track point must be finite", index)
        if abs(ts - at) > TRACK_SPAN_S:
            raise InvalidRead(
                f"a track point is more than {TRACK_SPAN_S:g} s from the capture", index
            )
        if abs(offset) > MAX_OFFSET_M:
            raise InvalidRead(
                f"a track offset is more than {MAX_OFFSET_M:g} m from the line", index
            )


MAX_SIDE = 16_384
"""Largest frame side a plate box may point into (16K)."""


def _check_plate_box(read: NewRead, index: int | None) -> None:
    box = read.plate_box
    if box is None:
        return
    if (
        len(box) != 4
        or not all(isinstance(v, int) for v in box)
        or min(box[0], box[1]) < 0
        or min(box[2], box[3]) < 1
        or max(box) > MAX_SIDE
    ):
        raise InvalidRead(f"a plate box is x, y >= 0 and w, h >= 1, up to {MAX_SIDE}", index)
    if not any(e.kind == EvidenceKind.FRAME for e in read.evidence):
        raise InvalidRead("a plate box is a place in the frame: send the frame with it", index)


MAX_LANE = 16
"""Lanes are numbered from 1, the kerb lane; no road has more than this."""
VEHICLE_CLASS = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
"""A vehicle class as the rules and the registry name it: a short lower-case
word (car, truck, bus, motorcycle ...); it is sealed in the read's payload,
whose separators it cannot hold."""


def _check_lane_and_class(read: NewRead, index: int | None) -> None:
    lane = read.lane
    if lane is not None and (
        not isinstance(lane, int) or isinstance(lane, bool) or not 1 <= lane <= MAX_LANE
    ):
        raise InvalidRead(f"a lane is a whole number from 1 (the kerb lane) to {MAX_LANE}", index)
    vclass = read.vehicle_class
    if vclass is not None and (not isinstance(vclass, str) or not VEHICLE_CLASS.fullmatch(vclass)):
        raise InvalidRead("a vehicle class is a short lower-case word (car, truck ...)", index)


def _insert_sql(table: str, columns: Sequence[str], mark: str) -> str:
    # Table and column names are the constants above, never input.
    marks = ", ".join([mark] * len(columns))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608


def _confidence(value: float) -> float:
    if not isinstance(value, (int, float)) or not math.isfinite(value) or not 0 <= value <= 1:
        raise InvalidInput("a confidence is a number between 0 and 1")
    return float(value)
