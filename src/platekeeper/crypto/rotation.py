"""Master key rotation: re-wrap every key in the vault under a new master key.

Only the wrapped keys change; no record, blob or blind index is touched, so a
rotation takes seconds whatever the size of the data. With a key file the
rotation survives a crash at any point:

1. the new key is written to ``master.key.next`` (mode 0600);
2. the vault re-wraps every key under it, in one transaction;
3. ``master.key.next`` replaces ``master.key``; the old key is overwritten
   and removed.

A process started between 2 and 3 loads both keys (see ``load_keyring``), and
running the rotation again finishes an interrupted one. The old master key is
destroyed, not kept: whatever residue of a destroyed data key an old vault
backup or a disk block still holds was wrapped by it, and becomes useless.

With a key from the environment or a secrets file, platekeeper cannot
replace the secret itself: the operator supplies the new key, the vault is
re-wrapped, and the operator then installs the new key in place of the old.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from platekeeper.crypto.master import (
    NEXT_SUFFIX,
    Keyring,
    MasterKey,
    MasterKeyError,
    destroy_key_file,
    fsync_dir,
    read_key_file,
    write_key_file,
)
from platekeeper.crypto.vault import KeyVault

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RotationReport:
    old_fingerprint: str
    new_fingerprint: str
    rewrapped: int
    key_file: Path | None
    resumed: bool


def rotate_master_key(
    vault: KeyVault, key_file: Path, new_key: MasterKey | None = None
) -> RotationReport:
    """Rotate the vault's master key (see the module docstring for the steps)."""
    keyring = vault.keyring
    old = keyring.current
    if keyring.source == "environment":
        if new_key is None:
            raise MasterKeyError(
                "the master key comes from PLATEKEEPER_MASTER_KEY; pass the new key "
                "(--new-key-file) and install it in place of the old one afterwards"
            )
        vault.keyring = Keyring(current=old, source=keyring.source, pending=new_key)
        count = vault.rewrap(new_key)
        vault.keyring = Keyring(current=new_key, source=keyring.source)
        logger.info("vault re-wrapped from %s to %s", old.fingerprint_hex, new_key.fingerprint_hex)
        return RotationReport(old.fingerprint_hex, new_key.fingerprint_hex, count, None, False)

    next_path = key_file.with_name(key_file.name + NEXT_SUFFIX)
    resumed = next_path.exists()
    if resumed:
        if new_key is not None:
            raise MasterKeyError(
                f"an interrupted rotation is pending ({next_path}); run the rotation "
                "again without a new key to finish it first"
            )
        pending = read_key_file(next_path)
    else:
        pending = new_key or MasterKey.generate()
        write_key_file(next_path, pending)

    vault.keyring = Keyring(current=old, source=keyring.source, pending=pending)
    count = vault.rewrap(pending)

    retired = key_file.with_name(key_file.name + ".old")
    finish_interrupted_cleanup(key_file)
    os.link(key_file, retired)
    os.replace(next_path, key_file)
    fsync_dir(key_file.parent)
    destroy_key_file(retired)
    vault.keyring = Keyring(current=pending, source=keyring.source)
    logger.info("master key rotated from %s to %s", old.fingerprint_hex, pending.fingerprint_hex)
    return RotationReport(old.fingerprint_hex, pending.fingerprint_hex, count, key_file, resumed)


def finish_interrupted_cleanup(key_file: Path) -> None:
    """Remove a retired key file left by a crash during step 3."""
    retired = key_file.with_name(key_file.name + ".old")
    if not retired.exists():
        return
    if key_file.exists() and retired.stat().st_ino == key_file.stat().st_ino:
        # Still a second name of the key in use: drop the name, keep the key.
        retired.unlink()
    else:
        destroy_key_file(retired)


__all__ = ["RotationReport", "finish_interrupted_cleanup", "rotate_master_key", "write_key_file"]
