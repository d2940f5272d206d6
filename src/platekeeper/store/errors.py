"""Errors of the store, worded for whoever sent the bad input."""

from __future__ import annotations


class StoreError(Exception):
    """Base class of store errors."""


class InvalidRead(StoreError):
    """A read the store refuses; nothing of its batch was written."""

    def __init__(self, reason: str, index: int | None = None) -> None:
        self.reason = reason
        self.index = index
        where = f"read {index}: " if index is not None else ""
        super().__init__(f"{where}{reason}")


class UnknownCamera(InvalidRead):
    """The read names a camera the store does not know."""


class InvalidInput(StoreError, ValueError):
    """A bad argument to a repository (plate, pattern, camera spec …)."""


class NotFound(StoreError, LookupError):
    """No such record (or no longer: destroyed by retention)."""
