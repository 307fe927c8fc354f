"""Domain events: facts in the past tense, recorded by use cases for logs, metrics and hooks."""

from __future__ import annotations

from datetime import datetime

import attrs

from afp_core.domain.ids import BatchId, HoldId, UserId, VideoId


@attrs.frozen
class DomainEvent:
    occurred_at: datetime


@attrs.frozen
class CreditsGranted(DomainEvent):
    user_id: UserId
    amount: int
    kind: str


@attrs.frozen
class CreditsHeld(DomainEvent):
    user_id: UserId
    hold_id: HoldId
    amount: int


@attrs.frozen
class CreditsCaptured(DomainEvent):
    user_id: UserId
    hold_id: HoldId
    amount: int


@attrs.frozen
class CreditsReleased(DomainEvent):
    user_id: UserId
    hold_id: HoldId
    amount: int


@attrs.frozen
class CreditsClawedBack(DomainEvent):
    user_id: UserId
    amount: int
    owed: int


@attrs.frozen
class VideoQueued(DomainEvent):
    video_id: VideoId
    user_id: UserId
    price: int


@attrs.frozen
class VideoCompleted(DomainEvent):
    video_id: VideoId
    user_id: UserId
    charged: int


@attrs.frozen
class VideoFailed(DomainEvent):
    video_id: VideoId
    user_id: UserId
    reason: str


@attrs.frozen
class VideoCancelled(DomainEvent):
    video_id: VideoId
    user_id: UserId


@attrs.frozen
class BatchStarted(DomainEvent):
    batch_id: BatchId
    user_id: UserId
    items: int
    reserved: int


@attrs.frozen
class BatchCancelled(DomainEvent):
    batch_id: BatchId
    user_id: UserId
    released: int


@attrs.frozen
class ProviderOutOfCreditsDetected(DomainEvent):
    provider: str
    detail: str


__all__ = [
    "BatchCancelled",
    "BatchStarted",
    "CreditsCaptured",
    "CreditsClawedBack",
    "CreditsGranted",
    "CreditsHeld",
    "CreditsReleased",
    "DomainEvent",
    "ProviderOutOfCreditsDetected",
    "VideoCancelled",
    "VideoCompleted",
    "VideoFailed",
    "VideoQueued",
]
