"""Connecting social accounts and publishing videos on fakes."""

from __future__ import annotations

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
    SequentialIds,
)
from afp_core.domain.errors import NotFound, ProviderRejected, ProviderUnavailable, ValidationFailed
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
)
from afp_core.domain.users import User
from afp_core.domain.video import Video, VideoSpec
from afp_core.ports.commerce import SocialPublisher
from afp_core.usecases.begin_social_connection import (
    BeginSocialConnection,
    BeginSocialConnectionCommand,
    BeginSocialConnectionResult,
)
from afp_core.usecases.disconnect_social_account import (
    DisconnectSocialAccount,
    DisconnectSocialAccountCommand,
)
from afp_core.usecases.finish_social_connection import (
    FinishSocialConnection,
    FinishSocialConnectionCommand,
    FinishSocialConnectionResult,
)
from afp_core.usecases.publish_video import (
    PublishVideo,
    PublishVideoCommand,
    PublishVideoResult,
)
from afp_core.usecases.refresh_post_status import (
    RefreshPostStatus,
    RefreshPostStatusCommand,
    RefreshPostStatusResult,
)

TIKTOK = SocialProvider.TIKTOK
ALICE = UserId("alice")
BOB = UserId("bob")
REDIRECT = "https://app.example.com/social/callback"
TIMING = SocialTiming(
    oauth_state_ttl=timedelta(minutes=15), post_check_delay=timedelta(seconds=20), post_max_checks=3
)


class WatchfulPublisher(FakeSocialPublisher):
    """A `FakeSocialPublisher` that notes, at each publish, what was committed and whether a
    unit of work was open; it can also be told to fail publishing or revoking."""

    def __init__(self, db: InMemoryDatabase, *, checks_before_live: int = 1) -> None:
        super().__init__(TIKTOK, checks_before_live=checks_before_live)
        self._db = db
        self.seen_posts: list[tuple[list[Post], bool]] = []
        self.publish_error: Exception | None = None
        self.revoke_error: Exception | None = None
        self.tokens_used: list[str] = []

    async def publish(self, tokens: OAuthTokens, *, video_url: str, caption: str) -> str:
        self.seen_posts.append((list(self._db.tables.posts.values()), self._db.lock.locked()))
        self.tokens_used.append(tokens.access_token)
        if self.publish_error is not None:
            raise self.publish_error
        return await super().publish(tokens, video_url=video_url, caption=caption)

    async def revoke(self, tokens: OAuthTokens) -> None:
        if self.revoke_error is not None:
            raise self.revoke_error
        await super().revoke(tokens)


class Studio:
    """The social side of AFP on fakes, with two registered users."""

    def __init__(self, *, checks_before_live: int = 1) -> None:
        self.db = InMemoryDatabase(SequentialIds("row"))
        self.clock = FakeClock()
        self.cipher = FakeTokenCipher()
        self.publisher = WatchfulPublisher(self.db, checks_before_live=checks_before_live)
        publishers: dict[SocialProvider, SocialPublisher] = {TIKTOK: self.publisher}
        uow = self.db.unit_of_work
        self.begin = BeginSocialConnection(uow, publishers, self.clock, TIMING)
        self.finish = FinishSocialConnection(uow, publishers, self.cipher, self.clock)
        self.disconnect = DisconnectSocialAccount(uow, publishers, self.cipher, self.clock)
        self.publish = PublishVideo(
            uow, publishers, self.cipher, self.clock, SequentialIds("post"), TIMING
        )
        self.refresh = RefreshPostStatus(uow, publishers, self.cipher, self.clock, TIMING)

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
            video.mark_submitted("task-1", now)
            video.mark_storing(now)
            video.mark_completed(f"videos/{video_id}.mp4", f"https://cdn.example/{video_id}", now)
        async with self.db.unit_of_work() as uow:
            await uow.videos.add(video)
            await uow.commit()
        return video_id

    async def post_video(
        self, caption: str = "Look at this", user_id: UserId = ALICE
    ) -> PublishVideoResult:
        video_id = await self.video(user_id)
        return await self.publish.execute(PublishVideoCommand(user_id, video_id, TIKTOK, caption))

    async def check(self, post_id: PostId) -> RefreshPostStatusResult:
        return await self.refresh.execute(RefreshPostStatusCommand(post_id))

    async def connection(self, user_id: UserId = ALICE) -> SocialConnection | None:
        async with self.db.unit_of_work() as uow:
            return await uow.connections.get(user_id, TIKTOK)

    async def post(self, post_id: PostId) -> Post:
        async with self.db.unit_of_work() as uow:
            return await uow.posts.get_any(post_id)

    def refresh_jobs(self) -> list[tuple[object, datetime]]:
        return [
            (r.job.payload["post_id"], r.run_at)
            for r in self.db.tables.jobs.values()
            if r.job.name == JobName.REFRESH_POST
        ]


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


