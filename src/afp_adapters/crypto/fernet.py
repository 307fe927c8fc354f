"""`FernetTokenCipher`: authenticated encryption of OAuth tokens with a rotating key ring."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class FernetTokenCipher:
    """Implements `TokenCipher`. The first key encrypts; every key of the ring decrypts, so keys
    rotate by putting a new one first and keeping the old ones until `rotate` has run."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("the token key ring is empty (set AFP_TOKEN_KEYS)")
        try:
            self._ring = MultiFernet([Fernet(k.encode()) for k in keys])
        except ValueError as exc:
            raise ValueError(
                "AFP_TOKEN_KEYS must hold url-safe base64 32-byte keys; make one with "
                "python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'"
            ) from exc

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode()

    def encrypt(self, plaintext: str) -> str:
        return self._ring.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._ring.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("token does not decrypt with any key of the ring") from exc

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt with the current (first) key."""
        return self._ring.rotate(ciphertext.encode()).decode()
