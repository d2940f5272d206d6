"""Store tables: cameras, keys, reads, evidence, registry, hotlists, legal holds.

On PostgreSQL `reads` is created as a range-partitioned table; its monthly
partitions are made at run time (store/partitions.py).

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from platekeeper.store.types import UtcDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cameras",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("bank", sa.String(length=64), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("heading", sa.Float(), nullable=True),
        sa.Column("direction", sa.String(length=32), nullable=True),
        sa.Column("lanes", sa.JSON(), nullable=False),
        sa.Column("road_segment", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cameras")),
        sa.UniqueConstraint("code", name=op.f("uq_cameras_code")),
    )
    op.create_index(op.f("ix_cameras_bank"), "cameras", ["bank"], unique=False)

    op.create_table(
        "hotlists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotlists")),
        sa.UniqueConstraint("name", name=op.f("uq_hotlists_name")),
    )
    op.create_table(
        "id_blocks",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("next_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_id_blocks")),
    )
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_number", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("released_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_holds")),
        sa.UniqueConstraint("case_number", name=op.f("uq_legal_holds_case_number")),
    )
    op.create_table(
        "camera_neighbours",
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("neighbour_id", sa.Integer(), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_camera_neighbours_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["neighbour_id"],
            ["cameras.id"],
            name=op.f("fk_camera_neighbours_neighbour_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("camera_id", "neighbour_id", name=op.f("pk_camera_neighbours")),
    )
    op.create_table(
        "data_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.String(length=8), nullable=False),
        sa.Column("data_class", sa.String(length=16), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=True),
        sa.Column("period_start", UtcDateTime(), nullable=True),
        sa.Column("period_end", UtcDateTime(), nullable=True),
        sa.Column("hold_id", sa.Integer(), nullable=True),
        sa.Column("vault_handle", sa.LargeBinary(length=16), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("destroyed_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["hold_id"], ["legal_holds.id"], name=op.f("fk_data_keys_hold_id_legal_holds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_keys")),
        sa.UniqueConstraint("scope", name=op.f("uq_data_keys_scope")),
        sa.UniqueConstraint("vault_handle", name=op.f("uq_data_keys_vault_handle")),
    )
    op.create_index(op.f("ix_data_keys_hold_id"), "data_keys", ["hold_id"], unique=False)
    op.create_index(op.f("ix_data_keys_state"), "data_keys", ["state"], unique=False)

    op.create_table(
        "evidence_blobs",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("address", sa.LargeBinary(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data_key_id", sa.Integer(), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("captured_at", UtcDateTime(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["data_key_id"], ["data_keys.id"], name=op.f("fk_evidence_blobs_data_key_id_data_keys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_blobs")),
        sa.UniqueConstraint("address", name=op.f("uq_evidence_blobs_address")),
    )
    op.create_index(
        op.f("ix_evidence_blobs_data_key_id"), "evidence_blobs", ["data_key_id"], unique=False
    )

    op.create_table(
        "hotlist_entries",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hotlist_id", sa.Integer(), nullable=False),
        sa.Column("data_key_id", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("plate_exact", sa.BigInteger(), nullable=True),
        sa.Column("wildcard", sa.Boolean(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["data_key_id"], ["data_keys.id"], name=op.f("fk_hotlist_entries_data_key_id_data_keys")
        ),
        sa.ForeignKeyConstraint(
            ["hotlist_id"],
            ["hotlists.id"],
            name=op.f("fk_hotlist_entries_hotlist_id_hotlists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotlist_entries")),
    )
    op.create_index(
        op.f("ix_hotlist_entries_hotlist_id"), "hotlist_entries", ["hotlist_id"], unique=False
    )
    op.create_index(
        op.f("ix_hotlist_entries_plate_exact"), "hotlist_entries", ["plate_exact"], unique=False
    )

    op.create_table(
        "reads",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("captured_at", UtcDateTime(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("data_key_id", sa.Integer(), nullable=False),
        sa.Column("plate_exact", sa.BigInteger(), nullable=False),
        sa.Column("plate_fuzzy", sa.BigInteger(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("country", sa.String(length=3), nullable=True),
        sa.Column("hit", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_reads_camera_id_cameras")
        ),
        sa.ForeignKeyConstraint(
            ["data_key_id"], ["data_keys.id"], name=op.f("fk_reads_data_key_id_data_keys")
        ),
        sa.PrimaryKeyConstraint("id", "captured_at", name=op.f("pk_reads")),
        postgresql_partition_by="RANGE (captured_at)",
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_reads_camera_id_captured_at", "reads", ["camera_id", "captured_at"], unique=False
    )
    op.create_index("ix_reads_data_key_id", "reads", ["data_key_id"], unique=False)
    op.create_index(
        "ix_reads_plate_exact_captured_at", "reads", ["plate_exact", "captured_at"], unique=False
    )
    op.create_index(
        "ix_reads_plate_fuzzy_captured_at", "reads", ["plate_fuzzy", "captured_at"], unique=False
    )

    op.create_table(
        "vehicles",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("country", sa.String(length=3), nullable=False),
        sa.Column("plate_exact", sa.BigInteger(), nullable=False),
        sa.Column("plate_fuzzy", sa.BigInteger(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("data_key_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("vehicle_class", sa.String(length=32), nullable=True),
        sa.Column("restrictions", sa.JSON(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('registered', 'expired', 'unregistered', 'stolen')",
            name=op.f("ck_vehicles_status"),
        ),
        sa.ForeignKeyConstraint(
            ["data_key_id"], ["data_keys.id"], name=op.f("fk_vehicles_data_key_id_data_keys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicles")),
        sa.UniqueConstraint("plate_exact", "country", name="uq_vehicles_plate_exact_country"),
    )
    op.create_index(op.f("ix_vehicles_plate_fuzzy"), "vehicles", ["plate_fuzzy"], unique=False)

    op.create_table(
        "read_evidence",
        sa.Column("read_id", sa.BigInteger(), nullable=False),
        sa.Column("blob_id", sa.BigInteger(), nullable=False),
        sa.Column("captured_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["blob_id"],
            ["evidence_blobs.id"],
            name=op.f("fk_read_evidence_blob_id_evidence_blobs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["read_id", "captured_at"],
            ["reads.id", "reads.captured_at"],
            name="fk_read_evidence_read_id_reads",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("read_id", "blob_id", name=op.f("pk_read_evidence")),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_read_evidence_blob_id"), "read_evidence", ["blob_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_read_evidence_blob_id"), table_name="read_evidence")

    op.drop_table("read_evidence")
    op.drop_index(op.f("ix_vehicles_plate_fuzzy"), table_name="vehicles")

    op.drop_table("vehicles")
    op.drop_index("ix_reads_plate_fuzzy_captured_at", table_name="reads")
    op.drop_index("ix_reads_plate_exact_captured_at", table_name="reads")
    op.drop_index("ix_reads_data_key_id", table_name="reads")
    op.drop_index("ix_reads_camera_id_captured_at", table_name="reads")

    op.drop_table("reads")
    op.drop_index(op.f("ix_hotlist_entries_plate_exact"), table_name="hotlist_entries")
    op.drop_index(op.f("ix_hotlist_entries_hotlist_id"), table_name="hotlist_entries")

    op.drop_table("hotlist_entries")
    op.drop_index(op.f("ix_evidence_blobs_data_key_id"), table_name="evidence_blobs")

    op.drop_table("evidence_blobs")
    op.drop_index(op.f("ix_data_keys_state"), table_name="data_keys")
    op.drop_index(op.f("ix_data_keys_hold_id"), table_name="data_keys")

    op.drop_table("data_keys")
    op.drop_table("camera_neighbours")
    op.drop_table("legal_holds")
    op.drop_table("id_blocks")
    op.drop_table("hotlists")
    op.drop_index(op.f("ix_cameras_bank"), table_name="cameras")

    op.drop_table("cameras")