async def test_finishing_a_connection_stores_the_tokens_encrypted(studio: Studio) -> None:
    finished = await studio.connect(code="abc")
    assert finished == FinishSocialConnectionResult(ALICE, TIKTOK, "tiktok demo account")
    connection = await studio.connection()
    assert connection is not None
    assert connection.status is ConnectionStatus.CONNECTED
    assert connection.refresh_token_enc is not None
    assert "access-abc" not in connection.access_token_enc
    assert "refresh-abc" not in connection.refresh_token_enc
    assert studio.cipher.decrypt(connection.access_token_enc) == "access-abc"
    assert studio.cipher.decrypt(connection.refresh_token_enc) == "refresh-abc"
    assert connection.scopes == ("video.publish",)


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
    assert await studio.connection() is None


async def test_an_unknown_sign_in_state_is_refused(studio: Studio) -> None:
    with pytest.raises(ValidationFailed, match="expired"):
        await studio.finish.execute(FinishSocialConnectionCommand("made-up", "abc"))


async def test_a_refused_code_still_spends_the_state(studio: Studio) -> None:
    begun = await studio.start()
    with pytest.raises(ProviderRejected):
        await studio.finish.execute(FinishSocialConnectionCommand(begun.state, "denied"))
    with pytest.raises(ValidationFailed, match="expired"):
        await studio.finish.execute(FinishSocialConnectionCommand(begun.state, "abc"))
    assert await studio.connection() is None


# ------------------------------------------------------------------------------ disconnecting


async def test_disconnecting_revokes_the_tokens_and_the_connection(studio: Studio) -> None:
    await studio.connect()
    result = await studio.disconnect.execute(DisconnectSocialAccountCommand(ALICE, TIKTOK))
    assert (result.status, result.revoked_at_provider) == (ConnectionStatus.REVOKED, True)
    assert studio.publisher.revoked == ["access-abc"]
    connection = await studio.connection()
    assert connection is not None
    assert connection.status is ConnectionStatus.REVOKED
    video_id = await studio.video()
    with pytest.raises(ValidationFailed, match="connect"):
        await studio.publish.execute(PublishVideoCommand(ALICE, video_id, TIKTOK, "hi"))


async def test_a_platform_error_does_not_keep_the_connection(studio: Studio) -> None:
    await studio.connect()
    studio.publisher.revoke_error = ProviderUnavailable("tiktok is down")
    result = await studio.disconnect.execute(DisconnectSocialAccountCommand(ALICE, TIKTOK))
    assert (result.status, result.revoked_at_provider) == (ConnectionStatus.REVOKED, False)
    connection = await studio.connection()
    assert connection is not None
    assert connection.status is ConnectionStatus.REVOKED


async def test_disconnecting_an_account_never_connected_is_not_found(studio: Studio) -> None:
    await studio.connect(ALICE)
    with pytest.raises(NotFound):
        await studio.disconnect.execute(DisconnectSocialAccountCommand(BOB, TIKTOK))
    alices = await studio.connection(ALICE)
    assert alices is not None
    assert alices.status is ConnectionStatus.CONNECTED


# ------------------------------------------------------------------------------ publishing


async def test_publishing_records_the_post_before_calling_the_platform(studio: Studio) -> None:
    await studio.connect()
    result = await studio.post_video("Look at this")
    [(committed, uow_open)] = studio.publisher.seen_posts
    assert [(p.id, p.status) for p in committed] == [(result.post_id, PostStatus.PUBLISHING)]
    assert uow_open is False
    assert result.status is PostStatus.PUBLISHING
    post = await studio.post(result.post_id)
    assert post.publish_id == "pub-tiktok-1"
    assert studio.publisher.published == [(f"https://cdn.example/{post.video_id}", "Look at this")]
    due = studio.clock.now() + TIMING.post_check_delay
    assert studio.refresh_jobs() == [(result.post_id, due)]


