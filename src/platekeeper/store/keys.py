"""The key catalogue: which key encrypts what, created on demand, cached.

Every read is encrypted under a *data key* of (agency, data type, period)
and indexed under an *index key* of (data type, period). Both are made the
first time they are needed and live until their period has expired under the
retention policy of their data type; then the retention job destroys them
(the material in the vault; the catalogue row stays, marked destroyed).

Legal holds get keys of their own (no period), as do the registry and the
hotlists. System keys (blob addressing, signing) are named keys in the vault.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from platekeeper.crypto import KeyUnavailable
from platekeeper.crypto.aead import BlobSealer, DataCipher
from platekeeper.crypto.blind_index import BlindIndexer
from platekeeper.crypto.signing import Signer
from platekeeper.crypto.vault import KeyVault
from platekeeper.store.engine import Database
from platekeeper.store.models import DataKey, LegalHold
from platekeeper.store.settings import RetentionPolicies, RetentionPolicy
from platekeeper.store.types import EPOCH, DataClass, KeyPurpose, KeyState, utc_now

logger = logging.getLogger(__name__)

# Data types whose keys have periods and expire under a retention policy.
PERIODIC_CLASSES = (
    DataClass.READS,
    DataClass.HITS,
    DataClass.CROPS,
    DataClass.FRAMES,
    DataClass.CLIPS,
)
# Data types whose reads carry blind indexes that a search must consult.
SEARCHABLE_CLASSES = (DataClass.READS, DataClass.HITS)
_CATALOGUE_SECONDS = 10.0


@dataclass(frozen=True)
class KeyRef:
    """What the catalogue says about one key."""

    id: int
    purpose: KeyPurpose
    data_class: DataClass
    agency: str | None
    period_start: datetime | None
    period_end: datetime | None
    hold_id: int | None


@dataclass(frozen=True)
class ActiveKey:
    """An unwrapped key: raw material, a cipher (AES-GCM) and an indexer (HMAC)."""

    ref: KeyRef
    material: bytes = field(repr=False)
    cipher: DataCipher = field(repr=False)
    indexer: BlindIndexer = field(repr=False)

    @property
    def id(self) -> int:
        return self.ref.id


@dataclass(frozen=True)
class IndexWindow:
    """An index key and the part of a search window its period covers."""

    key: ActiveKey
    start: datetime
    end: datetime


def period_bounds(policy: RetentionPolicy, at: datetime) -> tuple[datetime, datetime]:
    """The key period of ``policy`` that contains ``at`` (UTC days from the epoch)."""
    length = timedelta(days=policy.period_days)
    index = (at - EPOCH) // length
    start = EPOCH + index * length
    return start, start + length


def _scope(
    purpose: KeyPurpose,
    data_class: DataClass,
    agency: str | None,
    period_start: datetime | None,
    hold_id: int | None,
) -> str:
    start = period_start.strftime("%Y-%m-%d") if period_start is not None else "-"
    return f"{purpose}|{data_class}|{agency or '*'}|{start}|{hold_id or '-'}"


def _ref(row: DataKey) -> KeyRef:
    return KeyRef(
        id=row.id,
        purpose=KeyPurpose(row.purpose),
        data_class=DataClass(row.data_class),
        agency=row.agency,
        period_start=row.period_start,
        period_end=row.period_end,
        hold_id=row.hold_id,
    )


class KeyService:
    """Gets, creates, caches and destroys data and index keys."""

    def __init__(
        self,
        db: Database,
        vault: KeyVault,
        policies: RetentionPolicies,
        cache_seconds: int = 300,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.db = db
        self.vault = vault
        self.policies = policies
        self.clock = clock
        self._ttl = float(cache_seconds)
        self._lock = threading.Lock()
        self._by_scope: dict[str, tuple[ActiveKey, float]] = {}
        # The ingest path asks for the same few keys thousands of times a
        # second: a tuple lookup, before any date arithmetic or formatting.
        self._fast: dict[tuple[object, ...], tuple[ActiveKey, float]] = {}
        self._by_id: dict[int, tuple[ActiveKey, float]] = {}
        self._sealer: BlobSealer | None = None
        self._catalogue: tuple[list[tuple[int, datetime | None, datetime | None]], float] | None
        self._catalogue = None

    # -- policies -------------------------------------------------------------

    def policy(self, data_class: DataClass) -> RetentionPolicy:
        if data_class not in PERIODIC_CLASSES:
            raise ValueError(f"{data_class} has no retention period")
        policy: RetentionPolicy = getattr(self.policies, data_class.value)
        return policy

    def expiry(self, data_class: DataClass, at: datetime) -> datetime:
        """When data of ``data_class`` captured at ``at`` is destroyed."""
        policy = self.policy(data_class)
        _, end = period_bounds(policy, at)
        return end + timedelta(days=policy.keep_days)

    # -- getting keys -------------------------------------------------------------

    def data_key(
        self, data_class: DataClass, agency: str | None, at: datetime | None = None
    ) -> ActiveKey:
        """The data key for ``agency``'s data of ``data_class`` captured at ``at``."""
        return self._get_or_create(KeyPurpose.DATA, data_class, agency, at, None)

    def index_key(self, data_class: DataClass, at: datetime | None = None) -> ActiveKey:
        """The blind-index key for ``data_class`` at ``at`` (shared by agencies)."""
        return self._get_or_create(KeyPurpose.INDEX, data_class, None, at, None)

    def hold_keys(self, hold_id: int) -> tuple[ActiveKey, ActiveKey]:
        """(data key, index key) of a legal hold."""
        return (
            self._get_or_create(KeyPurpose.DATA, DataClass.HOLD, None, None, hold_id),
            self._get_or_create(KeyPurpose.INDEX, DataClass.HOLD, None, None, hold_id),
        )

    def by_ids(self, key_ids: Iterable[int]) -> dict[int, ActiveKey]:
        """Unwrapped keys by catalogue id; destroyed or unknown ids are left out."""
        now = time.monotonic()
        out: dict[int, ActiveKey] = {}
        missing: list[int] = []
        with self._lock:
            for key_id in set(key_ids):
                cached = self._by_id.get(key_id)
                if cached is not None and cached[1] > now:
                    out[key_id] = cached[0]
                else:
                    missing.append(key_id)
        if not missing:
            return out
        with self.db.read() as session:
            rows = session.scalars(
                select(DataKey).where(
                    DataKey.id.in_(missing), DataKey.state == KeyState.ACTIVE.value
                )
            ).all()
        material = self.vault.get_many(row.vault_handle for row in rows)
        for row in rows:
            if row.vault_handle in material:
                key = self._remember(row.scope, row, material[row.vault_handle])
                out[row.id] = key
        return out

    def by_id(self, key_id: int) -> ActiveKey:
        found = self.by_ids([key_id]).get(key_id)
        if found is None:
            raise KeyUnavailable(f"data key {key_id} has been destroyed")
        return found

    def search_windows(self, start: datetime, end: datetime) -> list[IndexWindow]:
        """Index keys whose data may hold reads captured in ``[start, end)``:
        the periodic ones overlapping the window, and those of active holds."""
        catalogue = self._searchable_catalogue()
        wanted = [
            (key_id, lo, hi)
            for key_id, lo, hi in catalogue
            if (lo is None or lo < end) and (hi is None or hi > start)
        ]
        keys = self.by_ids(key_id for key_id, _lo, _hi in wanted)
        windows = []
        for key_id, lo, hi in wanted:
            key = keys.get(key_id)
            if key is None:
                continue
            windows.append(
                IndexWindow(key, max(start, lo) if lo else start, min(end, hi) if hi else end)
            )
        return windows

    def _searchable_catalogue(
        self,
    ) -> list[tuple[int, datetime | None, datetime | None]]:
        """(id, period start, period end) of every live index key a search may
        need. A few hundred rows a year, cached for a few seconds: every
        search needs them, and they change once a day. A key made by another
        process shows up here within ``_CATALOGUE_SECONDS``."""
        now = time.monotonic()
        cached = self._catalogue
        if cached is not None and cached[1] > now:
            return cached[0]
        query = select(DataKey.id, DataKey.period_start, DataKey.period_end).where(
            DataKey.purpose == KeyPurpose.INDEX.value,
            DataKey.state == KeyState.ACTIVE.value,
            or_(
                DataKey.data_class.in_([c.value for c in SEARCHABLE_CLASSES]),
                and_(
                    DataKey.data_class == DataClass.HOLD.value,
                    DataKey.hold_id.in_(
                        select(LegalHold.id).where(LegalHold.released_at.is_(None))
                    ),
                ),
            ),
        )
        with self.db.engine.connect() as conn:
            rows = [(row[0], row[1], row[2]) for row in conn.execute(query)]
        self._catalogue = (rows, now + _CATALOGUE_SECONDS)
        return rows

    # -- destroying keys ------------------------------------------------------------

    def expired(self, now: datetime | None = None) -> list[KeyRef]:
        """Active periodic keys whose data has outlived its retention policy."""
        now = now or self.clock()
        found: list[KeyRef] = []
        with self.db.read() as session:
            for data_class in PERIODIC_CLASSES:
                cutoff = now - timedelta(days=self.policy(data_class).keep_days)
                rows = session.scalars(
                    select(DataKey).where(
                        DataKey.data_class == data_class.value,
                        DataKey.state == KeyState.ACTIVE.value,
                        DataKey.period_end <= cutoff,
                    )
                ).all()
                found.extend(_ref(row) for row in rows)
        return found

    def destroy(self, key_ids: Iterable[int]) -> int:
        """Destroy key material in the vault, then mark the keys destroyed.

        Material goes first: should the catalogue update fail, the key is
        already unusable, and the next run marks it."""
        wanted = sorted(set(key_ids))
        if not wanted:
            return 0
        with self.db.read() as session:
            handles = session.scalars(
                select(DataKey.vault_handle).where(DataKey.id.in_(wanted))
            ).all()
        self.vault.destroy(handles)
        with self.db.write() as session:
            session.execute(
                update(DataKey)
                .where(DataKey.id.in_(wanted))
                .values(state=KeyState.DESTROYED.value, destroyed_at=self.clock())
            )
        self._catalogue = None
        with self._lock:
            self._fast.clear()
            for key_id in wanted:
                cached = self._by_id.pop(key_id, None)
                if cached is not None:
                    self._by_scope.pop(_scope_of(cached[0].ref), None)
        logger.info("destroyed %d data key(s)", len(wanted))
        return len(wanted)

    # -- system keys --------------------------------------------------------------

    def blob_sealer(self) -> BlobSealer:
        if self._sealer is None:
            self._sealer = BlobSealer(
                self.vault.system_key("blob-address"), self.vault.system_key("blob-content")
            )
        return self._sealer

    def signer(self) -> Signer:
        return Signer(self.vault.system_key("signing-ed25519", Signer.new_seed))

    def clear_cache(self) -> None:
        self._catalogue = None
        with self._lock:
            self._fast.clear()
            self._by_scope.clear()
            self._by_id.clear()

    # -- internals ----------------------------------------------------------------

    def _get_or_create(
        self,
        purpose: KeyPurpose,
        data_class: DataClass,
        agency: str | None,
        at: datetime | None,
        hold_id: int | None,
    ) -> ActiveKey:
        day = int((at or self.clock()).timestamp() // 86_400)
        fast_key = (purpose, data_class, agency, hold_id, day)
        cached = self._fast.get(fast_key)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        key = self._get_or_create_slow(purpose, data_class, agency, at, hold_id)
        with self._lock:
            if len(self._fast) > 10_000:
                self._fast.clear()
            self._fast[fast_key] = (key, time.monotonic() + self._ttl)
        return key

    def _get_or_create_slow(
        self,
        purpose: KeyPurpose,
        data_class: DataClass,
        agency: str | None,
        at: datetime | None,
        hold_id: int | None,
    ) -> ActiveKey:
        if data_class in PERIODIC_CLASSES:
            start, end = period_bounds(self.policy(data_class), at or self.clock())
            period: tuple[datetime, datetime] | None = (start, end)
        else:
            period = None
        scope = _scope(purpose, data_class, agency, period[0] if period else None, hold_id)
        with self._lock:
            cached = self._by_scope.get(scope)
            if cached is not None and cached[1] > time.monotonic():
                return cached[0]
        for _attempt in range(3):
            key = self._load(scope)
            if key is not None:
                return key
            handle, material = self.vault.new_key()
            try:
                with self.db.write() as session:
                    row = DataKey(
                        scope=scope,
                        purpose=purpose.value,
                        data_class=data_class.value,
                        agency=agency,
                        period_start=period[0] if period else None,
                        period_end=period[1] if period else None,
                        hold_id=hold_id,
                        vault_handle=handle,
                        state=KeyState.ACTIVE.value,
                        created_at=self.clock(),
                    )
                    session.add(row)
                    session.flush()
                logger.info("created %s key %d for %s", purpose, row.id, data_class)
                self._catalogue = None
                return self._remember(scope, row, material)
            except IntegrityError:
                # Another process made the same key first: use theirs.
                self.vault.destroy([handle])
        raise KeyUnavailable(f"could not create a {purpose} key for {data_class}")

    def _load(self, scope: str) -> ActiveKey | None:
        with self.db.read() as session:
            row = session.scalars(select(DataKey).where(DataKey.scope == scope)).first()
        if row is None:
            return None
        if row.state != KeyState.ACTIVE.value:
            raise KeyUnavailable(
                f"the {row.data_class} key of this period was destroyed: the data is past "
                "its retention period"
            )
        return self._remember(scope, row, self.vault.get(row.vault_handle))

    def _remember(self, scope: str, row: DataKey, material: bytes) -> ActiveKey:
        key = ActiveKey(_ref(row), material, DataCipher(row.id, material), BlindIndexer(material))
        expires = time.monotonic() + self._ttl
        with self._lock:
            self._by_scope[scope] = (key, expires)
            self._by_id[row.id] = (key, expires)
        return key


def _scope_of(ref: KeyRef) -> str:
    return _scope(ref.purpose, ref.data_class, ref.agency, ref.period_start, ref.hold_id)
