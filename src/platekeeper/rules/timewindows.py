"""Windows of local time of day ("22:00-06:00 on weekdays"), which may cross
midnight, and the conversion of an instant to a camera's local time.

A window that crosses midnight belongs to the day it starts on: the small
hours of Saturday are inside a "Friday 22:00-06:00" window, and outside a
"Monday to Friday" one that starts on Saturday night. Local time comes from
the IANA zone of the camera (Uzbekistan is UTC+5 all year; a zone with
summer time works the same way, the window follows the wall clock).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time
from functools import lru_cache
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; ``ValueError`` when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def parse_clock(value: object) -> time:
    """``"22:00"`` or ``"06:30:15"`` (or a ``time``) as a ``time``."""
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or not (m := _HHMM.match(value.strip())):
        raise ValueError("a time of day is written HH:MM (00:00-23:59)")
    return time(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))


def parse_day(value: object) -> int:
    """``"mon"``..``"sun"`` (or 0-6) as Python's weekday number."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
        return value
    if isinstance(value, str) and value.strip().lower()[:3] in DAY_NAMES:
        return DAY_NAMES.index(value.strip().lower()[:3])
    raise ValueError(f"a day is one of {', '.join(DAY_NAMES)}")


ClockTime = Annotated[time, BeforeValidator(parse_clock)]
Weekday = Annotated[int, BeforeValidator(parse_day)]


def _seconds(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


@dataclass(frozen=True, slots=True)
class LocalWindow:
    """From ``start`` to ``end`` local time (``end`` <= ``start`` crosses
    midnight; equal means the whole day), on ``days`` (None: every day)."""

    start: time
    end: time
    days: frozenset[int] | None = None

    def covers(self, local: datetime) -> bool:
        """Whether a local wall-clock instant falls inside the window."""
        a, b = _seconds(self.start), _seconds(self.end)
        s = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
        weekday = local.weekday()
        if a < b:
            inside, started_on = a <= s < b, weekday
        elif s >= a:
            inside, started_on = True, weekday
        elif s < b:
            inside, started_on = True, (weekday - 1) % 7
        else:
            inside, started_on = False, weekday
        return inside and (self.days is None or started_on in self.days)

    def describe(self) -> str:
        days = "" if self.days is None else " " + ",".join(DAY_NAMES[d] for d in sorted(self.days))
        return f"{self.start.strftime('%H:%M')}-{self.end.strftime('%H:%M')}{days}"


def local_time(ts: float, timezone: str) -> datetime:
    """The wall-clock time at ``ts`` (UTC seconds) in ``timezone``."""
    return datetime.fromtimestamp(ts, UTC).astimezone(zone(timezone))
