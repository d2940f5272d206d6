"""The evidence package of a confirmed violation, and its offline check.

A package is a ZIP file:

- ``manifest.json`` — the violation (offence, time, camera and where it
  stands, plate, rule details, both review decisions) and every other file
  with its size, SHA-256 and, for a frame the rule named, its role (red
  light: ``before``, ``at`` and ``past`` the stop line);
- ``manifest.sig`` — the Ed25519 signature of ``manifest.json``'s bytes;
- ``public-key.pem`` — the signing key, for convenience: integrity can be
  checked with it, but who signed is proven only by checking against the
  authority's published key (``--public-key``);
- ``summary.pdf`` and the images and clip of the reads it rests on.

``verify_package`` needs nothing but the file (and optionally the key): it
fails on a changed, missing or extra file and on a changed manifest.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from platekeeper.crypto import CryptoError
from platekeeper.crypto.signing import PublicKey, Signer
from platekeeper.review.pdf import PdfImage, summary_pdf

FORMAT = "platekeeper-evidence/1"
MANIFEST, SIGNATURE, PUBLIC_KEY = "manifest.json", "manifest.sig", "public-key.pem"
MAX_PACKAGE_BYTES = 512 * 1024 * 1024
_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "video/mp4": "mp4"}


@dataclass(frozen=True)
class PackageFile:
    name: str
    media_type: str
    data: bytes = field(repr=False)
    role: str = ""
    """What the file shows, when the rule said (``before``, ``at`` or ``past``
    the stop line, ``track-N``); listed in the manifest."""


def file_name(read_id: int, kind: str, media_type: str) -> str:
    """``read-ID-KIND.EXT``; a frame with a role is named by it (``read-ID-before.jpg``)."""
    return f"read-{read_id}-{kind}.{_EXTENSIONS.get(media_type, 'bin')}"


def build_package(
    facts: dict[str, Any], files: list[PackageFile], signer: Signer, created_at: datetime
) -> bytes:
    """The signed ZIP of one violation. ``facts`` is plain JSON data."""
    lines = [f"{k.replace('_', ' ')}: {v}" for k, v in _flat(facts)]
    images = [PdfImage(f.data, f.name) for f in files if f.media_type == "image/jpeg"]
    title = f"Violation {facts.get('id')}: {str(facts.get('offence', '')).replace('_', ' ')}"
    pdf = PackageFile("summary.pdf", "application/pdf", summary_pdf(title, lines, images))
    everything = [pdf, *files]
    manifest = {
        "format": FORMAT,
        "created_at": created_at.isoformat(),
        "violation": facts,
        "files": [
            {
                "name": f.name,
                "media_type": f.media_type,
                "bytes": len(f.data),
                "sha256": hashlib.sha256(f.data).hexdigest(),
                **({"role": f.role} if f.role else {}),
            }
            for f in everything
        ],
        "signer": signer.public_key.fingerprint,
    }
    body = json.dumps(manifest, indent=2, sort_keys=True).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr(MANIFEST, body)
        z.writestr(SIGNATURE, base64.b64encode(signer.sign(body)) + b"\n")
        z.writestr(PUBLIC_KEY, signer.public_key.pem())
        for f in everything:
            z.writestr(f.name, f.data)
    return out.getvalue()


def _flat(facts: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in facts.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.extend(_flat(value, f"{name}."))
        elif not isinstance(value, list):
            out.append((name, value))
    return out


@dataclass
class Verification:
    ok: bool
    problems: list[str]
    signer: str | None = None
    violation: dict[str, Any] | None = None
    files: int = 0
    key_source: str = "embedded"


class _Refused(Exception):
    """The package cannot be checked further; the message says why."""


def _signed_manifest(
    z: zipfile.ZipFile, public_key: PublicKey | None
) -> tuple[dict[str, Any], PublicKey, str]:
    names = z.namelist()
    if len(names) != len(set(names)):
        raise _Refused("the package holds a file name twice")
    if MANIFEST not in names or SIGNATURE not in names:
        raise _Refused("not an evidence package: no manifest or signature")
    body = z.read(MANIFEST)
    signature = base64.b64decode(z.read(SIGNATURE).strip(), validate=True)
    key, source = public_key, "given"
    if key is None:
        if PUBLIC_KEY not in names:
            raise _Refused("no public key given and none in the package")
        key, source = PublicKey.from_pem(z.read(PUBLIC_KEY)), "embedded"
    if not key.verify(body, signature):
        raise _Refused("the signature does not match the manifest")
    manifest = json.loads(body)
    if not isinstance(manifest, dict):
        raise _Refused("the manifest is not an object")
    return manifest, key, source


def _file_problems(z: zipfile.ZipFile, listed: dict[str, dict[str, Any]]) -> list[str]:
    problems = []
    names = z.namelist()
    for name, entry in listed.items():
        if name not in names:
            problems.append(f"{name}: missing")
            continue
        content = z.read(name)
        if hashlib.sha256(content).hexdigest() != entry.get("sha256"):
            problems.append(f"{name}: changed (SHA-256 differs)")
        elif len(content) != entry.get("bytes"):
            problems.append(f"{name}: changed (size differs)")
    for name in names:
        if name not in listed and name not in (MANIFEST, SIGNATURE, PUBLIC_KEY):
            problems.append(f"{name}: not in the manifest")
    return problems


def verify_package(data: bytes, public_key: PublicKey | None = None) -> Verification:
    """Check a package offline; ``public_key`` is the authority's key (else the
    embedded one, which proves integrity but not origin)."""
    if len(data) > MAX_PACKAGE_BYTES:
        return Verification(False, ["the file is larger than any package"])
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            manifest, key, source = _signed_manifest(z, public_key)
            listed = {f["name"]: f for f in manifest.get("files", [])}
            problems = _file_problems(z, listed)
    except _Refused as exc:
        return Verification(False, [str(exc)])
    except (zipfile.BadZipFile, KeyError, TypeError, ValueError, CryptoError, OSError) as exc:
        return Verification(False, [f"unreadable package: {exc}"])
    if manifest.get("format") != FORMAT:
        problems.insert(0, f"unknown format {manifest.get('format')!r}")
    return Verification(
        ok=not problems,
        problems=problems,
        signer=key.fingerprint,
        violation=manifest.get("violation"),
        files=len(listed),
        key_source=source,
    )
