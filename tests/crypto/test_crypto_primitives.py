"""AES-GCM records and blobs, blind indexes, Ed25519 signatures."""

from __future__ import annotations

import pytest

from platekeeper.crypto import CryptoError, DecryptionFailed
from platekeeper.crypto.aead import BlobSealer, DataCipher, new_key_material, record_aad
from platekeeper.crypto.blind_index import exact_index, fuzzy_index, plate_indexes
from platekeeper.crypto.signing import PublicKey, Signer


def test_record_round_trip_and_binding() -> None:
    cipher = DataCipher(1, new_key_material())
    sealed = cipher.seal(b"01A123BC", record_aad("reads", 42))
    assert cipher.open(sealed, record_aad("reads", 42)) == b"01A123BC"
    assert b"01A123BC" not in sealed
    with pytest.raises(DecryptionFailed):
        cipher.open(sealed, record_aad("reads", 43))
    with pytest.raises(DecryptionFailed):
        cipher.open(sealed, record_aad("vehicles", 42))
    with pytest.raises(DecryptionFailed):
        DataCipher(2, new_key_material()).open(sealed, record_aad("reads", 42))
    tampered = bytearray(sealed)
    tampered[-1] ^= 1
    with pytest.raises(DecryptionFailed):
        cipher.open(bytes(tampered), record_aad("reads", 42))
    with pytest.raises(DecryptionFailed):
        cipher.open(b"\x02" + sealed[1:], record_aad("reads", 42))


def test_same_plaintext_seals_differently() -> None:
    cipher = DataCipher(1, new_key_material())
    aad = record_aad("reads", 1)
    assert cipher.seal(b"x", aad) != cipher.seal(b"x", aad)


def test_blob_sealing_is_convergent_and_keyed() -> None:
    sealer = BlobSealer(new_key_material(), new_key_material())
    address, key = sealer.address_and_key(b"image bytes")
    assert sealer.address_and_key(b"image bytes") == (address, key)
    assert BlobSealer.seal(key, b"image bytes", b"a") == BlobSealer.seal(key, b"image bytes", b"a")
    assert BlobSealer.open(key, BlobSealer.seal(key, b"image bytes", b"a"), b"a") == b"image bytes"
    with pytest.raises(DecryptionFailed):
        BlobSealer.open(key, BlobSealer.seal(key, b"image bytes", b"a"), b"b")
    other = BlobSealer(new_key_material(), new_key_material())
    assert other.address_and_key(b"image bytes")[0] != address  # addresses are keyed


def test_blind_indexes() -> None:
    key = new_key_material()
    assert exact_index(key, "01 a 123 bc") == exact_index(key, "01A123BC")
    assert exact_index(key, "01А123ВС") == exact_index(key, "01A123BC")  # Cyrillic look-alikes
    assert exact_index(key, "O1A123BC") != exact_index(key, "01A123BC")
    assert fuzzy_index(key, "O1A1Z3BC") == fuzzy_index(key, "01A123BC")
    assert fuzzy_index(key, "01A124BC") != fuzzy_index(key, "01A123BC")
    assert exact_index(new_key_material(), "01A123BC") != exact_index(key, "01A123BC")
    assert plate_indexes(key, "01A123BC") == (
        exact_index(key, "01A123BC"),
        fuzzy_index(key, "01A123BC"),
    )
    assert exact_index(key, "01A123BC") != fuzzy_index(key, "01A123BC")  # domains apart
    assert -(2**63) <= exact_index(key, "01A123BC") < 2**63


def test_signatures() -> None:
    signer = Signer(Signer.new_seed())
    signature = signer.sign(b"checkpoint 17")
    public = PublicKey.from_pem(signer.public_key.pem())
    assert public.verify(b"checkpoint 17", signature)
    assert not public.verify(b"checkpoint 18", signature)
    assert PublicKey.from_bytes(signer.public_key.raw()).verify(b"checkpoint 17", signature)
    assert len(public.fingerprint) == 16
    assert not PublicKey.from_bytes(Signer(Signer.new_seed()).public_key.raw()).verify(
        b"checkpoint 17", signature
    )
    with pytest.raises(CryptoError):
        PublicKey.from_bytes(b"short")
    with pytest.raises(CryptoError):
        Signer(b"short")
