"""`afp admin rotate-token-keys`: re-encrypts stored tokens with the ring's new first key; a bad
`AFP_TOKEN_KEYS` is a one-line configuration error (exit 2)."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import pytest
from typer.testing import CliRunner

from afp_adapters.crypto import AesGcmTokenCipher, generate_key
from afp_bootstrap import Settings, build_container, close_database
from afp_cli import app
from afp_core.domain.ids import UserId
from afp_core.domain.social import (
    OAuthTokens,
    SocialConnection,
    SocialProvider,
    TokenField,
    token_context,
)
from afp_core.usecases import CreateUserCommand
from afp_core.usecases._social_tokens import seal

runner = CliRunner()
OLD, NEW = generate_key(), generate_key()


@pytest.fixture(autouse=True)
def _database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("AFP_OPENAI_API_KEY", "AFP_KIE_API_KEY", "AFP_PROVIDERS", "AFP_STORAGE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AFP_DATABASE_URL", f"sqlite:///{tmp_path / 'afp.db'}")
    monkeypatch.setenv("AFP_TOKEN_KEYS", f"old:{OLD}")
    assert runner.invoke(app, ["migrate"]).exit_code == 0


def _connect_someone() -> UserId:
    """A connection whose tokens the `old` key encrypted; its user's id."""

    async def go() -> UserId:
        container = build_container(Settings())
        try:
            made = await container.create_user().execute(CreateUserCommand("a@example.com"))
            connection = SocialConnection(
                user_id=made.user.id,
                provider=SocialProvider.TIKTOK,
                access_token_enc="",
                refresh_token_enc=None,
                expires_at=None,
                scopes=("video.publish",),
                account_id="acct",
                account_name="A",
                connected_at=made.user.created_at,
            )
            seal(container.cipher(), connection, OAuthTokens("access-1", "refresh-1"))
            async with container.uow()() as uow:
                await uow.connections.save(connection)
                await uow.commit()
            return made.user.id
        finally:
            await close_database(container)

    return asyncio.run(go())


def _stored_refresh_token(user_id: UserId) -> str:
    async def go() -> str:
        container = build_container(Settings())
        try:
            async with container.uow()() as uow:
                found = await uow.connections.get(user_id, SocialProvider.TIKTOK)
            assert found is not None and found.refresh_token_enc is not None
            return str(found.refresh_token_enc)
        finally:
            await close_database(container)

    return asyncio.run(go())


def test_rotation_re_encrypts_with_the_new_key_so_the_old_one_can_go(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user_id = _connect_someone()
    monkeypatch.setenv("AFP_TOKEN_KEYS", f"new:{NEW},old:{OLD}")
    rotated = runner.invoke(app, ["admin", "rotate-token-keys"])
    assert rotated.exit_code == 0, rotated.output
    assert rotated.stdout.strip() == "re-encrypted 1 connection(s); 0 already current"

    monkeypatch.setenv("AFP_TOKEN_KEYS", f"new:{NEW}")
    again = runner.invoke(app, ["admin", "rotate-token-keys"])
    assert again.stdout.strip() == "re-encrypted 0 connection(s); 1 already current"
    sealed = _stored_refresh_token(user_id)
    assert sealed.startswith("v1.new.")
    only_new = AesGcmTokenCipher([("new", base64.b64decode(NEW))])
    context = token_context(user_id, SocialProvider.TIKTOK, TokenField.REFRESH)
    assert only_new.decrypt(sealed, context=context) == "refresh-1"


def test_tokens_no_key_can_read_fail_the_rotation(monkeypatch: pytest.MonkeyPatch) -> None:
    _connect_someone()
    monkeypatch.setenv("AFP_TOKEN_KEYS", f"new:{NEW}")  # the old key was dropped too early
    result = runner.invoke(app, ["admin", "rotate-token-keys"])
    assert result.exit_code == 1
    assert "1 connection(s) decrypt with no key of the ring" in result.stderr


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ("new:c2hvcnQ=", "key 'new' is 5 bytes; AES-256 needs 32"),
        ("new", "entry 1 has no key id"),
        (f"a:{OLD},a:{NEW}", "key id 'a' appears more than once"),
    ],
)
def test_a_bad_key_ring_is_a_one_line_error_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, keys: str, message: str
) -> None:
    monkeypatch.setenv("AFP_TOKEN_KEYS", keys)
    result = runner.invoke(app, ["admin", "rotate-token-keys"])
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: configuration: AFP_TOKEN_KEYS")
    assert message in line
    assert OLD not in line and NEW not in line
