"""Camera request-signing keys (sealed), the nonces of signed requests, and
the receipts that make camera ingest idempotent, and the embedded work queue.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from platekeeper.store.types import UtcDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "camera_keys",
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("sealed_secret", sa.LargeBinary(length=128), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_camera_keys_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_camera_keys")),
    )
    op.create_index(op.f("ix_camera_keys_camera_id"), "camera_keys", ["camera_id"], unique=False)
    op.create_table(
        "ingest_nonces",
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("seen_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key_id", "nonce", name=op.f("pk_ingest_nonces")),
    )
    op.create_index(op.f("ix_ingest_nonces_seen_at"), "ingest_nonces", ["seen_at"], unique=False)
    op.create_table(
        "ingest_receipts",
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("key_digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("read_id", sa.BigInteger(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_ingest_receipts_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("camera_id", "key_digest", name=op.f("pk_ingest_receipts")),
    )
    op.create_index(
        op.f("ix_ingest_receipts_received_at"), "ingest_receipts", ["received_at"], unique=False
    )

    op.create_table(
        "work_queue",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(length=160), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("enqueued_at", UtcDateTime(), nullable=False),
        sa.Column("available_at", UtcDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_queue")),
        sa.UniqueConstraint("message_id", name=op.f("uq_work_queue_message_id")),
    )
    op.create_index(
        op.f("ix_work_queue_available_at"), "work_queue", ["available_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_work_queue_available_at"), table_name="work_queue")
    op.drop_table("work_queue")
    op.drop_index(op.f("ix_ingest_receipts_received_at"), table_name="ingest_receipts")
    op.drop_table("ingest_receipts")
    op.drop_index(op.f("ix_ingest_nonces_seen_at"), table_name="ingest_nonces")
    op.drop_table("ingest_nonces")
    op.drop_index(op.f("ix_camera_keys_camera_id"), table_name="camera_keys")
    op.drop_table("camera_keys")
