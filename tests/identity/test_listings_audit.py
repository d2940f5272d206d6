"""A hotlist or registry change and its audit entry commit together, or
neither does: the store and the log on one database (as ``serve`` opens it,
two handles on one SQLite file, or one PostgreSQL schema), with the database
itself refusing a write as a full disk or a lost connection would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from identity_helpers import Clock
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from platekeeper.audit.log import AuditLog
from platekeeper.audit.models import AuditEntry
from platekeeper.crypto.master import MasterKey, write_key_file
from platekeeper.crypto.settings import KeySettings
from platekeeper.store.engine import Database, make_engine
from platekeeper.store.facade import Store, StoreConfig, open_store
from platekeeper.store.migrate import upgrade
from platekeeper.store.settings import StoreSettings
from platekeeper.web.listings import Actor, Listings

PLATE = "01A123BC"
CSV = f"plate,status,country,vehicle_class\n{PLATE},stolen,UZ,car\n"
ACTOR = Actor("cli:tester")


@pytest.fixture
def store(tmp_path: Path, empty_database_url: str, clock: Clock) -> Iterator[Store]:
    engine = make_engine(empty_database_url)
    upgrade(engine)
    engine.dispose()
    write_key_file(tmp_path / "keys" / "master.key", MasterKey.generate())
    config = StoreConfig(
        data_dir=tmp_path,
        store=StoreSettings(database_url=empty_database_url),
        keys=KeySettings(),
    )
    opened = open_store(config, clock=clock)
    yield opened
    opened.close()


@pytest.fixture
def audit_db(store: Store) -> Iterator[Database]:
    """The log's own handle on the store's database, as serve opens it."""
    db = Database.from_url(store.db.engine.url.render_as_string(hide_password=False))
    yield db
    db.dispose()


@pytest.fixture
def listings(store: Store, audit_db: Database) -> Listings:
    return Listings(store, audit_db, AuditLog())


def refuse(db: Database, table: str, operation: str) -> None:
    """Make the database refuse every ``operation`` on ``table`` from now on."""
    name = f"refuse_{table}_{operation.lower()}"
    with db.engine.begin() as conn:
        if db.is_sqlite:
            conn.execute(
                text(
                    f"CREATE TRIGGER {name} BEFORE {operation} ON {table} "
                    "BEGIN SELECT RAISE(ABORT, 'write refused'); END"
                )
            )
            return
        conn.execute(
            text(
                "CREATE OR REPLACE FUNCTION refuse_write() RETURNS trigger LANGUAGE plpgsql "
                "AS $$ BEGIN RAISE EXCEPTION 'write refused'; END $$"
            )
        )
        conn.execute(
            text(
                f"CREATE TRIGGER {name} BEFORE {operation} ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION refuse_write()"
            )
        )


def actions(db: Database) -> list[str]:
    with db.read() as s:
        return list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def test_a_refused_audit_entry_leaves_no_change(
    store: Store, audit_db: Database, listings: Listings
) -> None:
    listings.create_hotlist(ACTOR, "stolen")
    kept = listings.add_entry(ACTOR, "stolen", PLATE)
    (hotlist,) = store.hotlists.lists()
    before = actions(audit_db)
    assert before == ["hotlist.create", "hotlist.add"]

    refuse(audit_db, "audit_log", "INSERT")
    # Removals too: a change made first and undone once its entry failed
    # would stay, unrecorded, when the undo is refused as well.
    refuse(store.db, "hotlist_entries", "DELETE")

    with pytest.raises(SQLAlchemyError, match="write refused"):
        listings.create_hotlist(ACTOR, "wanted")
    with pytest.raises(SQLAlchemyError, match="write refused"):
        listings.add_entry(ACTOR, "stolen", "40Z555ZZ")
    with pytest.raises(SQLAlchemyError, match="write refused"):
        listings.remove_entry(ACTOR, kept.id)
    with pytest.raises(SQLAlchemyError, match="write refused"):
        listings.import_registry_text(ACTOR, CSV)

    assert [h.name for h in store.hotlists.lists()] == ["stolen"]
    assert [e.id for e in store.hotlists.entries(hotlist.id)] == [kept.id]
    assert store.registry.lookup(PLATE) == []
    assert actions(audit_db) == before


def test_a_refused_change_leaves_no_audit_entry(
    store: Store, audit_db: Database, listings: Listings
) -> None:
    listings.create_hotlist(ACTOR, "stolen")
    kept = listings.add_entry(ACTOR, "stolen", PLATE)
    before = actions(audit_db)

    for table, operation in (
        ("hotlists", "INSERT"),
        ("hotlist_entries", "INSERT"),
        ("hotlist_entries", "DELETE"),
        ("vehicles", "INSERT"),
    ):
        refuse(store.db, table, operation)

    with pytest.raises(SQLAlchemyError, match="write refused"):
        listings.create_hotlist(ACTOR, "wanted")
    with pytest.raises(SQLAlchemyError, match="write refused"):
        listings.add_entry(ACTOR, "stolen", "40Z555ZZ")
    with pytest.raises(SQLAlchemyError, match="write refused"):
        listings.remove_entry(ACTOR, kept.id)
    with pytest.raises(SQLAlchemyError, match="write refused"):
        listings.import_registry_text(ACTOR, CSV)

    assert actions(audit_db) == before  # no entry claims a change that did not happen
