"""Secrets at rest."""

from afp_adapters.crypto.fernet import FernetTokenCipher

__all__ = ["FernetTokenCipher"]
