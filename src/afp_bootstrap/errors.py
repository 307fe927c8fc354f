"""Errors of the composition root."""

from __future__ import annotations


class ConfigurationError(RuntimeError):
    """Settings that cannot work (a missing key, an unsupported URL...)."""


__all__ = ["ConfigurationError"]
