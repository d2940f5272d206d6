"""Constants shared by the simulation tests and their fixtures."""

from __future__ import annotations

from datetime import UTC, datetime

SEED = 7
FLEET = 2500
# Local midnight (UTC+5) starting Monday 2 March 2026.
MONDAY = datetime(2026, 3, 1, 19, 0, tzinfo=UTC)
DAYS = 4
