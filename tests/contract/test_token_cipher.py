"""One contract for every `TokenCipher`: round-trips in its context only, detects tampering,
says what needs rotating; the AES-GCM key ring rotates and is read from `AFP_TOKEN_KEYS`."""

from __future__ import annotations

import base64

import pytest

from afp_adapters.crypto import AesGcmTokenCipher, generate_key, parse_key_ring
from afp_adapters.fakes import FakeTokenCipher
from afp_core.ports.social import TokenCipher

pytestmark = pytest.mark.contract

HERE = "user_integrations|u1|tiktok|access"
ELSEWHERE = "user_integrations|u2|tiktok|access"


def aes(*key_ids: str) -> AesGcmTokenCipher:
    return AesGcmTokenCipher([(k, base64.b64decode(generate_key())) for k in key_ids])


@pytest.fixture(params=["fake", "aesgcm"])
def cipher(request: pytest.FixtureRequest) -> TokenCipher:
    if request.param == "fake":
        return FakeTokenCipher()
    return aes("k1")


def test_a_token_round_trips_in_its_context_and_is_not_stored_in_clear(
    cipher: TokenCipher,
) -> None:
    secret = "ya29.a0AfH6SMB-very-secret"
    sealed = cipher.encrypt(secret, context=HERE)
    assert secret not in sealed
    assert cipher.decrypt(sealed, context=HERE) == secret
    assert not cipher.needs_rotation(sealed)


def test_a_ciphertext_moved_to_another_row_does_not_decrypt(cipher: TokenCipher) -> None:
    sealed = cipher.encrypt("token", context=HERE)
    with pytest.raises(ValueError, match="decrypt"):
        cipher.decrypt(sealed, context=ELSEWHERE)


def test_garbage_does_not_decrypt(cipher: TokenCipher) -> None:
    with pytest.raises(ValueError, match=r"ciphertext|decrypt"):
        cipher.decrypt("not-a-ciphertext", context=HERE)


def test_the_ciphertext_names_its_version_and_key() -> None:
    sealed = aes("2026-11").encrypt("token", context=HERE)
    version, key_id, body = sealed.split(".")
    assert (version, key_id) == ("v1", "2026-11")
    assert len(base64.urlsafe_b64decode(body + "==")) == 12 + len("token") + 16
    assert aes("2026-11").encrypt("token", context=HERE) != sealed  # a fresh nonce each time


def test_a_new_current_key_rotates_old_ciphertexts_without_losing_them() -> None:
    old_key, new_key = base64.b64decode(generate_key()), base64.b64decode(generate_key())
    before = AesGcmTokenCipher([("old", old_key)])
    sealed = before.encrypt("token", context=HERE)
    ring = AesGcmTokenCipher([("new", new_key), ("old", old_key)])
    assert ring.needs_rotation(sealed)
    assert ring.decrypt(sealed, context=HERE) == "token"
    rotated = ring.rotate(sealed, context=HERE)
    assert not ring.needs_rotation(rotated)
    only_new = AesGcmTokenCipher([("new", new_key)])
    assert only_new.decrypt(rotated, context=HERE) == "token"
    with pytest.raises(ValueError, match="not in the key ring"):
        only_new.decrypt(sealed, context=HERE)


def test_a_key_ring_is_read_from_afp_token_keys() -> None:
    one, two = generate_key(), generate_key()
    ring = parse_key_ring(f" k2:{one} , k1:{two},")
    assert [k for k, _ in ring] == ["k2", "k1"]
    assert ring[0][1] == base64.b64decode(one)
    url_safe = base64.urlsafe_b64encode(base64.b64decode(one)).decode().rstrip("=")
    assert parse_key_ring(f"k:{url_safe}")[0][1] == base64.b64decode(one)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "empty"),
        ("k1", "no key id"),
        ("bad.id:AAAA", "key id is 1-32 letters"),
        ("k1:not base64!", "not valid base64"),
        (f"k1:{base64.b64encode(b'short').decode()}", "5 bytes; AES-256 needs 32"),
        ("k1:{0},k1:{0}", "appears more than once"),
    ],
)
def test_a_bad_key_ring_is_a_clear_error_that_never_shows_a_key(value: str, message: str) -> None:
    key = generate_key()
    with pytest.raises(ValueError, match=message) as caught:
        parse_key_ring(value.format(key))
    assert "AFP_TOKEN_KEYS" in str(caught.value)
    assert key not in str(caught.value)
