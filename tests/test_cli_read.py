"""``platekeeper read`` end to end: files and folders, JSON lines, per-file errors."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from platekeeper.cli import app


def simple_plate_image(text: str) -> np.ndarray:
    """A plain plate drawn with OpenCV's own font on a grey background."""
    img = np.full((360, 640, 3), 90, np.uint8)
    cv2.rectangle(img, (150, 140), (490, 220), (245, 245, 245), -1)
    cv2.rectangle(img, (150, 140), (490, 220), (20, 20, 20), 3)
    cv2.putText(img, text, (170, 200), cv2.FONT_HERSHEY_DUPLEX, 1.5, (10, 10, 10), 3, cv2.LINE_AA)
    return img


@pytest.fixture
def images(tmp_path: Path) -> Path:
    folder = tmp_path / "captures"
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), simple_plate_image("01 A 123 BC"))
    cv2.imwrite(str(folder / "b.jpg"), simple_plate_image("30 777 ABC"))
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    return folder


def test_reads_a_folder_as_json_lines_and_reports_bad_files(images: Path) -> None:
    result = CliRunner().invoke(app, ["read", str(images), "--json", "--country", "UZ"])
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    found = {Path(line["file"]).name: line for line in lines}
    assert found["a.png"]["text"] == "01A123BC"
    assert found["a.png"]["format"] == "uz-private"
    assert found["b.jpg"]["text"] == "30777ABC"
    assert len(found["a.png"]["quad"]) == 4
    assert "broken.jpg" in result.stderr
    assert "1 of 3 file(s) could not be read" in result.stderr


def test_top_n_bounds_candidates(images: Path) -> None:
    result = CliRunner().invoke(
        app, ["read", str(images / "a.png"), "--json", "--top-n", "2", "-C", "UZ"]
    )
    assert result.exit_code == 0, result.stderr
    (line,) = [json.loads(x) for x in result.stdout.splitlines()]
    assert 1 <= len(line["candidates"]) <= 2


def test_plain_output(images: Path) -> None:
    result = CliRunner().invoke(app, ["read", str(images / "a.png"), "-C", "UZ"])
    assert result.exit_code == 0
    assert "01 A 123 BC" in result.stdout


def test_unknown_country_is_an_error(images: Path) -> None:
    result = CliRunner().invoke(app, ["read", str(images), "-C", "XX"])
    assert result.exit_code == 2
    assert "unknown country" in result.stderr


def test_missing_file_is_a_per_file_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["read", str(tmp_path / "nope.jpg")])
    assert result.exit_code == 1
    assert "cannot read file" in result.stderr
