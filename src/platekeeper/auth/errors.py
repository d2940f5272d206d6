"""Errors of the identity services, each mapped to one HTTP answer by the web layer."""

from __future__ import annotations


class AccessError(Exception):
    """Base class; ``str(error)`` is safe to show to the user."""


class NotFoundError(AccessError):
    """No such record — or one outside the caller's scope (404 either way)."""


class PermissionDeniedError(AccessError):
    """The caller may not do this (403)."""


class ConflictError(AccessError):
    """The request contradicts the current state (409)."""


class InvalidInputError(AccessError):
    """The request is malformed or breaks a rule (400/422); nothing was changed."""
