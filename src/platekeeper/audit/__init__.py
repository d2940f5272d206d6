"""The audit log: append-only, hash-chained, with signed checkpoints."""
