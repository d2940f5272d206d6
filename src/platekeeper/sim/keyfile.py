"""The key file that lets ``platekeeper sim --server`` act as the network's cameras.

``platekeeper camera provision-network`` registers every bank of a network
as a camera of the installation, issues each a key and writes the secrets
to one file (mode 0600) — the simulated counterpart of loading keys into a
hundred edge agents. The file is a secret: whoever holds it can post reads
as those cameras until the keys are revoked.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from platekeeper.ingest.camera_keys import IssuedKey

FORMAT = "platekeeper-camera-keys/1"


class KeyFileError(ValueError):
    """The key file is missing, unreadable or not one this command wrote."""


def write_keys(path: Path, keys: dict[str, IssuedKey]) -> None:
    body = {
        "format": FORMAT,
        "cameras": {
            code: {
                "key_id": k.key_id,
                "secret": base64.urlsafe_b64encode(k.secret).decode().rstrip("="),
            }
            for code, k in sorted(keys.items())
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(body, handle, indent=1)
    tmp.replace(path)


def read_keys(path: Path) -> dict[str, IssuedKey]:
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise KeyFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError:
        raise KeyFileError(f"{path} is not JSON") from None
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise KeyFileError(f"{path} is not a camera key file of this version")
    out = {}
    for code, entry in dict(body.get("cameras", {})).items():
        try:
            text = str(entry["secret"])
            secret = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            key_id = str(entry["key_id"])
        except (KeyError, TypeError, ValueError):
            raise KeyFileError(f"{path}: the entry of camera {code!r} is malformed") from None
        if len(secret) != 32:
            raise KeyFileError(f"{path}: the secret of camera {code!r} is not 32 bytes")
        out[str(code)] = IssuedKey(key_id=key_id, camera_code=str(code), secret=secret)
    if not out:
        raise KeyFileError(f"{path} holds no camera keys")
    return out
