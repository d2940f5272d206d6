"""TLS for ``platekeeper serve``: a self-signed certificate made on first use.

The certificate (ECDSA P-256, valid two years) names ``localhost``, the
loopback addresses and this machine's host name; operators with a real
certificate set ``web.tls_certificate`` and ``web.tls_private_key`` instead,
or hand it to ``platekeeper init --tls-cert … --tls-key …``, which checks the
pair and copies it into the data directory. The private key is written with
mode 0600 and never overwritten.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

logger = logging.getLogger(__name__)

VALID_DAYS = 730


@dataclass(frozen=True)
class TlsFiles:
    certificate: Path
    private_key: Path
    created: bool


def default_tls_paths(data_dir: Path) -> tuple[Path, Path]:
    return data_dir / "tls" / "cert.pem", data_dir / "tls" / "key.pem"


def ensure_tls_certificate(
    data_dir: Path,
    *,
    certificate: Path | None = None,
    private_key: Path | None = None,
    hostnames: tuple[str, ...] = (),
) -> TlsFiles:
    """Return the certificate and key paths, making a self-signed pair when both are absent."""
    default_cert, default_key = default_tls_paths(data_dir)
    cert_path = certificate or default_cert
    key_path = private_key or default_key
    if cert_path.exists() and key_path.exists():
        return TlsFiles(cert_path, key_path, created=False)
    if cert_path.exists() or key_path.exists():
        raise FileExistsError(
            f"only one of {cert_path} and {key_path} exists; remove it or provide the other"
        )
    names = sorted({"localhost", socket.gethostname(), *hostnames})
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    subject = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, "platekeeper"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "platekeeper (self-signed)"),
    ])  # fmt: skip
    alt_names: list[x509.GeneralName] = [x509.DNSName(name) for name in names]
    alt_names += [
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    cert_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    logger.info("made a self-signed TLS certificate for %s", ", ".join(names))
    return TlsFiles(cert_path, key_path, created=True)


class CertificateError(ValueError):
    """An operator's certificate or key cannot be used; the message says why."""


def check_certificate_pair(certificate: Path, private_key: Path) -> x509.Certificate:
    """Load a PEM certificate and its unencrypted PEM key; refuse a pair that
    does not match or a certificate that has expired."""
    try:
        cert = x509.load_pem_x509_certificate(certificate.read_bytes())
    except OSError as exc:
        raise CertificateError(f"cannot read {certificate}: {exc.strerror or exc}") from None
    except ValueError:
        raise CertificateError(f"{certificate} is not a PEM certificate") from None
    try:
        key = serialization.load_pem_private_key(private_key.read_bytes(), password=None)
    except OSError as exc:
        raise CertificateError(f"cannot read {private_key}: {exc.strerror or exc}") from None
    except (ValueError, TypeError):
        # TypeError: the key is encrypted; serve has no way to ask for its passphrase.
        raise CertificateError(f"{private_key} is not an unencrypted PEM private key") from None
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(serialization.Encoding.DER, public) != (
        cert.public_key().public_bytes(serialization.Encoding.DER, public)
    ):
        raise CertificateError(f"the key {private_key} does not belong to {certificate}")
    if cert.not_valid_after_utc <= datetime.now(UTC):
        raise CertificateError(f"{certificate} expired on {cert.not_valid_after_utc:%Y-%m-%d}")
    return cert


def is_installed(data_dir: Path, certificate: Path) -> bool:
    """True when the data directory holds this certificate with a key already;
    ``FileExistsError`` when it holds another (never overwritten); else False."""
    cert_path, key_path = default_tls_paths(data_dir)
    if not (cert_path.exists() or key_path.exists()):
        return False
    if (
        key_path.exists()
        and cert_path.exists()
        and cert_path.read_bytes() == certificate.read_bytes()
    ):
        return True
    raise FileExistsError(
        f"a certificate exists at {cert_path}; refusing to overwrite it "
        "(move it away first to replace it)"
    )


def install_certificate(data_dir: Path, certificate: Path, private_key: Path) -> TlsFiles:
    """Copy an operator's checked certificate and key to the data directory's
    default paths (key mode 0600). A different certificate already there is
    never overwritten; the same one is left as it is."""
    check_certificate_pair(certificate, private_key)
    cert_path, key_path = default_tls_paths(data_dir)
    if is_installed(data_dir, certificate):
        return TlsFiles(cert_path, key_path, created=False)
    cert_bytes, key_bytes = certificate.read_bytes(), private_key.read_bytes()
    key_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key_bytes)
    cert_path.write_bytes(cert_bytes)
    return TlsFiles(cert_path, key_path, created=True)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
