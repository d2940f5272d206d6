"""Settings of the camera door and its work queue (the ``ingest`` section)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class IngestSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    queue_url: str = Field(
        default="local",
        title="Work queue",
        description="'local': a durable table in the store's database (embedded); "
        "'nats://host:4222': a NATS JetStream stream (scale-out).",
    )
    queue_stream: str = Field(
        default="PLATEKEEPER_FRAMES",
        pattern=r"^[A-Z][A-Z0-9_]{0,63}$",
        title="JetStream stream",
        description="Stream (and subject suffix) of the NATS work queue.",
    )
    signature_window_seconds: int = Field(
        default=300,
        ge=10,
        le=3600,
        title="Signature window",
        description="How far a signed request's timestamp may be from the server's clock.",
    )
    mqtt_host: str | None = Field(
        default=None,
        title="MQTT broker",
        description="Also take signed camera messages from this broker (e.g. 127.0.0.1); "
        "unset: HTTP only.",
    )
    mqtt_port: int = Field(default=1883, ge=1, le=65535, title="MQTT port")
    mqtt_prefix: str = Field(
        default="platekeeper/cameras",
        pattern=r"^[A-Za-z0-9_/-]{1,100}$",
        title="MQTT topic prefix",
        description="Cameras publish to <prefix>/<camera code>/reads or /frames.",
    )
    countries: tuple[str, ...] = Field(
        default=("UZ",),
        title="Countries of central recognition",
        description="Plate syntaxes the workers consider for frames from cameras.",
    )

    @field_validator("queue_url")
    @classmethod
    def _known(cls, value: str) -> str:
        if value != "local" and not value.startswith(("nats://", "tls://")):
            raise ValueError("queue_url is 'local' or a nats:// URL")
        return value
