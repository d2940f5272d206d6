"""Storage: database models and repositories, evidence blobs, migrations."""
