"""The commands: TLS certificate, create-admin, audit verify, and serve over HTTPS."""

from __future__ import annotations

import os
import socket
import sqlite3
import ssl
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from typer.testing import CliRunner

from platekeeper.cli import app as cli_app
from platekeeper.web.tls import ensure_tls_certificate, is_loopback


def test_self_signed_certificate_is_made_once(tmp_path: Path) -> None:
    made = ensure_tls_certificate(tmp_path)
    assert made.created
    assert stat.S_IMODE(made.private_key.stat().st_mode) == 0o600
    cert = x509.load_pem_x509_certificate(made.certificate.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert any(str(ip) == "127.0.0.1" for ip in names.get_values_for_type(x509.IPAddress))
    before = made.certificate.read_bytes()
    again = ensure_tls_certificate(tmp_path)
    assert not again.created
    assert again.certificate.read_bytes() == before
    made.private_key.unlink()
    with pytest.raises(FileExistsError):
        ensure_tls_certificate(tmp_path)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("127.3.2.1", True),
        ("0.0.0.0", False),
        ("10.1.2.3", False),
        ("example.org", False),
    ],
)
def test_loopback_detection(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "PLATEKEEPER_DATA_DIR": str(tmp_path / "data"),
        "PLATEKEEPER_SECRETS_DIR": str(tmp_path),
    }


def test_create_admin_then_audit_verify(env: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(cli_app, ["users", "create-admin"], env=env)
    assert first.exit_code == 0, first.output
    assert "one-time password: " in first.output
    password = first.output.split("one-time password: ")[1].split()[0]
    assert len(password) == 20
    second = runner.invoke(cli_app, ["users", "create-admin"], env=env)
    assert second.exit_code == 2
    assert "exists already" in second.output

    db = tmp_path / "data" / "platekeeper.db"
    assert password.encode() not in db.read_bytes()
    checkpoint = runner.invoke(cli_app, ["audit", "checkpoint"], env=env)
    assert "signed checkpoint at entry 1" in checkpoint.output
    good = runner.invoke(cli_app, ["audit", "verify"], env=env)
    assert good.exit_code == 0, good.output
    assert "audit log verified" in good.output

    with sqlite3.connect(db) as conn:
        conn.execute("DROP TRIGGER audit_log_no_update")
        conn.execute('UPDATE audit_log SET details = \'{"username":"eve"}\' WHERE seq = 1')
    bad = runner.invoke(cli_app, ["audit", "verify"], env=env)
    assert bad.exit_code == 1
    assert "entry 1 was altered" in bad.output


def test_audit_verify_without_a_database_fails_clearly(env: dict[str, str]) -> None:
    result = CliRunner().invoke(cli_app, ["audit", "verify"], env=env)
    assert result.exit_code == 2
    assert "no database" in result.output


def test_serve_refuses_plain_http_off_loopback(env: dict[str, str]) -> None:
    result = CliRunner().invoke(cli_app, ["serve", "--host", "0.0.0.0", "--no-tls"], env=env)
    assert result.exit_code == 2
    assert "TLS is required" in result.output


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_serve_answers_over_https_with_its_certificate(env: dict[str, str], tmp_path: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "platekeeper", "serve", "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        cert = tmp_path / "data" / "tls" / "cert.pem"
        trust: ssl.SSLContext | None = None
        deadline = time.monotonic() + 30
        answer = None
        while time.monotonic() < deadline:
            try:
                trust = trust or ssl.create_default_context(cafile=str(cert))
                answer = httpx.get(f"https://127.0.0.1:{port}/healthz", verify=trust, timeout=2)
                break
            except (httpx.ConnectError, FileNotFoundError, OSError):
                time.sleep(0.3)
        assert answer is not None, "server did not come up"
        assert answer.status_code == 200
        assert answer.text == "ok"
        home = httpx.get(f"https://localhost:{port}/", verify=trust)
        assert home.status_code == 303
        assert home.headers["location"] == "/login"
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
    finally:
        server.terminate()
        server.wait(timeout=10)
