"""Settings of the audit log (the ``audit`` section of the platekeeper config)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class AuditSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    checkpoint_every: int = Field(
        default=100,
        ge=1,
        le=100_000,
        title="Checkpoint interval (entries)",
        description="A signed checkpoint is written after this many entries.",
    )
    checkpoint_interval_seconds: int = Field(
        default=300,
        # A signature a second is harmless (only a grown log is signed).
        ge=1,
        le=86_400,
        title="Checkpoint interval (time)",
        description="The server also signs the head of the log this often when it has grown.",
    )
    signing_key_file: Path | None = Field(
        default=None,
        title="Signing key",
        description="Ed25519 private key (PEM) that signs checkpoints. "
        "Default: keys/audit-signing.pem in the data directory, made when absent.",
    )

    def signing_key_path(self, data_dir: Path) -> Path:
        return self.signing_key_file or data_dir / "keys" / "audit-signing.pem"
