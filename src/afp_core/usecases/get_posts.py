"""GetPost and ListPosts: a user's own social posts, read from the database."""

from __future__ import annotations

import attrs

from afp_core.domain.ids import PostId, UserId
from afp_core.domain.social import Post
from afp_core.ports.unit_of_work import UnitOfWorkFactory

MAX_PAGE = 100


@attrs.frozen
class GetPostQuery:
    user_id: UserId
    post_id: PostId


class GetPost:
    """One of the user's posts; another user's post is `NotFound`."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def execute(self, query: GetPostQuery) -> Post:
        async with self._uow(read_only=True) as uow:
            return await uow.posts.get(query.user_id, query.post_id)


@attrs.frozen
class ListPostsQuery:
    user_id: UserId
    limit: int = attrs.field(default=50, validator=attrs.validators.in_(range(1, MAX_PAGE + 1)))
    offset: int = attrs.field(default=0, validator=attrs.validators.ge(0))


class ListPosts:
    """The user's posts, newest first. The repository reads from the newest, so a page reads
    `offset + limit` rows and keeps the last `limit`."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def execute(self, query: ListPostsQuery) -> tuple[Post, ...]:
        async with self._uow(read_only=True) as uow:
            posts = await uow.posts.list_for_user(query.user_id, limit=query.offset + query.limit)
        return tuple(posts[query.offset :])


__all__ = ["GetPost", "GetPostQuery", "ListPosts", "ListPostsQuery"]
