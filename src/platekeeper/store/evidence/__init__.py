"""The evidence store: encrypted, content-addressed, write-once blobs
(plate crops, frames, clips) on local files or any S3-compatible store."""
