"""Settings of the store (a section of the platekeeper config): where the
database and evidence live, search bounds, input limits, retention policies."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator


class RetentionPolicy(BaseModel):
    """How long one type of data is kept, and the length of its key periods.

    Data is encrypted under one key per period; when the last day of a period
    is older than ``keep_days``, the period's key is destroyed. Data therefore
    lives between ``keep_days`` and ``keep_days + period_days``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    keep_days: int = Field(ge=1, le=3_650, title="Keep (days)", description="Retention period.")
    period_days: int = Field(
        default=1,
        ge=1,
        le=366,
        title="Key period (days)",
        description="Length of one key period: the granularity of deletion.",
    )


class RetentionPolicies(BaseModel):
    """Retention per data type. The defaults keep as little as enforcement needs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reads: RetentionPolicy = Field(
        default=RetentionPolicy(keep_days=30),
        title="Non-hit reads",
        description="Reads that matched no hotlist, rule or violation.",
    )
    hits: RetentionPolicy = Field(
        default=RetentionPolicy(keep_days=365, period_days=30),
        title="Reads with a hit",
        description="Reads with a hotlist hit or a violation, and their evidence "
        "(long enough for the appeal period of a fine).",
    )
    crops: RetentionPolicy = Field(
        default=RetentionPolicy(keep_days=30),
        title="Plate crops",
        description="Plate crops of non-hit reads.",
    )
    frames: RetentionPolicy = Field(
        default=RetentionPolicy(keep_days=7),
        title="Frames",
        description="Full frames of non-hit reads.",
    )
    clips: RetentionPolicy = Field(
        default=RetentionPolicy(keep_days=7),
        title="Clips",
        description="Video clips of non-hit reads.",
    )
    orphan_grace_minutes: int = Field(
        default=60,
        ge=1,
        title="Orphan grace (minutes)",
        description="Evidence objects with no database row (a failed ingest) are removed "
        "after this long.",
    )


class StoreSettings(BaseModel):
    """Database, evidence store, search bounds and input limits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    database_url: str | None = Field(
        default=None,
        title="Database URL",
        description="sqlite:///… or postgresql+psycopg://user@host/db (no password: set "
        "PLATEKEEPER_STORE__DATABASE_PASSWORD). Default: sqlite:///<data_dir>/platekeeper.db.",
    )
    database_password: SecretStr | None = Field(
        default=None,
        title="Database password",
        description="Password of the database user (environment or secrets file only).",
    )
    evidence_url: str | None = Field(
        default=None,
        title="Evidence URL",
        description="file:///path or s3://bucket/prefix. Default: file://<data_dir>/evidence.",
    )
    s3_endpoint_url: str | None = Field(
        default=None,
        title="S3 endpoint",
        description="Endpoint of an S3-compatible store (MinIO, Ceph); empty for AWS. "
        "Credentials come from the usual AWS_* environment variables.",
    )
    s3_region: str | None = Field(default=None, title="S3 region", description="S3 region.")
    evidence_fsync: bool = Field(
        default=True,
        title="Sync evidence files",
        description="fsync every evidence file before its read commits (file store only).",
    )
    max_search_days: int = Field(
        default=31,
        ge=1,
        title="Maximum search window (days)",
        description="Widest time range of a search or journey unless explicitly widened.",
    )
    max_widened_search_days: int = Field(
        default=366,
        ge=1,
        title="Maximum widened window (days)",
        description="Widest time range of an explicitly widened search.",
    )
    max_wildcard_hours: int = Field(
        default=24,
        ge=1,
        title="Maximum wildcard window (hours)",
        description="Wildcard searches decrypt every read in their window: this bounds it.",
    )
    max_wildcard_rows: int = Field(
        default=200_000,
        ge=1,
        title="Maximum reads scanned by a wildcard search",
        description="A wildcard search whose window holds more reads is refused; narrow it "
        "by time or cameras.",
    )
    max_clock_skew_seconds: int = Field(
        default=300,
        ge=0,
        title="Clock skew",
        description="How far in the future a capture time may be.",
    )
    max_crop_bytes: int = Field(
        default=2 << 20, ge=1, title="Crop size limit", description="Largest plate crop, bytes."
    )
    max_frame_bytes: int = Field(
        default=20 << 20, ge=1, title="Frame size limit", description="Largest frame, bytes."
    )
    max_clip_bytes: int = Field(
        default=200 << 20, ge=1, title="Clip size limit", description="Largest clip, bytes."
    )
    max_image_pixels: int = Field(
        default=64_000_000,
        ge=1,
        title="Pixel limit",
        description="Images with more pixels are refused before decoding.",
    )
    max_evidence_per_read: int = Field(
        default=8, ge=0, title="Evidence per read", description="Most blobs one read may carry."
    )
    retention: RetentionPolicies = Field(
        default_factory=RetentionPolicies,
        title="Retention",
        description="How long each type of data is kept.",
    )

    @field_validator("database_url")
    @classmethod
    def _no_password_in_url(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).password is not None:
            raise ValueError(
                "the database URL may not contain a password; set "
                "PLATEKEEPER_STORE__DATABASE_PASSWORD instead"
            )
        return value

    def resolved_database_url(self, data_dir: Path) -> str:
        """The database URL with the password filled in (never log it)."""
        from sqlalchemy.engine import make_url

        url = make_url(self.database_url or f"sqlite:///{data_dir.absolute()}/platekeeper.db")
        if self.database_password is not None:
            url = url.set(password=self.database_password.get_secret_value())
        return url.render_as_string(hide_password=False)

    def resolved_evidence_url(self, data_dir: Path) -> str:
        return self.evidence_url or f"file://{(data_dir / 'evidence').absolute()}"
