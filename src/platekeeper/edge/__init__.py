"""The agent beside a camera bank: a durable, encrypted outbox of reads and
the uploader that delivers them to the central ingest exactly once."""
