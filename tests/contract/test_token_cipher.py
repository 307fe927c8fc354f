"""One contract for every `TokenCipher`: round-trips, detects tampering; Fernet also rotates."""

from __future__ import annotations

import pytest

from afp_adapters.crypto import FernetTokenCipher
from afp_adapters.fakes import FakeTokenCipher
from afp_core.ports.commerce import TokenCipher

pytestmark = pytest.mark.contract


@pytest.fixture(params=["fake", "fernet"])
def cipher(request: pytest.FixtureRequest) -> TokenCipher:
    if request.param == "fake":
        return FakeTokenCipher()
    return FernetTokenCipher([FernetTokenCipher.generate_key()])


def test_a_token_round_trips_and_is_not_stored_in_clear(cipher: TokenCipher) -> None:
    secret = "ya29.a0AfH6SMB-very-secret"
    sealed = cipher.encrypt(secret)
    assert secret not in sealed
    assert cipher.decrypt(sealed) == secret


def test_garbage_does_not_decrypt(cipher: TokenCipher) -> None:
    with pytest.raises(ValueError, match=r"ciphertext|decrypt"):
        cipher.decrypt("not-a-ciphertext")


def test_fernet_detects_tampering_and_old_keys_still_decrypt_after_rotation() -> None:
    old, new = FernetTokenCipher.generate_key(), FernetTokenCipher.generate_key()
    before = FernetTokenCipher([old])
    sealed = before.encrypt("token")
    flipped = sealed[:-5] + ("A" if sealed[-5] != "A" else "B") + sealed[-4:]
    with pytest.raises(ValueError, match="does not decrypt"):
        before.decrypt(flipped)
    ring = FernetTokenCipher([new, old])
    assert ring.decrypt(sealed) == "token"
    rotated = ring.rotate(sealed)
    assert FernetTokenCipher([new]).decrypt(rotated) == "token"
    with pytest.raises(ValueError, match="does not decrypt"):
        FernetTokenCipher([new]).decrypt(sealed)


def test_a_bad_key_ring_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="AFP_TOKEN_KEYS"):
        FernetTokenCipher([])
    with pytest.raises(ValueError, match="AFP_TOKEN_KEYS"):
        FernetTokenCipher(["short"])
