"""``platekeeper init``: the first administrator and the TLS certificate, made
once; then ``serve`` over HTTPS and the first sign-in with the printed password."""

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
import pyotp
import pytest
from typer.testing import CliRunner

from platekeeper.cli import app as cli_app
from platekeeper.crypto.master import MasterKey
from platekeeper.web.tls import ensure_tls_certificate

# Cheap Argon2id for the subprocess too: the tests check the flow, not the cost.
FAST_ARGON2 = {
    "PLATEKEEPER_AUTH__ARGON2_TIME_COST": "1",
    "PLATEKEEPER_AUTH__ARGON2_MEMORY_KIB": "8192",
    "PLATEKEEPER_AUTH__ARGON2_PARALLELISM": "1",
}
NEW_PASSWORD = "a long and private passphrase"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.delenv("PLATEKEEPER_MASTER_KEY", raising=False)
    return {
        "PLATEKEEPER_DATA_DIR": str(tmp_path / "data"),
        "PLATEKEEPER_SECRETS_DIR": str(tmp_path / "secrets"),
        **FAST_ARGON2,
    }


def printed_password(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("one-time password: ")]
    assert len(lines) == 1, output
    return lines[0].removeprefix("one-time password: ")


def administrators(data_dir: Path) -> list[str]:
    with sqlite3.connect(data_dir / "platekeeper.db") as conn:
        rows = conn.execute("SELECT username FROM users WHERE role = 'administrator'")
        return [name for (name,) in rows]


def test_init_makes_one_admin_and_a_certificate_and_never_again(
    env: dict[str, str], tmp_path: Path
) -> None:
    runner = CliRunner()
    first = runner.invoke(cli_app, ["init"], env=env)
    assert first.exit_code == 0, first.output
    password = printed_password(first.output)
    assert len(password) == 20
    data = tmp_path / "data"
    cert, key = data / "tls" / "cert.pem", data / "tls" / "key.pem"
    assert "made a self-signed one" in first.output
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert administrators(data) == ["admin"]
    assert password.encode() not in (data / "platekeeper.db").read_bytes()
    before = cert.read_bytes(), key.read_bytes()

    again = runner.invoke(cli_app, ["init"], env=env)
    assert again.exit_code == 2
    assert "refusing to overwrite" in again.output
    assert "one-time password" not in again.output

    assert administrators(data) == ["admin"]
    assert (cert.read_bytes(), key.read_bytes()) == before


def test_init_runs_again_with_the_key_in_the_environment(
    env: dict[str, str], tmp_path: Path
) -> None:
    keyed = {**env, "PLATEKEEPER_MASTER_KEY": MasterKey.generate().encode()}
    runner = CliRunner()
    first = runner.invoke(cli_app, ["init"], env=keyed)
    assert first.exit_code == 0, first.output
    printed_password(first.output)
    data = tmp_path / "data"
    cert = (data / "tls" / "cert.pem").read_bytes()

    second = runner.invoke(cli_app, ["init"], env=keyed)
    assert second.exit_code == 0, second.output
    assert "one-time password" not in second.output
    assert "administrator: exists already" in second.output
    assert "(exists)" in second.output
    assert administrators(data) == ["admin"]
    assert (data / "tls" / "cert.pem").read_bytes() == cert
    verified = runner.invoke(cli_app, ["audit", "verify"], env=keyed)
    assert verified.exit_code == 0, verified.output


def test_init_takes_the_operators_certificate(env: dict[str, str], tmp_path: Path) -> None:
    own = ensure_tls_certificate(tmp_path / "own")
    other = ensure_tls_certificate(tmp_path / "other")
    runner = CliRunner()
    wrong = ["init", "--tls-cert", str(own.certificate), "--tls-key", str(other.private_key)]
    refused = runner.invoke(cli_app, wrong, env=env)
    assert refused.exit_code == 2
    assert "does not belong to" in refused.output
    assert not (tmp_path / "data").exists()  # refused before any step
    half = runner.invoke(cli_app, ["init", "--tls-cert", str(own.certificate)], env=env)
    assert half.exit_code == 2
    assert not (tmp_path / "data").exists()

    right = ["init", "--tls-cert", str(own.certificate), "--tls-key", str(own.private_key)]
    done = runner.invoke(cli_app, right, env=env)
    assert done.exit_code == 0, done.output
    assert "copied the operator's certificate" in done.output
    tls = tmp_path / "data" / "tls"
    assert (tls / "cert.pem").read_bytes() == own.certificate.read_bytes()
    assert (tls / "key.pem").read_bytes() == own.private_key.read_bytes()
    assert stat.S_IMODE((tls / "key.pem").stat().st_mode) == 0o600


