"""The central door for cameras: request signatures, camera keys and, next,
idempotent ingest of reads and frames."""
