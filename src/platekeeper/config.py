"""Typed settings for the platekeeper command and services.

One YAML file (optional) plus environment variables (``PLATEKEEPER_…``, with
``__`` between nested names) plus secret files (``/run/secrets`` or the path in
``PLATEKEEPER_SECRETS_DIR``). Unknown keys are errors, and the error names the
YAML line. Secrets (fields typed ``SecretStr``) are refused in the YAML: they
come from the environment or a secrets file only, so a config file can be
shared or committed without leaking anything.

Each room keeps its own section model next to its code; this module only
composes them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from platekeeper.alerts.settings import AlertsSettings
from platekeeper.audit.settings import AuditSettings
from platekeeper.auth.settings import AuthSettings
from platekeeper.crypto.settings import KeySettings
from platekeeper.ingest.settings import IngestSettings
from platekeeper.recognition.settings import RecognitionSettings
from platekeeper.rules.settings import RulesSettings
from platekeeper.sim.settings import SimSettings
from platekeeper.store.settings import StoreSettings
from platekeeper.web.settings import WebSettings

ENV_PREFIX = "PLATEKEEPER_"
DEFAULT_SECRETS_DIR = Path("/run/secrets")

# The YAML mapping being loaded; read by the settings source below. A context
# variable rather than a global keeps concurrent loads (tests) apart.
_yaml_data: ContextVar[Mapping[str, Any] | None] = ContextVar("_yaml_data", default=None)


class ConfigError(ValueError):
    """A configuration problem, worded for the operator."""


class Settings(BaseSettings):
    """Everything platekeeper can be told. Defaults are the embedded deployment."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    data_dir: Path = Field(
        default=Path("data"),
        title="Data directory",
        description="Where the embedded database, evidence files, keys and certificate live.",
    )
    recognition: RecognitionSettings = Field(
        default_factory=RecognitionSettings,
        title="Recognition",
        description="Plate localisation and OCR.",
    )
    auth: AuthSettings = Field(
        default_factory=AuthSettings,
        title="Sign-in",
        description="Passwords, TOTP, lockout and session lifetimes.",
    )
    audit: AuditSettings = Field(
        default_factory=AuditSettings,
        title="Audit log",
        description="Checkpoints and their signing key.",
    )
    web: WebSettings = Field(
        default_factory=WebSettings,
        title="Web server",
        description="Address, TLS and maps of the operator web app.",
    )
    rules: RulesSettings = Field(
        default_factory=RulesSettings,
        title="Rules",
        description="Which violation and alert rules run, each with its config.",
    )
    alerts: AlertsSettings = Field(
        default_factory=AlertsSettings,
        title="Alerts",
        description="Webhooks, MQTT and the dashboard's live alert stream.",
    )
    ingest: IngestSettings = Field(
        default_factory=IngestSettings,
        title="Camera ingest",
        description="The camera door's signature window and its work queue.",
    )
    master_key: SecretStr | None = Field(
        default=None,
        title="Master key",
        description="Base64 of 32 random bytes (PLATEKEEPER_MASTER_KEY or a secrets file). "
        "When unset, the key file made by `platekeeper init` is used.",
    )
    keys: KeySettings = Field(
        default_factory=KeySettings,
        title="Keys",
        description="Master key file and key vault.",
    )
    store: StoreSettings = Field(
        default_factory=StoreSettings,
        title="Store",
        description="Database, evidence store, search bounds, input limits and retention.",
    )
    sim: SimSettings = Field(
        default_factory=SimSettings,
        title="Simulated network",
        description="The simulated camera network `platekeeper demo` (make run) feeds in.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Highest priority first: explicit arguments, environment, secret
        # files, then the YAML file.
        return (init_settings, env_settings, file_secret_settings, _YamlSource(settings_cls))


class _YamlSource(PydanticBaseSettingsSource):
    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        data = _yaml_data.get() or {}
        return data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_yaml_data.get() or {})


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Load settings from ``path`` (YAML, optional), the environment and secret files.

    Raises ``ConfigError`` with the YAML line of the offending key.
    """
    data: dict[str, Any] = {}
    lines: dict[tuple[str, ...], int] = {}
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc
        data, lines = _parse_yaml(text, path)
        _refuse_secrets(data, lines, path, Settings)

    secrets_dir = os.environ.get(ENV_PREFIX + "SECRETS_DIR")
    secrets_path = Path(secrets_dir) if secrets_dir else DEFAULT_SECRETS_DIR
    kwargs: dict[str, Any] = dict(overrides)
    if secrets_path.is_dir():
        kwargs["_secrets_dir"] = secrets_path

    token = _yaml_data.set(data)
    try:
        return Settings(**kwargs)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, lines, path)) from exc
    finally:
        _yaml_data.reset(token)


def _parse_yaml(text: str, path: Path) -> tuple[dict[str, Any], dict[tuple[str, ...], int]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of settings")
    lines: dict[tuple[str, ...], int] = {}
    if node is not None:
        _collect_lines(node, (), lines)
    return data, lines


def _collect_lines(
    node: yaml.Node, prefix: tuple[str, ...], out: dict[tuple[str, ...], int]
) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*prefix, str(key_node.value))
            out[key] = key_node.start_mark.line + 1
            _collect_lines(value_node, key, out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            key = (*prefix, str(index))
            out[key] = item.start_mark.line + 1
            _collect_lines(item, key, out)


def _secret_paths(
    model: type[BaseModel], prefix: tuple[str, ...] = ()
) -> Iterator[tuple[str, ...]]:
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if annotation is SecretStr or (
            getattr(annotation, "__args__", None) and SecretStr in annotation.__args__  # type: ignore[union-attr]
        ):
            yield (*prefix, name)
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _secret_paths(annotation, (*prefix, name))


def _refuse_secrets(
    data: Mapping[str, Any],
    lines: Mapping[tuple[str, ...], int],
    path: Path,
    model: type[BaseModel],
) -> None:
    for secret in _secret_paths(model):
        node: Any = data
        for part in secret:
            node = node.get(part) if isinstance(node, Mapping) else None
        if node is not None:
            dotted = ".".join(secret)
            env_name = ENV_PREFIX + "__".join(secret).upper()
            raise ConfigError(
                f"{path} line {lines.get(secret, '?')}: '{dotted}' is a secret and may not be "
                f"written in the config file; set {env_name} or put it in a secrets file"
            )


def _explain(
    exc: ValidationError,
    lines: Mapping[tuple[str, ...], int],
    path: Path | None,
) -> str:
    messages = []
    for error in exc.errors():
        loc = tuple(str(part) for part in error["loc"])
        line = None
        for depth in range(len(loc), 0, -1):
            line = lines.get(loc[:depth])
            if line is not None:
                break
        where = f"{path} line {line}" if path is not None and line is not None else "setting"
        messages.append(f"{where}: {'.'.join(loc) or '(top)'}: {error['msg']}")
    return "invalid configuration:\n  " + "\n  ".join(messages)
