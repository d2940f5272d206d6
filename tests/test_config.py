"""Settings: YAML plus environment, unknown keys named by line, secrets refused in YAML."""

from pathlib import Path

import pytest

from platekeeper.config import ConfigError, load_settings


def test_defaults_without_a_file() -> None:
    settings = load_settings(None)
    assert settings.data_dir == Path("data")
    assert settings.recognition.top_n == 5


def test_yaml_values_are_read(tmp_path: Path) -> None:
    config = tmp_path / "platekeeper.yaml"
    config.write_text("data_dir: /srv/pk\nrecognition:\n  countries: [UZ, KZ]\n  top_n: 3\n")
    settings = load_settings(config)
    assert settings.data_dir == Path("/srv/pk")
    assert settings.recognition.countries == ("UZ", "KZ")
    assert settings.recognition.top_n == 3


def test_environment_overrides_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "platekeeper.yaml"
    config.write_text("recognition:\n  top_n: 3\n")
    monkeypatch.setenv("PLATEKEEPER_RECOGNITION__TOP_N", "7")
    assert load_settings(config).recognition.top_n == 7


def test_unknown_key_names_its_line(tmp_path: Path) -> None:
    config = tmp_path / "platekeeper.yaml"
    config.write_text("data_dir: /srv/pk\nrecognition:\n  top_n: 3\n  colour: blue\n")
    with pytest.raises(ConfigError, match=r"line 4: recognition\.colour"):
        load_settings(config)


def test_bad_value_names_its_line(tmp_path: Path) -> None:
    config = tmp_path / "platekeeper.yaml"
    config.write_text("recognition:\n  top_n: many\n")
    with pytest.raises(ConfigError, match=r"line 2: recognition\.top_n"):
        load_settings(config)


def test_not_yaml_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "platekeeper.yaml"
    config.write_text("recognition: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(config)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_settings(tmp_path / "absent.yaml")
