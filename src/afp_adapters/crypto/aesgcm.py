"""`AesGcmTokenCipher`: AES-256-GCM for OAuth tokens at rest, with a key ring that rotates.

A ciphertext is text: `v1.<key id>.<url-safe base64 of nonce (12 bytes) || ciphertext+tag>`.
The associated data is `afp-token-v1|` + the caller's context (which names the row and the
field), so a ciphertext copied to another user's row, another platform or the other token field
does not decrypt. The key id says which key of the ring made it; the first key of the ring
encrypts, every key decrypts, so a key rotates by putting a new one first, re-encrypting
(`afp admin rotate-token-keys`) and then dropping the old one.

`AFP_TOKEN_KEYS` is the ring as text: comma-separated `KEY_ID:BASE64_KEY` entries, each key
32 random bytes (make one with `generate_key()`), the current key first.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12
_TAG_BYTES = 16
_AAD_PREFIX = b"afp-token-v1|"
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
_FORMAT = "AFP_TOKEN_KEYS holds comma-separated KEY_ID:BASE64_KEY entries, the current key first"


def generate_key() -> str:
    """A fresh key for the ring: 32 random bytes, base64 (put `KEY_ID:` before it)."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def parse_key_ring(value: str) -> list[tuple[str, bytes]]:
    """`AFP_TOKEN_KEYS` read into `(key id, key)` pairs, the current key first. A `ValueError`
    names what is wrong (never the key itself)."""
    entries = [e.strip() for e in value.split(",") if e.strip()]
    if not entries:
        raise ValueError(f"AFP_TOKEN_KEYS is empty; {_FORMAT}")
    ring: list[tuple[str, bytes]] = []
    for number, entry in enumerate(entries, start=1):
        key_id, colon, encoded = entry.partition(":")
        key_id = key_id.strip()
        if not colon:
            raise ValueError(f"AFP_TOKEN_KEYS entry {number} has no key id; {_FORMAT}")
        if not _KEY_ID.fullmatch(key_id):
            raise ValueError(
                f"AFP_TOKEN_KEYS entry {number}: a key id is 1-32 letters, digits, '_' or '-'"
            )
        if any(known == key_id for known, _ in ring):
            raise ValueError(f"AFP_TOKEN_KEYS: key id {key_id!r} appears more than once")
        ring.append((key_id, _decode_key(key_id, encoded.strip())))
    return ring


def _decode_key(key_id: str, encoded: str) -> bytes:
    padded = encoded + "=" * (-len(encoded) % 4)
    try:
        key = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"AFP_TOKEN_KEYS: key {key_id!r} is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise ValueError(
            f"AFP_TOKEN_KEYS: key {key_id!r} is {len(key)} bytes; AES-256 needs {KEY_BYTES}"
        )
    return key


class AesGcmTokenCipher:
    """Implements `TokenCipher` with AES-256-GCM and a random 96-bit nonce per encryption."""

    def __init__(self, keys: Sequence[tuple[str, bytes]]) -> None:
        if not keys:
            raise ValueError(f"the token key ring is empty; {_FORMAT}")
        self._keys: dict[str, AESGCM] = {}
        for key_id, key in keys:
            if not _KEY_ID.fullmatch(key_id):
                raise ValueError("a key id is 1-32 letters, digits, '_' or '-'")
            if key_id in self._keys:
                raise ValueError(f"key id {key_id!r} appears more than once in the ring")
            if len(key) != KEY_BYTES:
                raise ValueError(f"key {key_id!r} is {len(key)} bytes; AES-256 needs {KEY_BYTES}")
            self._keys[key_id] = AESGCM(key)
        self.current_key_id = keys[0][0]

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def encrypt(self, plaintext: str, *, context: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._keys[self.current_key_id].encrypt(
            nonce, plaintext.encode("utf-8"), _aad(context)
        )
        body = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")
        return f"{VERSION}.{self.current_key_id}.{body}"

    def decrypt(self, ciphertext: str, *, context: str) -> str:
        key_id, blob = _parse(ciphertext)
        aead = self._keys.get(key_id)
        if aead is None:
            raise ValueError(f"the token was encrypted with key {key_id!r}, not in the key ring")
        try:
            plain = aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], _aad(context))
        except InvalidTag:
            raise ValueError(
                "the token does not decrypt: wrong key, context or a damaged ciphertext"
            ) from None
        return plain.decode("utf-8")

    def needs_rotation(self, ciphertext: str) -> bool:
        try:
            key_id, _ = _parse(ciphertext)
        except ValueError:
            return True  # not ours (an older format): rotating it tells whether it can be read
        return key_id != self.current_key_id

    def rotate(self, ciphertext: str, *, context: str) -> str:
        """The same plaintext encrypted with the current key (`ValueError` if unreadable)."""
        return self.encrypt(self.decrypt(ciphertext, context=context), context=context)


def _aad(context: str) -> bytes:
    return _AAD_PREFIX + context.encode("utf-8")


def _parse(ciphertext: str) -> tuple[str, bytes]:
    version, _, rest = ciphertext.partition(".")
    key_id, _, body = rest.partition(".")
    if version != VERSION or not _KEY_ID.fullmatch(key_id) or not body:
        raise ValueError("not an AFP token ciphertext (expected v1.<key id>.<data>)")
    try:
        blob = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("the token ciphertext is not valid base64") from None
    if len(blob) < NONCE_BYTES + _TAG_BYTES:
        raise ValueError("the token ciphertext is too short")
    return key_id, blob


__all__ = ["AesGcmTokenCipher", "generate_key", "parse_key_ring"]
