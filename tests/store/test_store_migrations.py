"""Migrations: `upgrade head` gives exactly the schema of the models, on both
databases, and the comparison does notice a difference."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from store_testkit import StoreEnv

from platekeeper.store.engine import make_engine
from platekeeper.store.errors import StoreError
from platekeeper.store.facade import open_store
from platekeeper.store.migrate import current_revision, head_revision, schema_differences, upgrade


def test_upgrade_head_matches_the_models(env: StoreEnv) -> None:
    engine = make_engine(env.database_url)
    try:
        assert current_revision(engine) == head_revision()
        assert schema_differences(engine) == []
        tables = set(inspect(engine).get_table_names())
        assert {"reads", "cameras", "data_keys", "evidence_blobs", "vehicles"} <= tables
        # The key vault is a separate database: no key table here.
        assert "vault_keys" not in tables
    finally:
        engine.dispose()


def test_comparison_notices_a_missing_index(env: StoreEnv) -> None:
    engine = make_engine(env.database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_reads_plate_exact_captured_at"))
        differences = schema_differences(engine)
        assert any("ix_reads_plate_exact_captured_at" in repr(d) for d in differences)
    finally:
        engine.dispose()


def test_upgrade_is_idempotent(env: StoreEnv) -> None:
    engine = make_engine(env.database_url)
    try:
        before, after = upgrade(engine)
        assert before == after == head_revision()
    finally:
        engine.dispose()


def test_partitions_do_not_count_as_differences(env: StoreEnv) -> None:
    from datetime import UTC, datetime

    store = env.open()
    store.partitions.ensure([datetime(2026, 1, 15, tzinfo=UTC)])
    assert schema_differences(store.db.engine) == []
    if env.backend == "postgresql":
        assert {"reads_p202601", "reads_p202602"} <= store.partitions.existing()
        with store.db.read() as session:
            kind = session.execute(
                text(
                    "SELECT relkind FROM pg_class WHERE relname = 'reads' AND relnamespace = "
                    "(SELECT oid FROM pg_namespace WHERE nspname = current_schema())"
                )
            ).scalar()
        assert kind == "p"  # partitioned


def test_store_refuses_an_unmigrated_database(env: StoreEnv) -> None:
    from dataclasses import replace

    config = env.config()
    url = f"sqlite:///{env.data_dir}/empty.db"
    empty = replace(config, store=config.store.model_copy(update={"database_url": url}))
    with pytest.raises(StoreError, match="platekeeper migrate"):
        open_store(empty)
