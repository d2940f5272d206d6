"""What Alembic compares and creates: every table on ``Base.metadata``.

Rooms that add tables on ``Base`` import their model modules in
``load_models`` so that migrations and the schema check see them.
"""

from __future__ import annotations

import re

from sqlalchemy import ForeignKeyConstraint, MetaData

from platekeeper.store.base import Base

# Monthly partitions of `reads` on PostgreSQL are made at run time, not by
# migrations; the schema comparison leaves them out.
PARTITION_NAME = re.compile(r"^reads_p\d{6}$")


def load_models() -> MetaData:
    """Import every model module and return the metadata they fill."""
    import platekeeper.audit.models
    import platekeeper.auth.models
    import platekeeper.review.models
    import platekeeper.rules.signal_store
    import platekeeper.store.models  # noqa: F401

    return Base.metadata


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, _compare_to: object
) -> bool:
    """Alembic filter: skip the per-partition copies PostgreSQL makes of a
    foreign key that points at ``reads``."""
    if type_ == "foreign_key_constraint" and reflected and isinstance(obj, ForeignKeyConstraint):
        return not PARTITION_NAME.match(obj.referred_table.name)
    return True


def include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    """Alembic filter: skip run-time partitions of ``reads``."""
    return not (type_ == "table" and name is not None and PARTITION_NAME.match(name))
