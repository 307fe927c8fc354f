"""Secrets at rest."""

from afp_adapters.crypto.fernet import FernetTokenCipher
from afp_adapters.crypto.passwords import Argon2PasswordHasher

__all__ = ["Argon2PasswordHasher", "FernetTokenCipher"]
