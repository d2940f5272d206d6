"""Settings of the key vault (a section of the platekeeper config).

The master key itself is a secret and is not configured here: it comes from
the environment (``PLATEKEEPER_MASTER_KEY``), a secrets file, or the key file
made by ``platekeeper init``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class KeySettings(BaseModel):
    """Where the master key file and the key vault live."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    master_key_file: Path | None = Field(
        default=None,
        title="Master key file",
        description="File holding the master key (mode 0600). Default: "
        "<data_dir>/keys/master.key. Ignored when PLATEKEEPER_MASTER_KEY is set.",
    )
    vault_url: str | None = Field(
        default=None,
        title="Key vault URL",
        description="Database of the wrapped data keys, kept apart from the main database "
        "so that a backup of the main database holds no key. Default: "
        "sqlite:///<data_dir>/keys/vault.db.",
    )
    cache_seconds: int = Field(
        default=300,
        ge=0,
        le=86_400,
        title="Key cache lifetime",
        description="How long an unwrapped data key stays in memory; bounds how long a "
        "process keeps a key that another process destroyed.",
    )
