"""Settings of the web server (the ``web`` section of the platekeeper config)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator


class WebSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(
        default="127.0.0.1",
        title="Bind address",
        description="Address to listen on. Anything but loopback requires TLS.",
    )
    port: int = Field(default=8443, ge=1, le=65535, title="Port", description="TCP port.")
    tls: bool = Field(
        default=True,
        title="HTTPS",
        description="Serve HTTPS. Turning it off is allowed on a loopback address only "
        "(e.g. behind a local TLS-terminating proxy).",
    )
    tls_certificate: Path | None = Field(
        default=None,
        title="TLS certificate",
        description="PEM certificate chain. Default: tls/cert.pem in the data directory, "
        "self-signed and made when absent.",
    )
    tls_private_key: Path | None = Field(
        default=None,
        title="TLS private key",
        description="PEM private key of the certificate. Default: tls/key.pem in the data "
        "directory.",
    )
    allowed_origins: tuple[str, ...] = Field(
        default=(),
        title="Extra allowed origins",
        description="Origins (scheme://host[:port]) besides the server's own from which "
        "state-changing requests are accepted, e.g. the public name behind a proxy.",
    )
    tile_url: str | None = Field(
        default=None,
        title="Map tile URL",
        description="A {z}/{x}/{y} tile URL template (e.g. your own tile server). "
        "Unset: maps draw without a background layer and load nothing from elsewhere.",
    )
    tile_attribution: str = Field(
        default="",
        max_length=300,
        title="Map tile attribution",
        description="Attribution text the tile provider requires.",
    )
    map_center: tuple[float, float] = Field(
        default=(41.3, 64.6),
        title="Map centre",
        description="Latitude and longitude maps open at before they fit their data.",
    )
    map_zoom: int = Field(default=6, ge=1, le=18, title="Map zoom", description="Initial zoom.")
    approval_after_days: int = Field(
        default=30,
        ge=1,
        le=366,
        title="Approval threshold (days)",
        description="A search or journey over a longer window needs a supervisor's approval "
        "(wildcard searches always do).",
    )
    approval_valid_hours: int = Field(
        default=24,
        ge=1,
        le=168,
        title="Approval lifetime (hours)",
        description="How long an approved search may wait before it is run (once).",
    )
    live_window_minutes: int = Field(
        default=10,
        ge=1,
        le=120,
        title="Live reads window (minutes)",
        description="How far back the live reads page starts.",
    )
    second_reviewer: bool = Field(
        default=True,
        title="Second reviewer",
        description="A confirmed violation is final only after a supervisor (not the first "
        "reviewer) confirms it too.",
    )
    claim_minutes: int = Field(
        default=15,
        ge=1,
        le=240,
        title="Review claim (minutes)",
        description="How long a claimed violation stays with its reviewer.",
    )
    evidence_link_minutes: int = Field(
        default=60,
        ge=1,
        le=720,
        title="Evidence link lifetime (minutes)",
        description="Images shown with live reads and search results are served through "
        "links bound to the user that expire after this long.",
    )

    @field_validator("tile_url")
    @classmethod
    def _https_tiles(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "/")):
            raise ValueError("the tile URL must be https:// or a path on this server")
        return value

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            if not origin.startswith(("https://", "http://")) or origin.count("/") != 2:
                raise ValueError(f"{origin!r} is not an origin like https://name[:port]")
        return tuple(o.rstrip("/") for o in value)

    def certificate_paths(self, data_dir: Path) -> tuple[Path, Path]:
        return (
            self.tls_certificate or data_dir / "tls" / "cert.pem",
            self.tls_private_key or data_dir / "tls" / "key.pem",
        )
