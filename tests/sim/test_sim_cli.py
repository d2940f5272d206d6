"""``platekeeper sim``: JSON lines, the summary, exports, pacing and bad input."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from platekeeper.cli import app
from platekeeper.sim.captures import Capture
from platekeeper.sim.pacing import paced, parse_duration

START = "2026-03-02T08:00:00+05:00"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["sim", *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_lines_of_the_capture_stream(tmp_path: Path) -> None:
    code, out, _ = run("--vehicles", "400", "--start", START, "--duration", "20m", "--speed", "0")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) > 50
    first = lines[0]
    assert set(first) >= {"captured_at", "bank", "camera", "lane", "plate", "speed_kmh", "phase"}
    times = [datetime.fromisoformat(line["captured_at"]) for line in lines]
    assert times == sorted(times)
    assert datetime(2026, 3, 2, 3, 0, tzinfo=UTC) <= times[0]
    assert times[-1] < datetime(2026, 3, 2, 3, 20, tzinfo=UTC)
    # Same seed, same stream, to a file this time.
    target = tmp_path / "captures.jsonl"
    code, _, _ = run(
        "--vehicles",
        "400",
        "--start",
        START,
        "--duration",
        "20m",
        "--speed",
        "0",
        "-o",
        str(target),
    )
    assert code == 0
    assert target.read_text() == out


def test_summary_and_exports(tmp_path: Path) -> None:
    registry, hotlist = tmp_path / "registry.csv", tmp_path / "hotlist.csv"
    code, out, _ = run(
        "--vehicles", "300", "--start", START, "--duration", "2h", "--summary",
        "--registry-csv", str(registry), "--hotlist-csv", str(hotlist),
    )  # fmt: skip
    assert code == 0
    assert "captures of" in out
    assert "red_light" in out
    assert "tas-amir-temur-sq-s" in out
    rows = list(csv.DictReader(registry.open()))
    assert len(rows) == 300
    assert {r["status"] for r in rows} >= {"registered", "expired"}
    assert list(csv.DictReader(hotlist.open()))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--duration", "5x"], "--duration"),
        (["--duration", "0"], "more than 0"),
        (["--duration", "400d"], "at most 366 days"),
        (["--start", "yesterday"], "--start"),
    ],
)
def test_bad_options_are_refused(args: list[str], message: str) -> None:
    code, _, err = run(*args, "--summary")
    assert code == 2
    assert message in err


def test_a_bad_camera_file_names_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "cameras.yaml"
    bad.write_text("version: 1\nname: x\nutc_offset_hours: 5\nbogus: 1\n")
    code, out, err = run("--cameras", str(bad), "--summary")
    assert code == 2
    assert f"{bad} line 4: bogus" in err
    assert out == ""


class CountingClock:
    """A stand-in for the monotonic clock: time moves only when slept."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _captures(times: list[float]) -> list[Capture]:
    from platekeeper.sim.population import PlateState
    from platekeeper.sim.vehicles import VehicleClass

    return [
        Capture(i, ts, "b", "c", 1, 0, 0, None, PlateState.MISSING, VehicleClass.CAR, 50.0,
                "northbound", 0.0, None, None, None, ())
        for i, ts in enumerate(times)
    ]  # fmt: skip


def test_pacing_in_accelerated_time_and_at_a_rate() -> None:
    caps = _captures([1000.0, 1010.0, 1010.0, 1100.0])
    clock = CountingClock()
    out = list(paced(caps, origin_ts=1000.0, speed=10.0, clock=clock, sleep=clock.sleep))
    assert out == caps
    assert clock.now == pytest.approx(110.0)  # 100 simulated seconds at 10x
    assert clock.slept == pytest.approx([1.0, 9.0])
    clock = CountingClock()
    list(paced(caps, origin_ts=1000.0, rate=2.0, clock=clock, sleep=clock.sleep))
    assert clock.now == pytest.approx(101.5)  # four captures at 2 a second
    clock = CountingClock()
    list(paced(caps, origin_ts=1000.0, speed=0.0, clock=clock, sleep=clock.sleep))
    assert clock.slept == []
    with pytest.raises(ValueError, match="rate"):
        list(paced(caps, origin_ts=0.0, rate=0.0))


def test_durations() -> None:
    assert parse_duration("90") == 90
    assert parse_duration("15m") == 900
    assert parse_duration("2h") == 7200
    assert parse_duration("1.5d") == 129600
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("-1h")