async def test_publishing_another_users_video_is_not_found(studio: Studio) -> None:
    await studio.connect(ALICE)
    bobs_video = await studio.video(BOB)
    with pytest.raises(NotFound) as caught:
        await studio.publish.execute(PublishVideoCommand(ALICE, bobs_video, TIKTOK, "mine now"))
    assert caught.value.code == "not_found"
    assert studio.db.tables.posts == {}
    assert studio.publisher.published == []


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
    assert studio.publisher.published == []


async def test_a_caption_longer_than_the_platform_allows_is_refused(studio: Studio) -> None:
    await studio.connect()
    video_id = await studio.video()
    with pytest.raises(ValidationFailed, match="2200"):
        await studio.publish.execute(PublishVideoCommand(ALICE, video_id, TIKTOK, "x" * 2201))
    assert studio.db.tables.posts == {}


async def test_a_platform_error_while_publishing_fails_the_post_without_raising(
    studio: Studio,
) -> None:
    await studio.connect()
    studio.publisher.publish_error = ProviderRejected("the video is too long for tiktok")
    result = await studio.post_video()
    assert result.status is PostStatus.FAILED
    post = await studio.post(result.post_id)
    assert (post.status, post.error) == (PostStatus.FAILED, "the video is too long for tiktok")
    assert studio.refresh_jobs() == []


async def test_expired_tokens_are_refreshed_and_stored_encrypted_before_publishing(
    studio: Studio,
) -> None:
    await studio.connect()
    studio.clock.set(datetime(2100, 1, 1, tzinfo=UTC))  # the fake's tokens expire then
    result = await studio.post_video()
    assert result.status is PostStatus.PUBLISHING
    assert studio.publisher.tokens_used == ["access-abc+"]
    connection = await studio.connection()
    assert connection is not None
    assert "access-abc+" not in connection.access_token_enc
    assert studio.cipher.decrypt(connection.access_token_enc) == "access-abc+"
    assert connection.expires_at == datetime(2100, 1, 2, tzinfo=UTC)


# ------------------------------------------------------------------------------ settling posts


async def test_checking_a_post_publishes_it_once_the_platform_is_done(studio: Studio) -> None:
    await studio.connect()
    posted = await studio.post_video()
    studio.clock.advance(TIMING.post_check_delay)
    first = await studio.check(posted.post_id)
    assert first.status is PostStatus.PUBLISHING
    assert (await studio.post(posted.post_id)).checks == 1
    assert len(studio.refresh_jobs()) == 2
    second = await studio.check(posted.post_id)
    assert second.status is PostStatus.PUBLISHED
    post = await studio.post(posted.post_id)
    assert (post.provider_post_id, post.post_url) == (
        "tiktok-post-1",
        "https://tiktok.fake.invalid/p/tiktok-post-1",
    )
    again = await studio.check(posted.post_id)
    assert again.status is PostStatus.PUBLISHED
    assert len(studio.refresh_jobs()) == 2


async def test_a_caption_the_platform_rejects_fails_the_post(studio: Studio) -> None:
    await studio.connect()
    posted = await studio.post_video("Buy now [reject]")
    await studio.check(posted.post_id)
    result = await studio.check(posted.post_id)
    assert result.status is PostStatus.FAILED
    assert (await studio.post(posted.post_id)).error == "rejected by the platform's review"


async def test_a_post_the_platform_never_finishes_fails_after_the_last_check() -> None:
    studio = Studio(checks_before_live=100)
    await studio.add_users()
    await studio.connect()
    posted = await studio.post_video()
    statuses = [(await studio.check(posted.post_id)).status for _ in range(TIMING.post_max_checks)]
    assert statuses == [PostStatus.PUBLISHING, PostStatus.PUBLISHING, PostStatus.FAILED]
    post = await studio.post(posted.post_id)
    assert (post.checks, post.error) == (3, "the platform did not finish in time")
    assert len(studio.refresh_jobs()) == TIMING.post_max_checks  # the first, then one per wait


async def test_a_post_whose_account_was_disconnected_fails_with_the_reason(
    studio: Studio,
) -> None:
    await studio.connect()
    posted = await studio.post_video()
    await studio.disconnect.execute(DisconnectSocialAccountCommand(ALICE, TIKTOK))
    result = await studio.check(posted.post_id)
    assert result.status is PostStatus.FAILED
    assert "disconnected" in ((await studio.post(posted.post_id)).error or "")
