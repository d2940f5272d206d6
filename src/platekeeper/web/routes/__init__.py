"""Routers of the web app, one module per feature; each page beside its API twin."""
