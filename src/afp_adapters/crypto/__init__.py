"""Secrets at rest."""

from afp_adapters.crypto.aesgcm import AesGcmTokenCipher, generate_key, parse_key_ring
from afp_adapters.crypto.passwords import Argon2PasswordHasher

__all__ = ["AesGcmTokenCipher", "Argon2PasswordHasher", "generate_key", "parse_key_ring"]
