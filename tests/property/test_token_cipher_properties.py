"""`AesGcmTokenCipher` for any token and context: it round-trips; another context, another key
or any flipped byte fails; rotating to a new key keeps every token readable."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afp_adapters.crypto import AesGcmTokenCipher

keys = st.binary(min_size=32, max_size=32)
key_ids = st.from_regex(r"[A-Za-z0-9_-]{1,32}", fullmatch=True)
tokens = st.text(max_size=300)
contexts = st.text(min_size=1, max_size=120)


def _flip(sealed: str, position: int, bit: int) -> str:
    """The ciphertext with one bit of its binary part (nonce, body or tag) flipped."""
    version, key_id, body = sealed.split(".")
    blob = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    blob[position % len(blob)] ^= 1 << bit
    encoded = base64.urlsafe_b64encode(bytes(blob)).rstrip(b"=").decode()
    return f"{version}.{key_id}.{encoded}"


@given(key=keys, key_id=key_ids, token=tokens, context=contexts)
def test_a_token_decrypts_to_itself_in_its_context(
    key: bytes, key_id: str, token: str, context: str
) -> None:
    cipher = AesGcmTokenCipher([(key_id, key)])
    sealed = cipher.encrypt(token, context=context)
    assert cipher.decrypt(sealed, context=context) == token
    assert not cipher.needs_rotation(sealed)


@given(key=keys, token=tokens, context=contexts, other=contexts)
def test_any_other_context_fails(key: bytes, token: str, context: str, other: str) -> None:
    cipher = AesGcmTokenCipher([("k", key)])
    sealed = cipher.encrypt(token, context=context)
    if other != context:
        with pytest.raises(ValueError, match="does not decrypt"):
            cipher.decrypt(sealed, context=other)


@given(key=keys, other_key=keys, token=tokens, context=contexts)
def test_any_other_key_under_the_same_id_fails(
    key: bytes, other_key: bytes, token: str, context: str
) -> None:
    sealed = AesGcmTokenCipher([("k", key)]).encrypt(token, context=context)
    if other_key != key:
        with pytest.raises(ValueError, match="does not decrypt"):
            AesGcmTokenCipher([("k", other_key)]).decrypt(sealed, context=context)


@given(
    key=keys,
    token=tokens,
    context=contexts,
    position=st.integers(min_value=0),
    bit=st.integers(min_value=0, max_value=7),
)
def test_any_flipped_bit_fails(
    key: bytes, token: str, context: str, position: int, bit: int
) -> None:
    cipher = AesGcmTokenCipher([("k", key)])
    tampered = _flip(cipher.encrypt(token, context=context), position, bit)
    with pytest.raises(ValueError, match="does not decrypt"):
        cipher.decrypt(tampered, context=context)


@settings(max_examples=50)
@given(
    old=keys,
    new=keys,
    items=st.lists(st.tuples(tokens, contexts), min_size=1, max_size=8),
)
def test_rotation_keeps_every_token_readable_with_the_new_key_alone(
    old: bytes, new: bytes, items: list[tuple[str, str]]
) -> None:
    before = AesGcmTokenCipher([("old", old)])
    stored = [(before.encrypt(token, context=ctx), token, ctx) for token, ctx in items]
    ring = AesGcmTokenCipher([("new", new), ("old", old)])
    assert all(ring.decrypt(sealed, context=ctx) == token for sealed, token, ctx in stored)
    rotated = [
        (ring.rotate(sealed, context=ctx) if ring.needs_rotation(sealed) else sealed, token, ctx)
        for sealed, token, ctx in stored
    ]
    after = AesGcmTokenCipher([("new", new)])
    assert all(not after.needs_rotation(sealed) for sealed, _, _ in rotated)
    assert all(after.decrypt(sealed, context=ctx) == token for sealed, token, ctx in rotated)
