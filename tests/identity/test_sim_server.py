"""``platekeeper sim --server``: the simulated network's cameras, provisioned
with `camera provision-network`, feeding a real HTTPS server from outside."""

from __future__ import annotations

import re
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from identity_helpers import Clock, https_server, make_services
from investigation_helpers import open_web_store
from sqlalchemy import func, select
from typer.testing import CliRunner

from platekeeper.auth.trail import utc_now
from platekeeper.cli import app as cli
from platekeeper.config import Settings
from platekeeper.ingest.wiring import gateway
from platekeeper.store.engine import Database
from platekeeper.store.facade import Store
from platekeeper.store.models import Read
from platekeeper.web.app import create_app


@pytest.fixture
def web_store(tmp_path: Path) -> Iterator[Store]:
    """The store on real time: the simulated captures carry real capture times."""
    store = open_web_store(tmp_path, utc_now)
    yield store
    store.close()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, web_store: Store) -> Path:
    monkeypatch.setenv("PLATEKEEPER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PLATEKEEPER_STORE__DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    monkeypatch.delenv("PLATEKEEPER_MASTER_KEY", raising=False)
    return tmp_path


@pytest.fixture
def server(
    settings: Settings, db: Database, clock: Clock, web_store: Store, tmp_path: Path
) -> Iterator[tuple[str, Path]]:
    services = make_services(
        settings, db, clock, store=web_store, ingest=gateway(settings, web_store, None)
    )
    application = create_app(settings, services, background_checkpoints=False)
    with https_server(application, tmp_path / "server") as running:
        yield running


def reads(store: Store) -> int:
    with store.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(Read)) or 0)


@pytest.mark.slow
def test_the_network_feeds_a_server_from_outside(
    cli_env: Path, server: tuple[str, Path], web_store: Store
) -> None:
    url, certificate = server
    runner = CliRunner()
    keys = cli_env / "sim-keys.json"
    provisioned = runner.invoke(cli, ["camera", "provision-network", "--keys-out", str(keys)])
    assert provisioned.exit_code == 0, provisioned.output
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600
    args = ["sim", "--server", url, "--keys", str(keys), "--ca", str(certificate)]
    args += ["--vehicles", "200", "--duration", "1s", "--no-recognise"]
    fed = runner.invoke(cli, [*args, "--backfill-hours", "24"])  # a whole day: any hour
    assert fed.exit_code == 0, fed.output
    sent = int(fed.output.split("backfill: ", 1)[1].split()[0])
    assert sent > 50
    assert reads(web_store) == sent

    # Keys provisioned again revoke the old ones: the old file is refused.
    old = cli_env / "old-keys.json"
    keys.rename(old)
    runner.invoke(cli, ["camera", "provision-network", "--keys-out", str(keys)])
    refused = runner.invoke(cli, [*args[:4], str(old), *args[5:], "--backfill-hours", "1"])
    assert refused.exit_code == 1
    assert "refused" in refused.output
    assert reads(web_store) == sent

    no_keys = runner.invoke(cli, ["sim", "--server", url, "--duration", "1s"])
    assert no_keys.exit_code != 0
    assert "--keys" in no_keys.output
    plain = runner.invoke(cli, ["sim", "--server", "http://127.0.0.1:1", "--keys", str(keys)])
    assert plain.exit_code != 0
    assert "https" in plain.output


def captured(store: Store) -> list[datetime]:
    with store.db.read() as s:
        return [
            at if at.tzinfo else at.replace(tzinfo=UTC)
            for at in s.scalars(select(Read.captured_at).order_by(Read.captured_at))
        ]


@pytest.mark.slow
def test_accelerated_time_and_a_load_test(
    cli_env: Path, server: tuple[str, Path], web_store: Store
) -> None:
    url, certificate = server
    runner = CliRunner()
    keys = cli_env / "sim-keys.json"
    runner.invoke(cli, ["camera", "provision-network", "--keys-out", str(keys)])
    args = ["sim", "--server", url, "--keys", str(keys), "--ca", str(certificate)]
    args += ["--vehicles", "300", "--no-recognise"]

    # Twelve simulated hours in six real seconds, ending now: every capture
    # arrives after its own time, so the server takes them all.
    began = datetime.now(UTC)
    fast = runner.invoke(cli, [*args, "--speed", "7200", "--duration", "6s"])
    assert fast.exit_code == 0, fast.output
    sent = int(fast.output.split("fed: ", 1)[1].split()[0])
    assert sent > 100
    assert f"stored {sent}," in fast.output
    assert "0 refused" in fast.output
    times = captured(web_store)
    assert len(times) == sent
    assert times[-1] <= datetime.now(UTC)
    assert times[0] < began - timedelta(hours=6)  # the window reached back hours
    assert times[-1] > began - timedelta(hours=1)  # and caught up with the present

    # A load test: captures of the last week at 40 a second for three seconds,
    # whatever their simulated times; never more than the rate allows.
    load = runner.invoke(cli, [*args, "--rate", "40", "--duration", "3s"])
    assert load.exit_code == 0, load.output
    counted = re.findall(r"fed: (\d+) captures.*stored (\d+), (\d+) already", load.output)
    fed, stored, duplicates = (int(n) for n in counted[0])
    assert 10 <= fed <= 121
    assert stored + duplicates == fed
    assert reads(web_store) == sent + stored

    for bad, message in (
        (["--rate", "5", "--speed", "10"], "exclude each other"),
        (["--rate", "5", "--backfill-hours", "2"], "--backfill-hours"),
        (["--speed", "0.5"], "at least 1"),
    ):
        refused = runner.invoke(cli, [*args, *bad, "--duration", "1s"])
        assert refused.exit_code == 2
        assert message in refused.output
