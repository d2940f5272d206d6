"""ORM models of the store, all on ``platekeeper.store.base.Base``.

Importing this package registers every store table on ``Base.metadata``
(Alembic's target).
"""

from platekeeper.store.models.cameras import (
    Camera,
    CameraKey,
    CameraNeighbour,
    IngestNonce,
    IngestReceipt,
)
from platekeeper.store.models.keys import DataKey, IdBlock, LegalHold
from platekeeper.store.models.queue import QueuedJob
from platekeeper.store.models.reads import EvidenceBlob, Read, ReadEvidence
from platekeeper.store.models.registry import Hotlist, HotlistEntry, Vehicle

__all__ = [
    "Camera",
    "CameraKey",
    "CameraNeighbour",
    "DataKey",
    "EvidenceBlob",
    "Hotlist",
    "HotlistEntry",
    "IdBlock",
    "IngestNonce",
    "IngestReceipt",
    "LegalHold",
    "QueuedJob",
    "Read",
    "ReadEvidence",
    "Vehicle",
]
