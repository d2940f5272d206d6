"""Password hashing (Argon2id) and the password policy.

Hashing goes through argon2-cffi with the parameters of the ``auth``
settings; a stored hash made with other parameters is re-made at the next
successful sign-in. Sign-in for an unknown user still runs one Argon2id
verification against a dummy hash, so the answer takes as long whether the
user exists or not.

The policy follows NIST SP 800-63B: a minimum length, no composition rules,
and a refusal of known common passwords (``common_passwords.txt``) — matched
after lower-casing, undoing simple letter-for-digit swaps and stripping
digits and symbols from both ends, so that ``Password1234!`` counts as
``password``.
"""

from __future__ import annotations

import logging
import re
import secrets
from functools import cache
from importlib import resources

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from platekeeper.auth.settings import AuthSettings

logger = logging.getLogger(__name__)

MAX_PASSWORD_LENGTH = 256
_LEET = str.maketrans(
    {"@": "a", "4": "a", "0": "o", "1": "i", "3": "e", "5": "s", "$": "s", "7": "t", "!": "i"}
)
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")


class PasswordPolicyError(ValueError):
    """The password is not acceptable; the message says why, for the user."""


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files("platekeeper.auth").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def _variants(password: str) -> set[str]:
    lowered = password.lower()
    variants = {lowered, lowered.translate(_LEET)}
    for value in list(variants):
        stripped = _EDGES.sub("", value)
        if stripped:
            variants.add(stripped)
            variants.add(stripped.translate(_LEET))
    return variants


def _repeats_a_short_unit(password: str) -> bool:
    for size in range(1, len(password) // 2 + 1):
        if len(password) % size == 0 and password[:size] * (len(password) // size) == password:
            return True
    return False


def check_password_policy(
    password: str, settings: AuthSettings, *, username: str = "", display_name: str = ""
) -> None:
    """Raise ``PasswordPolicyError`` if ``password`` may not be used."""
    if len(password) < settings.min_password_length:
        raise PasswordPolicyError(
            f"The password must have at least {settings.min_password_length} characters."
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordPolicyError(
            f"The password may have at most {MAX_PASSWORD_LENGTH} characters."
        )
    if password.strip() != password or not password.isprintable():
        raise PasswordPolicyError(
            "The password may not start or end with spaces or contain control characters."
        )
    lowered = password.lower()
    if len(set(lowered)) <= 3 or _repeats_a_short_unit(lowered):
        raise PasswordPolicyError("The password repeats too few characters; choose another.")
    if _variants(password) & common_passwords():
        raise PasswordPolicyError("This password is too common; choose another.")
    for name in (username, display_name):
        if len(name) >= 3 and name.lower() in lowered:
            raise PasswordPolicyError("The password may not contain your user name.")


class Passwords:
    """Argon2id hashing with the configured parameters."""

    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )
        # Made once per instance: the hash of a random string nobody knows.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(24))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, password)
        except VerifyMismatchError:
            return False
        except (InvalidHashError, VerificationError):
            logger.warning("a stored password hash could not be verified (corrupt or foreign)")
            return False

    def verify_unknown_user(self, password: str) -> None:
        """Spend the time a real verification takes; the answer is always no."""
        self.verify(self._dummy_hash, password)

    def needs_rehash(self, stored_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except InvalidHashError:
            return True

    def check_policy(self, password: str, *, username: str = "", display_name: str = "") -> None:
        check_password_policy(password, self.settings, username=username, display_name=display_name)


def one_time_password() -> str:
    """A random password for a new or reset account (must be changed at first use).

    Twenty characters of an alphabet without look-alikes: about 115 bits.
    """
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(20))
        # Re-draw in the (rare) case the policy's repetition check would trip.
        if len(set(candidate.lower())) > 3:
            return candidate
