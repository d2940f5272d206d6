"""Violations: one per offence per pass, the plate sealed, with their review steps.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from platekeeper.store.types import UtcDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "violations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("offence", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("rule_type", sa.String(length=32), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("captured_at", UtcDateTime(), nullable=False),
        sa.Column("read_id", sa.BigInteger(), nullable=True),
        sa.Column("related_read_ids", sa.String(length=500), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("data_key_id", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("claimed_by_id", sa.Integer(), nullable=True),
        sa.Column("claimed_at", UtcDateTime(), nullable=True),
        sa.Column("first_reviewer_id", sa.Integer(), nullable=True),
        sa.Column("first_decision", sa.String(length=16), nullable=True),
        sa.Column("first_reason", sa.String(length=500), nullable=False),
        sa.Column("first_at", UtcDateTime(), nullable=True),
        sa.Column("second_reviewer_id", sa.Integer(), nullable=True),
        sa.Column("second_decision", sa.String(length=16), nullable=True),
        sa.Column("second_reason", sa.String(length=500), nullable=False),
        sa.Column("second_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_violations_camera_id_cameras")
        ),
        sa.ForeignKeyConstraint(
            ["data_key_id"], ["data_keys.id"], name=op.f("fk_violations_data_key_id_data_keys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_violations")),
        sa.UniqueConstraint("key", name=op.f("uq_violations_key")),
    )
    for column in ("offence", "camera_id", "region", "captured_at", "status"):
        op.create_index(op.f(f"ix_violations_{column}"), "violations", [column], unique=False)


def downgrade() -> None:
    op.drop_table("violations")
