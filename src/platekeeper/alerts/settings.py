"""The ``alerts`` section of the settings: webhooks, MQTT and the dashboard stream.

Secrets never sit in the YAML: a webhook's HMAC secret is read from the
file named by ``secret_file`` (for instance under ``/run/secrets``), and the
MQTT password comes from ``PLATEKEEPER_ALERTS__MQTT__PASSWORD`` or a
secrets file.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

MIN_SECRET_BYTES = 32
_LOOPBACK_NAMES = {"localhost"}


def _loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class WebhookSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(
        title="URL", description="Where alerts are POSTed: https, or http on loopback only."
    )
    secret_file: Path = Field(
        title="Secret file",
        description=f"File holding the HMAC secret (>= {MIN_SECRET_BYTES} bytes).",
    )
    offences: list[str] | None = Field(
        default=None, title="Offences", description="Only these kinds of alert; all if absent."
    )
    max_attempts: int = Field(
        default=6, ge=1, le=50, title="Attempts", description="Tries before a dead letter."
    )
    backoff_initial_s: float = Field(
        default=2.0, gt=0, le=3600, title="First back-off", description="Seconds; doubles per try."
    )
    backoff_max_s: float = Field(
        default=600.0, gt=0, le=86400, title="Longest back-off", description="Seconds."
    )
    timeout_s: float = Field(
        default=5.0, gt=0, le=60, title="Timeout", description="Seconds per attempt."
    )

    @field_validator("url")
    @classmethod
    def _safe_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("a webhook URL is https://host/...")
        if parts.scheme == "http" and not _loopback(parts.hostname):
            raise ValueError("plain http is allowed only to a loopback address")
        if parts.username or parts.password:
            raise ValueError("no credentials in the URL; the request is signed instead")
        return value

    def read_secret(self) -> bytes:
        try:
            secret = self.secret_file.read_bytes().strip()
        except OSError as exc:
            raise ValueError(f"cannot read the webhook secret file: {exc.strerror}") from None
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"a webhook secret is at least {MIN_SECRET_BYTES} bytes")
        return secret


class MqttSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=False, title="Enabled", description="Publish alerts over MQTT.")
    host: str = Field(default="127.0.0.1", title="Broker host")
    port: int = Field(default=1883, ge=1, le=65535, title="Broker port")
    topic_prefix: str = Field(
        default="platekeeper/alerts",
        pattern=r"^[A-Za-z0-9_\-/]{1,100}$",
        title="Topic prefix",
        description="Alerts go to <prefix>/<offence>.",
    )
    client_id: str = Field(default="platekeeper", min_length=1, max_length=64, title="Client id")
    username: str | None = Field(default=None, title="User name")
    password: SecretStr | None = Field(default=None, title="Password", description="From env.")
    tls: bool = Field(default=False, title="TLS", description="Connect with TLS.")
    qos: Literal[0, 1, 2] = Field(default=1, title="QoS")


class AlertsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    keep: int = Field(
        default=1000, ge=10, le=100_000, title="Alerts remembered", description="For replays."
    )
    webhooks: dict[str, WebhookSettings] = Field(
        default_factory=dict, title="Webhooks", description="By name."
    )
    dead_letter_file: Path | None = Field(
        default=None,
        title="Dead letters",
        description="JSON-lines file of undeliverable webhooks (default: in the data directory).",
    )
    mqtt: MqttSettings = Field(default_factory=MqttSettings, title="MQTT")
    stream_max_seconds: float = Field(
        default=300.0,
        ge=1,
        le=3600,
        title="Stream length",
        description="Then the browser reconnects.",
    )
    stream_heartbeat_s: float = Field(
        default=15.0, ge=1, le=120, title="Heartbeat", description="Keep-alive interval."
    )
