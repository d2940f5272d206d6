"""User names and region codes: what they may look like."""

from __future__ import annotations

import re

from platekeeper.auth.errors import InvalidInputError

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")


def normalise_username(raw: str) -> str | None:
    """The canonical (lower-case) form, or None when ``raw`` cannot be a user name."""
    name = raw.strip().lower()
    return name if _USERNAME.match(name) else None


def require_username(raw: str) -> str:
    name = normalise_username(raw)
    if name is None:
        raise InvalidInputError(
            "A user name has 3 to 64 characters: letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        )
    return name


def require_code(raw: str, what: str) -> str:
    value = raw.strip()
    if not _CODE.match(value):
        raise InvalidInputError(
            f"The {what} has 1 to 64 characters: letters, digits, spaces, '.', '_' or '-'."
        )
    return value
