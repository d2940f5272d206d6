"""Password policy and hashing, TOTP codes and recovery codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from argon2 import PasswordHasher
from identity_helpers import FAST_AUTH

from platekeeper.auth import totp
from platekeeper.auth.passwords import (
    PasswordPolicyError,
    Passwords,
    check_password_policy,
    common_passwords,
    one_time_password,
)
from platekeeper.auth.sealing import SealError, SecretBox
from platekeeper.auth.settings import AuthSettings

POLICY = AuthSettings()


@pytest.mark.parametrize(
    "password",
    [
        "short",  # too short
        "elevenchars",  # 11 characters
        "password1234",  # common word with digits
        "P@ssw0rd1234!",  # leetspeak of a common word
        "Qwertyuiop12",  # keyboard walk from the list
        "aaaaaaaaaaaaaa",  # one repeated character
        "abcabcabcabcabc",  # a repeated unit
        "iloveyou!!!!!!",  # common word padded with symbols
        " leading space here",
    ],
)
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(PasswordPolicyError):
        check_password_policy(password, POLICY)


@pytest.mark.parametrize(
    "password", ["correct horse battery staple", "Tram-Lamp-Oyster-42", "zq8#Lm2!vR5p"]
)
def test_good_passwords_pass(password: str) -> None:
    check_password_policy(password, POLICY)


def test_password_may_not_contain_the_user_name() -> None:
    with pytest.raises(PasswordPolicyError, match="user name"):
        check_password_policy("xx-investigator7-yy", POLICY, username="investigator7")


def test_common_list_is_loaded_and_lower_case() -> None:
    words = common_passwords()
    assert len(words) > 300
    assert "password" in words
    assert "qwerty" in words
    assert all(w == w.lower() for w in words)


def test_one_time_passwords_are_random_and_pass_the_policy() -> None:
    seen = {one_time_password() for _ in range(50)}
    assert len(seen) == 50
    for password in seen:
        assert len(password) == 20
        check_password_policy(password, POLICY)


def test_hash_is_argon2id_and_verifies() -> None:
    passwords = Passwords(FAST_AUTH)
    stored = passwords.hash("correct horse battery staple")
    assert stored.startswith("$argon2id$")
    assert passwords.verify(stored, "correct horse battery staple")
    assert not passwords.verify(stored, "correct horse battery stapler")
    assert not passwords.verify("not a hash", "anything")


def test_rehash_needed_when_parameters_change() -> None:
    old = Passwords(FAST_AUTH)
    stored = old.hash("correct horse battery staple")
    assert not old.needs_rehash(stored)
    stronger = Passwords(FAST_AUTH.model_copy(update={"argon2_time_cost": 2}))
    assert stronger.needs_rehash(stored)
    # The default parameters are RFC 9106's second recommendation.
    assert PasswordHasher().check_needs_rehash(Passwords(AuthSettings()).hash("x" * 12)) is False


def test_totp_accepts_the_current_step_and_neighbours_only() -> None:
    secret = totp.new_secret()
    at = datetime(2026, 3, 2, 9, 0, 10, tzinfo=UTC)
    generator = pyotp.TOTP(secret)
    step = totp.time_step(at)
    assert totp.matching_step(secret, generator.at(at), at=at, last_step=None) == step
    earlier = at - timedelta(seconds=30)
    assert totp.matching_step(secret, generator.at(earlier), at=at, last_step=None) == step - 1
    too_old = at - timedelta(seconds=90)
    assert totp.matching_step(secret, generator.at(too_old), at=at, last_step=None) is None
    assert totp.matching_step(secret, "12345", at=at, last_step=None) is None
    assert totp.matching_step(secret, "abcdef", at=at, last_step=None) is None


def test_totp_step_cannot_be_replayed() -> None:
    secret = totp.new_secret()
    at = datetime(2026, 3, 2, 9, 0, 10, tzinfo=UTC)
    code = pyotp.TOTP(secret).at(at)
    step = totp.matching_step(secret, code, at=at, last_step=None)
    assert step is not None
    assert totp.matching_step(secret, code, at=at, last_step=step) is None
    # An older valid code after a newer one was used is refused too.
    older = pyotp.TOTP(secret).at(at - timedelta(seconds=30))
    assert totp.matching_step(secret, older, at=at, last_step=step) is None


def test_qr_code_is_plain_svg() -> None:
    svg = totp.qr_svg(totp.provisioning_uri(totp.new_secret(), username="ann", issuer="pk"))
    assert svg.startswith("<svg")
    assert "</svg>" in svg
    assert "<script" not in svg
    assert "style=" not in svg


def test_recovery_codes_are_unique_and_hashed_per_user() -> None:
    issued = totp.new_recovery_codes(7, 10)
    assert len(set(issued.codes)) == 10
    assert all(totp.looks_like_recovery_code(c) for c in issued.codes)
    code = issued.codes[0]
    assert totp.recovery_digest(7, code.lower().replace("-", " ")) == issued.digests[0]
    assert totp.recovery_digest(8, code) != issued.digests[0]
    assert code.encode() not in b"".join(issued.digests)


def test_sealed_secrets_are_bound_to_their_owner_and_key() -> None:
    box = SecretBox(b"k" * 32)
    sealed = box.seal(b"JBSWY3DPEHPK3PXP", "totp:1")
    assert b"JBSWY3DPEHPK3PXP" not in sealed
    assert box.open(sealed, "totp:1") == b"JBSWY3DPEHPK3PXP"
    with pytest.raises(SealError):
        box.open(sealed, "totp:2")
    with pytest.raises(SealError):
        SecretBox(b"j" * 32).open(sealed, "totp:1")
    with pytest.raises(SealError):
        box.open(sealed[:-1] + bytes([sealed[-1] ^ 1]), "totp:1")


def test_justification_needs_a_listed_reason_and_a_case_number() -> None:
    from pydantic import ValidationError

    from platekeeper.auth.justification import Justification, reason_options

    ok = Justification(reason_code="stolen_vehicle", case_number="TSH-2026/0413")
    assert ok.reason_code.value == "stolen_vehicle"
    assert {o.value.value for o in reason_options()} >= {"stolen_vehicle", "court_order"}
    for bad in (
        {"reason_code": "curiosity", "case_number": "A-123"},
        {"reason_code": "court_order", "case_number": "x"},
        {"reason_code": "court_order", "case_number": "<script>"},
    ):
        with pytest.raises(ValidationError):
            Justification.model_validate(bad)
