"""Opening the whole store from settings: database, vault, keys, evidence,
repositories — one object the services and commands share (no globals)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr

from platekeeper.crypto.master import load_keyring
from platekeeper.crypto.settings import KeySettings
from platekeeper.crypto.vault import KeyVault
from platekeeper.store.cameras import CameraRepository
from platekeeper.store.engine import Database
from platekeeper.store.errors import StoreError
from platekeeper.store.evidence.backends import open_backend
from platekeeper.store.evidence.sealing import EvidenceStore
from platekeeper.store.hotlists import HotlistRepository
from platekeeper.store.ids import IdAllocator
from platekeeper.store.keys import KeyService
from platekeeper.store.migrate import current_revision, head_revision
from platekeeper.store.partitions import PartitionManager
from platekeeper.store.reads import ReadStore
from platekeeper.store.registry import RegistryRepository
from platekeeper.store.rekey import Rekeyer
from platekeeper.store.search import SearchGuard, SearchService
from platekeeper.store.settings import StoreSettings
from platekeeper.store.types import utc_now

if TYPE_CHECKING:
    from platekeeper.config import Settings


@dataclass(frozen=True)
class StoreConfig:
    """The parts of the settings the store needs."""

    data_dir: Path
    store: StoreSettings
    keys: KeySettings
    master_key: SecretStr | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> StoreConfig:
        return cls(settings.data_dir, settings.store, settings.keys, settings.master_key)

    @property
    def master_key_file(self) -> Path:
        return self.keys.master_key_file or self.data_dir / "keys" / "master.key"

    @property
    def vault_url(self) -> str:
        return (
            self.keys.vault_url or f"sqlite:///{(self.data_dir / 'keys' / 'vault.db').absolute()}"
        )

    @property
    def database_url(self) -> str:
        return self.store.resolved_database_url(self.data_dir)

    @property
    def evidence_url(self) -> str:
        return self.store.resolved_evidence_url(self.data_dir)


@dataclass
class Store:
    """Everything the store offers, wired together."""

    config: StoreConfig
    db: Database
    vault: KeyVault
    keys: KeyService
    cameras: CameraRepository
    evidence: EvidenceStore
    ids: IdAllocator
    partitions: PartitionManager
    reads: ReadStore
    rekey: Rekeyer
    registry: RegistryRepository
    hotlists: HotlistRepository
    clock: Callable[[], datetime]

    def search_service(self, guard: SearchGuard) -> SearchService:
        """A search service whose every call passes through ``guard``."""
        return SearchService(self.reads, self.keys, self.cameras, self.config.store, guard)

    def close(self) -> None:
        self.evidence.close()
        self.db.dispose()
        self.vault.dispose()


def open_store(
    config: StoreConfig,
    *,
    db: Database | None = None,
    clock: Callable[[], datetime] = utc_now,
    check_schema: bool = True,
) -> Store:
    """Open the store. Refuses a database whose schema is not migrated to head."""
    keyring = load_keyring(
        config.master_key.get_secret_value() if config.master_key is not None else None,
        config.master_key_file,
    )
    db = db or Database.from_url(config.database_url)
    if check_schema:
        current, head = current_revision(db.engine), head_revision()
        if current != head:
            db.dispose()
            raise StoreError(
                f"the database schema is at {current or 'nothing'}, this version needs {head}: "
                "run `platekeeper migrate`"
            )
    vault = KeyVault.open(config.vault_url, keyring)
    settings = config.store
    keys = KeyService(db, vault, settings.retention, config.keys.cache_seconds, clock)
    cameras = CameraRepository(db, clock)
    backend = open_backend(
        config.evidence_url,
        fsync=settings.evidence_fsync,
        s3_endpoint_url=settings.s3_endpoint_url,
        s3_region=settings.s3_region,
    )
    evidence = EvidenceStore(backend, keys.blob_sealer())
    ids = IdAllocator(db)
    partitions = PartitionManager(db)
    reads = ReadStore(
        db,
        keys=keys,
        cameras=cameras,
        evidence=evidence,
        ids=ids,
        partitions=partitions,
        settings=settings,
        clock=clock,
    )
    return Store(
        config=config,
        db=db,
        vault=vault,
        keys=keys,
        cameras=cameras,
        evidence=evidence,
        ids=ids,
        partitions=partitions,
        reads=reads,
        rekey=Rekeyer(reads),
        registry=RegistryRepository(db, keys, ids, clock),
        hotlists=HotlistRepository(db, keys, ids, clock),
        clock=clock,
    )
