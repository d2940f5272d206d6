"""The embedded work queue: frames from cameras waiting for central recognition."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from platekeeper.store.base import Base
from platekeeper.store.types import UtcDateTime


class QueuedJob(Base):
    """One message; ``available_at`` is when it may be taken (again): a taken
    message is leased, and comes back if its worker dies before finishing."""

    __tablename__ = "work_queue"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(160), unique=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    enqueued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    available_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer)