def test_init_refuses_to_replace_a_certificate_in_place(
    env: dict[str, str], tmp_path: Path
) -> None:
    keyed = {**env, "PLATEKEEPER_MASTER_KEY": MasterKey.generate().encode()}
    runner = CliRunner()
    assert runner.invoke(cli_app, ["init"], env=keyed).exit_code == 0
    made = (tmp_path / "data" / "tls" / "cert.pem").read_bytes()
    own = ensure_tls_certificate(tmp_path / "own")
    args = ["init", "--tls-cert", str(own.certificate), "--tls-key", str(own.private_key)]
    refused = runner.invoke(cli_app, args, env=keyed)
    assert refused.exit_code == 2
    assert "refusing to overwrite" in refused.output
    assert (tmp_path / "data" / "tls" / "cert.pem").read_bytes() == made


def test_init_honours_the_certificate_in_the_settings(env: dict[str, str], tmp_path: Path) -> None:
    own = ensure_tls_certificate(tmp_path / "own")
    configured = {
        **env,
        "PLATEKEEPER_WEB__TLS_CERTIFICATE": str(own.certificate),
        "PLATEKEEPER_WEB__TLS_PRIVATE_KEY": str(tmp_path / "missing.pem"),
    }
    runner = CliRunner()
    refused = runner.invoke(cli_app, ["init"], env=configured)
    assert refused.exit_code == 2
    assert "missing.pem" in refused.output
    configured["PLATEKEEPER_WEB__TLS_PRIVATE_KEY"] = str(own.private_key)
    done = runner.invoke(cli_app, ["init"], env=configured)
    assert done.exit_code == 0, done.output
    assert "the operator's" in done.output
    assert not (tmp_path / "data" / "tls").exists()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_server(base: str, trust: ssl.SSLContext, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "serve exited"
        try:
            if httpx.get(f"{base}/healthz", verify=trust, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.3)
    raise AssertionError("serve did not come up")


@pytest.mark.slow
def test_init_serve_and_first_sign_in_with_the_printed_password(
    env: dict[str, str], tmp_path: Path
) -> None:
    init = CliRunner().invoke(cli_app, ["init"], env=env)
    assert init.exit_code == 0, init.output
    password = printed_password(init.output)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "platekeeper", "serve", "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"https://127.0.0.1:{port}"
    try:
        trust = ssl.create_default_context(cafile=str(tmp_path / "data" / "tls" / "cert.pem"))
        wait_for_server(base, trust, server)
        with httpx.Client(base_url=base, verify=trust, timeout=10) as client:
            assert client.get("/api/v1/users").status_code == 401
            step = client.post("/api/v1/login", json={"username": "admin", "password": password})
            assert step.status_code == 200, step.text
            assert step.json()["stage"] == "change_password"
            # A pending sign-in opens nothing, and enrolment waits for the new password.
            assert client.get("/api/v1/me").status_code == 401
            assert client.get("/api/v1/login/enrol").status_code == 409

            changed = client.post(
                "/api/v1/login/password",
                json={"current_password": password, "new_password": NEW_PASSWORD},
            )
            assert changed.status_code == 200, changed.text
            assert changed.json()["stage"] == "enrol_totp"
            assert client.get("/api/v1/me").status_code == 401
            seed = client.get("/api/v1/login/enrol").json()["secret"]
            enrolled = client.post("/api/v1/login/enrol", json={"code": pyotp.TOTP(seed).now()})
            assert enrolled.status_code == 200, enrolled.text
            assert enrolled.json()["stage"] == "active"
            assert len(enrolled.json()["recovery_codes"]) == 10

            me = client.get("/api/v1/me")
            assert me.status_code == 200
            assert me.json()["role"] == "administrator"
            assert client.get("/api/v1/users").status_code == 200
            assert client.get("/api/v1/cameras").status_code == 200

        # The one-time password is spent.
        with httpx.Client(base_url=base, verify=trust, timeout=10) as again:
            spent = again.post("/api/v1/login", json={"username": "admin", "password": password})
            assert spent.status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=15)
