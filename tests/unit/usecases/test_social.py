"""Connecting social accounts, keeping their tokens usable and publishing videos, on fakes."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from afp_adapters.fakes import (
    FakeClock,
    FakeSocialPublisher,
    FakeTokenCipher,
    InMemoryDatabase,
    MemoryMediaStorage,
    SequentialIds,
    fake_mp4,
)
from afp_core.domain.errors import (
    NotFound,
    ProviderOutcomeUnknown,
    ProviderRejected,
    ProviderUnavailable,
    ReconnectRequired,
    ValidationFailed,
)
from afp_core.domain.ids import HoldId, PostId, UserId, VideoId
from afp_core.domain.jobs import JobName
from afp_core.domain.policy import SocialTiming
from afp_core.domain.social import (
    ConnectionStatus,
    OAuthTokens,
    Post,
    PostStatus,
    SocialConnection,
    SocialProvider,
    TokenField,
    token_context,
)
from afp_core.domain.users import User
from afp_core.domain.video import Video, VideoSpec
from afp_core.ports.social import PublishRequest, SocialPublisher
from afp_core.usecases import (
    BeginSocialConnection,
    BeginSocialConnectionCommand,
    BeginSocialConnectionResult,
    DisconnectSocialAccount,
    DisconnectSocialAccountCommand,
    FinishSocialConnection,
    FinishSocialConnectionCommand,
    FinishSocialConnectionResult,
    PublishVideo,
    PublishVideoCommand,
    PublishVideoResult,
    RefreshConnections,
    RefreshConnectionsCommand,
    RefreshPostStatus,
    RefreshPostStatusCommand,
    RefreshPostStatusResult,
    RotateTokenKeys,
    RotateTokenKeysCommand,
    StartPublishing,
    StartPublishingCommand,
    StartPublishingResult,
)
from afp_core.usecases._social_posts import IN_DOUBT, TOO_SLOW

TIKTOK = SocialProvider.TIKTOK
ALICE = UserId("alice")
BOB = UserId("bob")
REDIRECT = "https://app.example.com/social/callback"
TIMING = SocialTiming(
    oauth_state_ttl=timedelta(minutes=15),
    post_check_delay=timedelta(seconds=20),
    post_max_checks=3,
    refresh_wait=timedelta(milliseconds=200),
    refresh_wait_step=timedelta(milliseconds=2),
)
EXPIRY = datetime(2100, 1, 1, tzinfo=UTC)  # when the fake's tokens expire


class WatchfulPublisher(FakeSocialPublisher):
    """A `FakeSocialPublisher` that notes, at each platform call, what was committed and
    whether a unit of work was open."""

    def __init__(self, db: InMemoryDatabase, *, checks_before_live: int = 1) -> None:
        super().__init__(TIKTOK, checks_before_live=checks_before_live)
        self._db = db
        self.seen_posts: list[tuple[list[Post], bool]] = []
        self.tokens_used: list[str] = []

    async def begin_publish(self, tokens: OAuthTokens, request: PublishRequest) -> str:
        self.seen_posts.append((list(self._db.tables.posts.values()), self._db.lock.locked()))
        self.tokens_used.append(tokens.access_token)
        return await super().begin_publish(tokens, request)


class Studio:
    """The social side of AFP on fakes, with two registered users."""

    def __init__(self, *, checks_before_live: int = 1, timing: SocialTiming = TIMING) -> None:
        self.db = InMemoryDatabase(SequentialIds("row"))
        self.clock = FakeClock()
        self.cipher = FakeTokenCipher()
        self.storage = MemoryMediaStorage("https://media.example")
        self.publisher = WatchfulPublisher(self.db, checks_before_live=checks_before_live)
        self.publishers: dict[SocialProvider, SocialPublisher] = {TIKTOK: self.publisher}
        self.timing = timing
        uow = self.db.unit_of_work
        self.begin = BeginSocialConnection(uow, self.publishers, self.clock, timing)
        self.finish = FinishSocialConnection(uow, self.publishers, self.cipher, self.clock)
        self.disconnect = DisconnectSocialAccount(uow, self.publishers, self.cipher, self.clock)
        self.publish = PublishVideo(uow, self.publishers, self.clock, SequentialIds("post"))
        self.starter = StartPublishing(
            uow, self.publishers, self.cipher, self.storage, self.clock, timing
        )
        self.refresh = RefreshPostStatus(
            uow, self.publishers, self.cipher, self.storage, self.clock, timing
        )
        self.refresh_connections = RefreshConnections(
            uow, self.publishers, self.cipher, self.clock, timing
        )

    async def add_users(self) -> None:
        async with self.db.unit_of_work() as uow:
            for user_id in (ALICE, BOB):
                await uow.users.add(User(user_id, f"{user_id}@example.com", self.clock.now()))
            await uow.commit()

    async def start(self, user_id: UserId = ALICE) -> BeginSocialConnectionResult:
        return await self.begin.execute(BeginSocialConnectionCommand(user_id, TIKTOK, REDIRECT))

    async def connect(
        self, user_id: UserId = ALICE, code: str = "abc"
    ) -> FinishSocialConnectionResult:
        begun = await self.start(user_id)
        return await self.finish.execute(FinishSocialConnectionCommand(begun.state, code))

    async def video(self, user_id: UserId = ALICE, *, finished: bool = True) -> VideoId:
        now = self.clock.now()
        video_id = VideoId(f"video-{user_id}-{len(self.db.tables.videos) + 1}")
        video = Video(
            id=video_id,
            user_id=user_id,
            spec=VideoSpec(model="afp-local", prompt="a demo", duration_s=8, aspect_ratio="9:16"),
            price=1,
            hold_id=HoldId(f"hold-{video_id}"),
            created_at=now,
            updated_at=now,
            deadline=now + timedelta(hours=2),
        )
        if finished:
            key = f"videos/{video_id}.mp4"
            stored = await self.storage.put(key, fake_mp4(video_id), "video/mp4")
            video.mark_submitted("task-1", now)
            video.mark_storing(now)
            video.mark_completed(key, stored.url, now)
        async with self.db.unit_of_work() as uow:
            await uow.videos.add(video)
            await uow.commit()
        return video_id

    async def post_video(
        self, caption: str = "Look at this", user_id: UserId = ALICE
    ) -> PublishVideoResult:
        video_id = await self.video(user_id)
        return await self.publish.execute(PublishVideoCommand(user_id, video_id, TIKTOK, caption))

    async def send(self, post_id: PostId) -> StartPublishingResult:
        return await self.starter.execute(StartPublishingCommand(post_id))

    async def posted(self, caption: str = "Look at this") -> PostId:
        """A post recorded and sent (its `publish_post` job run)."""
        recorded = await self.post_video(caption)
        await self.send(recorded.post_id)
        return recorded.post_id

    async def check(self, post_id: PostId) -> RefreshPostStatusResult:
        return await self.refresh.execute(RefreshPostStatusCommand(post_id))

    async def connection(self, user_id: UserId = ALICE) -> SocialConnection:
        async with self.db.unit_of_work() as uow:
            found = await uow.connections.get(user_id, TIKTOK)
        assert found is not None
        return found

    async def post(self, post_id: PostId) -> Post:
        async with self.db.unit_of_work() as uow:
            return await uow.posts.get_any(post_id)

    def jobs(self, name: str) -> list[tuple[object, datetime]]:
        return [
            (r.job.payload["post_id"], r.run_at)
            for r in self.db.tables.jobs.values()
            if r.job.name == name
        ]

    def plain(self, sealed: str | None, field: TokenField, user_id: UserId = ALICE) -> str:
        assert sealed is not None
        return self.cipher.decrypt(sealed, context=token_context(user_id, TIKTOK, field))


@pytest.fixture
async def studio() -> Studio:
    studio = Studio()
    await studio.add_users()
    return studio


# ------------------------------------------------------------------------------ connecting


async def test_beginning_a_connection_sends_the_user_off_with_a_pkce_challenge(
    studio: Studio,
) -> None:
    begun = await studio.start()
    query = parse_qs(urlsplit(begun.authorization_url).query)
    stored = studio.db.tables.oauth_states[begun.state]
    verifier = stored.code_verifier
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    assert query["state"] == [begun.state]
    assert query["code_challenge"] == [challenge.rstrip(b"=").decode()]
    assert query["redirect_uri"] == [REDIRECT]
    assert 43 <= len(verifier) <= 128
    assert verifier not in begun.authorization_url
    assert (stored.user_id, stored.provider) == (ALICE, TIKTOK)
    assert stored.expires_at == studio.clock.now() + TIMING.oauth_state_ttl


async def test_each_connection_attempt_gets_its_own_state(studio: Studio) -> None:
    first, second = await studio.start(), await studio.start()
    assert first.state != second.state
    assert len(first.state) >= 32


async def test_a_platform_that_is_not_configured_cannot_be_connected(studio: Studio) -> None:
    with pytest.raises(ValidationFailed):
        await studio.begin.execute(
            BeginSocialConnectionCommand(ALICE, SocialProvider.YOUTUBE, REDIRECT)
        )
    assert studio.db.tables.oauth_states == {}


async def test_finishing_a_connection_stores_the_tokens_encrypted_for_their_row(
    studio: Studio,
) -> None:
    finished = await studio.connect(code="abc")
    assert finished == FinishSocialConnectionResult(ALICE, TIKTOK, "tiktok demo account")
    connection = await studio.connection()
    assert connection.status is ConnectionStatus.CONNECTED
    assert "access-abc" not in connection.access_token_enc
    assert "refresh-abc" not in (connection.refresh_token_enc or "")
    assert studio.plain(connection.access_token_enc, TokenField.ACCESS) == "access-abc"
    assert studio.plain(connection.refresh_token_enc, TokenField.REFRESH) == "refresh-abc"
    with pytest.raises(ValueError, match="context"):  # bound to Alice's row and field
        studio.plain(connection.access_token_enc, TokenField.REFRESH)
    with pytest.raises(ValueError, match="context"):
        studio.plain(connection.access_token_enc, TokenField.ACCESS, user_id=BOB)
    assert connection.scopes == ("video.publish",)


async def test_a_grant_without_the_scopes_publishing_needs_is_refused(studio: Studio) -> None:
    studio.publisher.granted_scopes = ("user.info.basic",)
    with pytest.raises(ValidationFailed, match=r"did not grant video\.publish"):
        await studio.connect()
    async with studio.db.unit_of_work() as uow:
        assert await uow.connections.get(ALICE, TIKTOK) is None


async def test_a_sign_in_state_works_only_once(studio: Studio) -> None:
    begun = await studio.start()
    await studio.finish.execute(FinishSocialConnectionCommand(begun.state, "abc"))
    with pytest.raises(ValidationFailed) as caught:
        await studio.finish.execute(FinishSocialConnectionCommand(begun.state, "abc"))
    assert caught.value.message == "the sign-in link has expired; start again"


async def test_an_expired_sign_in_state_is_refused_and_connects_nothing(studio: Studio) -> None:
    begun = await studio.start()
    studio.clock.advance(TIMING.oauth_state_ttl)
    with pytest.raises(ValidationFailed, match="expired"):
        await studio.finish.execute(FinishSocialConnectionCommand(begun.state, "abc"))
    assert studio.db.tables.connections == {}


async def test_an_unknown_sign_in_state_is_refused(studio: Studio) -> None:
    with pytest.raises(ValidationFailed, match="expired"):
        await studio.finish.execute(FinishSocialConnectionCommand("made-up", "abc"))


async def test_a_refused_code_still_spends_the_state(studio: Studio) -> None:
    begun = await studio.start()
    with pytest.raises(ProviderRejected):
        await studio.finish.execute(FinishSocialConnectionCommand(begun.state, "denied"))
    with pytest.raises(ValidationFailed, match="expired"):
        await studio.finish.execute(FinishSocialConnectionCommand(begun.state, "abc"))
    assert studio.db.tables.connections == {}


# ------------------------------------------------------------------------------ disconnecting


async def test_disconnecting_revokes_the_grant_and_deletes_the_tokens(studio: Studio) -> None:
    await studio.connect()
    result = await studio.disconnect.execute(DisconnectSocialAccountCommand(ALICE, TIKTOK))
    assert (result.status, result.revoked_at_provider) == (ConnectionStatus.REVOKED, True)
    assert studio.publisher.revoked == ["access-abc"]
    connection = await studio.connection()
    assert connection.status is ConnectionStatus.REVOKED
    assert (connection.access_token_enc, connection.refresh_token_enc) == ("", None)
    video_id = await studio.video()
    with pytest.raises(ValidationFailed, match="connect"):
        await studio.publish.execute(PublishVideoCommand(ALICE, video_id, TIKTOK, "hi"))


async def test_a_platform_error_does_not_keep_the_connection(studio: Studio) -> None:
    await studio.connect()
    studio.publisher.revoke_error = ProviderUnavailable("tiktok is down")
    result = await studio.disconnect.execute(DisconnectSocialAccountCommand(ALICE, TIKTOK))
    assert (result.status, result.revoked_at_provider) == (ConnectionStatus.REVOKED, False)
    assert result.revoke_error == "provider_unavailable: tiktok is down"
    connection = await studio.connection()
    assert (connection.status, connection.access_token_enc) == (ConnectionStatus.REVOKED, "")


async def test_disconnecting_an_account_never_connected_is_not_found(studio: Studio) -> None:
    await studio.connect(ALICE)
    with pytest.raises(NotFound):
        await studio.disconnect.execute(DisconnectSocialAccountCommand(BOB, TIKTOK))
    assert (await studio.connection(ALICE)).status is ConnectionStatus.CONNECTED


# ------------------------------------------------------------------------------ publishing


async def test_publishing_records_the_post_and_defers_the_platform_call(studio: Studio) -> None:
    await studio.connect()
    result = await studio.post_video("Look at this")
    assert result.status is PostStatus.PUBLISHING
    assert studio.publisher.published == []
    assert studio.jobs(JobName.PUBLISH_POST) == [(result.post_id, studio.clock.now())]
    post = await studio.post(result.post_id)
    assert (post.publish_started_at, post.publish_id) == (None, None)


async def test_the_post_is_marked_sent_and_committed_before_the_one_platform_call(
    studio: Studio,
) -> None:
    await studio.connect()
    recorded = await studio.post_video("Look at this\nSecond line #ad")
    sent = await studio.send(recorded.post_id)
    assert (sent.status, sent.sent) == (PostStatus.PUBLISHING, True)
    [(committed, uow_open)] = studio.publisher.seen_posts
    assert [(p.id, p.publish_started_at) for p in committed] == [
        (recorded.post_id, studio.clock.now())
    ]
    assert uow_open is False
    post = await studio.post(recorded.post_id)
    assert post.publish_id == "pub-tiktok-1"
    [request] = studio.publisher.requests
    assert request.ai_disclosure is True
    assert request.title == "Look at this"
    assert request.video.url == f"https://media.example/videos/{post.video_id}.mp4"
    assert await request.video.read(0, 4) == fake_mp4(post.video_id)[:4]
    assert request.video.size == len(fake_mp4(post.video_id))
    due = studio.clock.now() + TIMING.post_check_delay
    assert studio.jobs(JobName.REFRESH_POST) == [(recorded.post_id, due)]


async def test_a_post_is_never_sent_twice(studio: Studio) -> None:
    await studio.connect()
    recorded = await studio.post_video()
    await studio.send(recorded.post_id)
    again = await studio.send(recorded.post_id)
    assert (again.status, again.sent) == (PostStatus.PUBLISHING, False)
    assert len(studio.publisher.published) == 1


async def test_a_run_that_died_during_the_platform_call_fails_the_post_as_in_doubt(
    studio: Studio,
) -> None:
    await studio.connect()
    recorded = await studio.post_video()
    studio.publisher.publish_error = RuntimeError("the worker was killed mid-call")
    with pytest.raises(RuntimeError):
        await studio.send(recorded.post_id)
    studio.publisher.publish_error = None
    rerun = await studio.send(recorded.post_id)  # the job, requeued
    assert (rerun.status, rerun.sent) == (PostStatus.FAILED, False)
    assert (await studio.post(recorded.post_id)).error == IN_DOUBT
    assert studio.publisher.published == []  # never re-sent


async def test_an_unknown_outcome_fails_the_post_as_in_doubt(studio: Studio) -> None:
    await studio.connect()
    studio.publisher.publish_error = ProviderOutcomeUnknown("read timeout after the upload")
    recorded = await studio.post_video()
    assert (await studio.send(recorded.post_id)).status is PostStatus.FAILED
    assert (await studio.post(recorded.post_id)).error == IN_DOUBT
    assert studio.jobs(JobName.REFRESH_POST) == []


async def test_a_platform_limit_fails_the_post_with_its_reason(studio: Studio) -> None:
    await studio.connect()
    studio.publisher.publish_error = ProviderRejected(
        "tiktok allows 15 posts a day from this account; try again tomorrow"
    )
    recorded = await studio.post_video()
    assert (await studio.send(recorded.post_id)).status is PostStatus.FAILED
    post = await studio.post(recorded.post_id)
    assert post.error == "tiktok allows 15 posts a day from this account; try again tomorrow"


async def test_a_platform_briefly_down_before_receiving_anything_is_tried_again_later(
    studio: Studio,
) -> None:
    await studio.connect()
    studio.publisher.publish_error = ProviderUnavailable("tiktok answered 503")
    recorded = await studio.post_video()
    first = await studio.send(recorded.post_id)
    assert first.status is PostStatus.PUBLISHING
    post = await studio.post(recorded.post_id)
    assert (post.publish_started_at, post.checks) == (None, 1)
    due = studio.clock.now() + TIMING.post_check_delay
    assert (recorded.post_id, due) in studio.jobs(JobName.PUBLISH_POST)
    studio.publisher.publish_error = None
    assert (await studio.send(recorded.post_id)).sent is True
    assert (await studio.post(recorded.post_id)).publish_id == "pub-tiktok-1"


async def test_publishing_another_users_video_is_not_found(studio: Studio) -> None:
    await studio.connect(ALICE)
    bobs_video = await studio.video(BOB)
    with pytest.raises(NotFound) as caught:
        await studio.publish.execute(PublishVideoCommand(ALICE, bobs_video, TIKTOK, "mine now"))
    assert caught.value.code == "not_found"
    assert studio.db.tables.posts == {}
    assert studio.jobs(JobName.PUBLISH_POST) == []


async def test_publishing_an_unfinished_video_is_refused(studio: Studio) -> None:
    await studio.connect()
    video_id = await studio.video(finished=False)
    with pytest.raises(ValidationFailed, match="video is not finished"):
        await studio.publish.execute(PublishVideoCommand(ALICE, video_id, TIKTOK, "soon"))
    assert studio.db.tables.posts == {}


async def test_publishing_without_a_connection_asks_to_connect_first(studio: Studio) -> None:
    video_id = await studio.video()
    with pytest.raises(ValidationFailed, match="connect your tiktok account first"):
        await studio.publish.execute(PublishVideoCommand(ALICE, video_id, TIKTOK, "hi"))
    assert studio.db.tables.posts == {}


async def test_a_caption_longer_than_any_platform_allows_is_refused(studio: Studio) -> None:
    await studio.connect()
    video_id = await studio.video()
    with pytest.raises(ValidationFailed, match="2200"):
        await studio.publish.execute(PublishVideoCommand(ALICE, video_id, TIKTOK, "x" * 2201))
    assert studio.db.tables.posts == {}


# ------------------------------------------------------------------------------ token expiry


async def test_tokens_due_are_refreshed_under_the_lease_and_stored_encrypted(
    studio: Studio,
) -> None:
    await studio.connect()
    studio.clock.set(EXPIRY - timedelta(minutes=1))  # within the fake's refresh margin
    await studio.posted()
    assert studio.publisher.tokens_used == ["access-abc+"]
    assert studio.publisher.refreshes == ["refresh-abc"]
    connection = await studio.connection()
    assert studio.plain(connection.access_token_enc, TokenField.ACCESS) == "access-abc+"
    assert studio.plain(connection.refresh_token_enc, TokenField.REFRESH) == "refresh-abc+"
    assert connection.expires_at == EXPIRY + timedelta(days=1)
    assert connection.refresh_claimed_until is None  # the lease ended with the new tokens


class GatedPublisher(FakeSocialPublisher):
    """Its refresh waits for `gate`, so two workers can be caught refreshing at once."""

    def __init__(self) -> None:
        super().__init__(TIKTOK)
        self.gate = asyncio.Event()
        self.calls = 0
        self.tokens_used: list[str] = []

    async def refresh(self, tokens: OAuthTokens) -> OAuthTokens:
        self.calls += 1
        await self.gate.wait()
        return await super().refresh(tokens)

    async def begin_publish(self, tokens: OAuthTokens, request: PublishRequest) -> str:
        self.tokens_used.append(tokens.access_token)
        return await super().begin_publish(tokens, request)


async def test_two_workers_refreshing_one_connection_call_the_platform_once(
    studio: Studio,
) -> None:
    await studio.connect()
    gated = GatedPublisher()
    studio.publishers[TIKTOK] = gated
    studio.clock.set(EXPIRY)
    first, second = await studio.post_video("one"), await studio.post_video("two")
    both = asyncio.gather(studio.send(first.post_id), studio.send(second.post_id))
    await asyncio.sleep(0.02)  # both have read the expired tokens; one holds the lease
    assert gated.calls == 1
    gated.gate.set()
    results = await both
    assert [r.sent for r in results] == [True, True]
    assert gated.refreshes == ["refresh-abc"]  # a second refresh would spend it again
    assert gated.tokens_used == ["access-abc+", "access-abc+"]


async def test_a_worker_that_waits_too_long_for_another_refresh_tries_again_later(
    studio: Studio,
) -> None:
    await studio.connect()
    studio.clock.set(EXPIRY)
    async with studio.db.unit_of_work() as uow:  # another worker holds the lease
        now = studio.clock.now()
        assert await uow.connections.claim_refresh(
            ALICE, TIKTOK, now=now, until=now + TIMING.refresh_lease
        )
        await uow.commit()
    recorded = await studio.post_video()
    result = await studio.send(recorded.post_id)
    assert (result.status, result.sent) == (PostStatus.PUBLISHING, False)
    assert studio.publisher.refreshes == []
    assert (await studio.post(recorded.post_id)).checks == 1
    studio.clock.advance(TIMING.refresh_lease)  # that worker died: its lease runs out
    assert (await studio.send(recorded.post_id)).sent is True
    assert studio.publisher.refreshes == ["refresh-abc"]


async def test_a_revoked_grant_marks_the_connection_and_asks_the_user_to_reconnect(
    studio: Studio,
) -> None:
    await studio.connect()
    studio.publisher.refresh_error = ReconnectRequired("tiktok: invalid_grant")
    studio.clock.set(EXPIRY)
    recorded = await studio.post_video()
    assert (await studio.send(recorded.post_id)).status is PostStatus.FAILED
    post = await studio.post(recorded.post_id)
    assert post.error == "tiktok no longer accepts AFP's sign-in: connect your account again"
    connection = await studio.connection()
    assert connection.status is ConnectionStatus.NEEDS_RECONNECT
    assert (connection.access_token_enc, connection.refresh_token_enc) == ("", None)
    video_id = await studio.video()
    with pytest.raises(ReconnectRequired):
        await studio.publish.execute(PublishVideoCommand(ALICE, video_id, TIKTOK, "again"))
    studio.publisher.refresh_error = None
    await studio.connect()  # connecting again makes it usable
    assert (await studio.connection()).status is ConnectionStatus.CONNECTED


async def test_tokens_that_no_longer_decrypt_ask_the_user_to_reconnect(studio: Studio) -> None:
    await studio.connect()
    recorded = await studio.post_video()
    studio.cipher.readable = frozenset({"k2"})  # the key that made them left the ring
    studio.cipher.key_id = "k2"
    assert (await studio.send(recorded.post_id)).status is PostStatus.FAILED
    assert "can no longer be read" in ((await studio.post(recorded.post_id)).error or "")
    assert (await studio.connection()).status is ConnectionStatus.NEEDS_RECONNECT


async def test_the_scheduled_refresh_renews_only_the_tokens_that_are_due(studio: Studio) -> None:
    await studio.connect(ALICE, "alice")
    await studio.connect(BOB, "bob")
    async with studio.db.unit_of_work() as uow:  # Bob's tokens expire much later
        bob = await uow.connections.get(BOB, TIKTOK)
        assert bob is not None
        bob.expires_at = EXPIRY + timedelta(days=30)
        await uow.connections.save(bob)
        await uow.commit()
    studio.clock.set(EXPIRY - timedelta(minutes=2))
    done = await studio.refresh_connections.execute(RefreshConnectionsCommand())
    assert (done.refreshed, done.needs_reconnect, done.failed) == (1, 0, 0)
    assert studio.publisher.refreshes == ["refresh-alice"]
    again = await studio.refresh_connections.execute(RefreshConnectionsCommand())
    assert again.refreshed == 0


async def test_the_scheduled_refresh_marks_lapsed_grants(studio: Studio) -> None:
    await studio.connect()
    studio.publisher.refresh_error = ReconnectRequired("revoked")
    studio.clock.set(EXPIRY)
    done = await studio.refresh_connections.execute(RefreshConnectionsCommand())
    assert (done.refreshed, done.needs_reconnect) == (0, 1)
    assert (await studio.connection()).status is ConnectionStatus.NEEDS_RECONNECT


# ------------------------------------------------------------------------------ key rotation


async def test_rotating_keys_re_encrypts_every_token_with_the_current_key(
    studio: Studio,
) -> None:
    await studio.connect(ALICE, "alice")
    await studio.connect(BOB, "bob")
    rotated_cipher = FakeTokenCipher("k2", readable=("k1",))
    rotate = RotateTokenKeys(studio.db.unit_of_work, rotated_cipher, studio.clock, TIMING)
    done = await rotate.execute(RotateTokenKeysCommand(page=1))
    assert (done.rotated, done.current, done.unreadable, done.busy) == (2, 0, 0, 0)
    only_new = FakeTokenCipher("k2")
    for user_id, code in ((ALICE, "alice"), (BOB, "bob")):
        connection = await studio.connection(user_id)
        context = token_context(user_id, TIKTOK, TokenField.REFRESH)
        assert only_new.decrypt(connection.refresh_token_enc or "", context=context) == (
            f"refresh-{code}"
        )
        assert connection.refresh_claimed_until is None
    again = await rotate.execute(RotateTokenKeysCommand())
    assert (again.rotated, again.current) == (0, 2)


async def test_rotation_reports_tokens_no_key_can_read(studio: Studio) -> None:
    await studio.connect()
    rotate = RotateTokenKeys(studio.db.unit_of_work, FakeTokenCipher("k3"), studio.clock, TIMING)
    done = await rotate.execute(RotateTokenKeysCommand())
    assert (done.rotated, done.unreadable) == (0, 1)
    assert (await studio.connection()).refresh_claimed_until is None


# ------------------------------------------------------------------------------ settling posts


async def test_steps_publish_the_post_once_the_platform_is_done(studio: Studio) -> None:
    await studio.connect()
    post_id = await studio.posted()
    studio.clock.advance(TIMING.post_check_delay)
    first = await studio.check(post_id)
    assert first.status is PostStatus.PUBLISHING
    assert (await studio.post(post_id)).checks == 1
    assert len(studio.jobs(JobName.REFRESH_POST)) == 2
    second = await studio.check(post_id)
    assert second.status is PostStatus.PUBLISHED
    post = await studio.post(post_id)
    assert (post.provider_post_id, post.post_url) == (
        "tiktok-post-1",
        "https://tiktok.fake.invalid/p/tiktok-post-1",
    )
    again = await studio.check(post_id)
    assert again.status is PostStatus.PUBLISHED
    assert len(studio.jobs(JobName.REFRESH_POST)) == 2
    assert len(studio.publisher.published) == 1


async def test_a_reference_the_platform_moves_is_stored_and_used_next(studio: Studio) -> None:
    studio.publisher.moves_ref = True
    await studio.connect()
    post_id = await studio.posted()
    await studio.check(post_id)
    assert (await studio.post(post_id)).publish_id == "pub-tiktok-1/media"
    await studio.check(post_id)
    await studio.check(post_id)
    assert studio.publisher.steps == ["pub-tiktok-1", "pub-tiktok-1/media", "pub-tiktok-1/media"]
    assert (await studio.post(post_id)).status is PostStatus.PUBLISHED


async def test_a_caption_the_platform_rejects_fails_the_post(studio: Studio) -> None:
    await studio.connect()
    post_id = await studio.posted("Buy now [reject]")
    await studio.check(post_id)
    result = await studio.check(post_id)
    assert result.status is PostStatus.FAILED
    assert (await studio.post(post_id)).error == "rejected by the platform's review"


async def test_a_post_the_platform_never_finishes_fails_at_its_deadline() -> None:
    studio = Studio(checks_before_live=100)
    await studio.add_users()
    await studio.connect()
    post_id = await studio.posted()
    statuses = [(await studio.check(post_id)).status for _ in range(TIMING.post_max_checks)]
    assert statuses == [PostStatus.PUBLISHING, PostStatus.PUBLISHING, PostStatus.FAILED]
    post = await studio.post(post_id)
    assert (post.checks, post.error) == (3, TOO_SLOW)
    assert len(studio.jobs(JobName.REFRESH_POST)) == TIMING.post_max_checks


async def test_a_post_whose_account_was_disconnected_fails_with_the_reason(
    studio: Studio,
) -> None:
    await studio.connect()
    post_id = await studio.posted()
    await studio.disconnect.execute(DisconnectSocialAccountCommand(ALICE, TIKTOK))
    result = await studio.check(post_id)
    assert result.status is PostStatus.FAILED
    assert "disconnected" in ((await studio.post(post_id)).error or "")


async def test_a_grant_revoked_mid_publish_fails_the_post_and_marks_the_connection(
    studio: Studio,
) -> None:
    await studio.connect()
    post_id = await studio.posted()
    studio.publisher.advance_error = ReconnectRequired("401 access_token_invalid")
    assert (await studio.check(post_id)).status is PostStatus.FAILED
    assert "connect your account again" in ((await studio.post(post_id)).error or "")
    assert (await studio.connection()).status is ConnectionStatus.NEEDS_RECONNECT


async def test_a_platform_briefly_down_during_a_step_is_asked_again(studio: Studio) -> None:
    await studio.connect()
    post_id = await studio.posted()
    studio.publisher.advance_error = ProviderUnavailable("503")
    assert (await studio.check(post_id)).status is PostStatus.PUBLISHING
    studio.publisher.advance_error = None
    await studio.check(post_id)
    assert (await studio.check(post_id)).status is PostStatus.PUBLISHED
