"""Rows <-> attrs domain objects. Nothing outside this adapter sees a row."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from afp_core.domain.batch import Batch, BatchItem, BatchTally, ItemStatus
from afp_core.domain.batch_header import BatchHeader
from afp_core.domain.credentials import Credential, CredentialKind
from afp_core.domain.idempotency import IdempotencyRecord
from afp_core.domain.ids import (
    BatchId,
    BatchItemId,
    EntryId,
    HoldId,
    PostId,
    PurchaseId,
    UserId,
    VideoId,
)
from afp_core.domain.ledger import EntryType, Hold, HoldStatus, LedgerEntry, LedgerReceipt
from afp_core.domain.money import Money
from afp_core.domain.payments import (
    PaymentProviderName,
    Purchase,
    PurchaseStatus,
    WebhookDelivery,
)
from afp_core.domain.pricing import PlanTier
from afp_core.domain.social import (
    ConnectionStatus,
    OAuthState,
    Post,
    PostStatus,
    SocialConnection,
    SocialProvider,
)
from afp_core.domain.users import Role, User
from afp_core.domain.video import Funding, Video, VideoSpec, VideoStatus

Row = Mapping[Any, Any]


# ---------------------------------------------------------------- users
def user_values(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "role": user.role.value,
        "plan": user.plan.name,
        "password_hash": user.password_hash,
        "created_at": user.created_at,
        "updated_at": user.created_at,
    }


def user_from(row: Row) -> User:
    return User(
        id=UserId(row["id"]),
        email=row["email"],
        created_at=row["created_at"],
        role=Role(row["role"]),
        plan=PlanTier[row["plan"]],
        password_hash=row["password_hash"],
    )


# ---------------------------------------------------------------- credentials
def credential_values(c: Credential) -> dict[str, Any]:
    return {
        "id": c.id,
        "user_id": c.user_id,
        "kind": c.kind.value,
        "token_hash": c.token_hash,
        "name": c.name,
        "created_at": c.created_at,
        "expires_at": c.expires_at,
        "revoked_at": c.revoked_at,
        "last_used_at": c.last_used_at,
    }


def credential_from(row: Row) -> Credential:
    return Credential(
        id=row["id"],
        user_id=UserId(row["user_id"]),
        kind=CredentialKind(row["kind"]),
        token_hash=row["token_hash"],
        name=row["name"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
        last_used_at=row["last_used_at"],
    )


# ---------------------------------------------------------------- ledger
def entry_values(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "user_id": entry.user_id,
        "type": entry.type.value,
        "amount": entry.amount,
        "balance_after": entry.balance_after,
        "hold_id": entry.hold_id,
        "reference": entry.reference,
        "reason": entry.reason,
        "provider": entry.provider,
        "payment_id": entry.payment_id,
        "created_at": entry.created_at,
    }


def entry_from(row: Row) -> LedgerEntry:
    return LedgerEntry(
        id=EntryId(row["id"]),
        user_id=UserId(row["user_id"]),
        type=EntryType(row["type"]),
        amount=row["amount"],
        balance_after=row["balance_after"],
        created_at=row["created_at"],
        hold_id=HoldId(row["hold_id"]) if row["hold_id"] else None,
        reference=row["reference"],
        reason=row["reason"],
        provider=row["provider"],
        payment_id=row["payment_id"],
    )


def hold_values(hold: Hold) -> dict[str, Any]:
    return {
        "id": hold.id,
        "user_id": hold.user_id,
        "amount": hold.amount,
        "captured": hold.captured,
        "released": hold.released,
        "status": hold.status.value,
        "reference": hold.reference,
        "expires_at": hold.expires_at,
        "created_at": hold.created_at,
        "ended_at": hold.ended_at,
    }


def hold_from(row: Row) -> Hold:
    return Hold(
        id=HoldId(row["id"]),
        user_id=UserId(row["user_id"]),
        amount=row["amount"],
        expires_at=row["expires_at"],
        created_at=row["created_at"],
        reference=row["reference"],
        captured=row["captured"],
        released=row["released"],
        status=HoldStatus(row["status"]),
        ended_at=row["ended_at"],
    )


def receipt_json(receipt: LedgerReceipt) -> dict[str, Any]:
    return {
        "operation": receipt.operation,
        "user_id": receipt.user_id,
        "amount": receipt.amount,
        "balance": receipt.balance,
        "reserved": receipt.reserved,
        "hold_id": receipt.hold_id,
        "entry_ids": list(receipt.entry_ids),
    }


def receipt_from(data: Mapping[str, Any]) -> LedgerReceipt:
    return LedgerReceipt(
        operation=data["operation"],
        user_id=UserId(data["user_id"]),
        amount=data["amount"],
        balance=data["balance"],
        reserved=data["reserved"],
        hold_id=HoldId(data["hold_id"]) if data["hold_id"] else None,
        entry_ids=tuple(EntryId(e) for e in data["entry_ids"]),
    )


# ---------------------------------------------------------------- videos
def video_values(video: Video) -> dict[str, Any]:
    spec = video.spec
    return {
        "id": video.id,
        "user_id": video.user_id,
        "status": video.status.value,
        "input_metadata": {
            "spec": {
                "model": spec.model,
                "prompt": spec.prompt,
                "duration_s": spec.duration_s,
                "aspect_ratio": spec.aspect_ratio,
                "image_urls": list(spec.image_urls),
            },
            "product": dict(video.product),
        },
        "final_script": spec.script_text,
        "kie_task_id": video.provider_task_id,
        "video_url": video.result_url,
        "result_key": video.result_key,
        "error_reason": video.error_reason,
        "model": spec.model,
        "price": video.price,
        "hold_id": video.hold_id,
        "funding": video.funding.value,
        "batch_id": video.batch_id,
        "batch_item_id": video.batch_item_id,
        "assessment": dict(video.assessment),
        "attempts": video.attempts,
        "polls": video.polls,
        "history": [[status.value, when.isoformat()] for status, when in video.history],
        "submit_started_at": video.submit_started_at,
        "deadline": video.deadline,
        "created_at": video.created_at,
        "updated_at": video.updated_at,
    }


def video_from(row: Row) -> Video:
    meta = row["input_metadata"]
    spec = meta["spec"]
    return Video(
        id=VideoId(row["id"]),
        user_id=UserId(row["user_id"]),
        spec=VideoSpec(
            model=spec["model"],
            prompt=spec["prompt"],
            duration_s=spec["duration_s"],
            aspect_ratio=spec["aspect_ratio"],
            image_urls=tuple(spec["image_urls"]),
            script_text=row["final_script"],
        ),
        price=row["price"],
        hold_id=HoldId(row["hold_id"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        deadline=row["deadline"],
        funding=Funding(row["funding"]),
        batch_id=BatchId(row["batch_id"]) if row["batch_id"] else None,
        batch_item_id=BatchItemId(row["batch_item_id"]) if row["batch_item_id"] else None,
        status=VideoStatus(row["status"]),
        product=meta["product"],
        assessment=row["assessment"],
        provider_task_id=row["kie_task_id"],
        attempts=row["attempts"],
        polls=row["polls"],
        error_reason=row["error_reason"],
        result_key=row["result_key"],
        result_url=row["video_url"],
        history=[(VideoStatus(s), datetime.fromisoformat(w)) for s, w in row["history"]],
        submit_started_at=row["submit_started_at"],
    )


# ---------------------------------------------------------------- batches
def batch_values(batch: Batch) -> dict[str, Any]:
    return header_values(BatchHeader.of(batch))


def header_values(header: BatchHeader) -> dict[str, Any]:
    tally = header.tally
    return {
        "id": header.id,
        "user_id": header.user_id,
        "status": header.status.value,
        "total_items": tally.total,
        "processed_items": tally.processed,
        "total_credits_reserved": tally.reserved,
        "hold_id": header.hold_id,
        "metadata": dict(header.metadata),
        "cancelled_at": header.cancelled_at,
        "created_at": header.created_at,
        "updated_at": header.updated_at,
        "budget": header.budget,
        "concurrency": header.window,
        "retry_hold_ids": list(header.retry_holds) or None,
        **{column: getattr(tally, field) for column, field in TALLY_COLUMNS.items()},
    }


# video_batches columns holding the rest of a `BatchTally` (total_items, total_credits_reserved
# hold `total` and `reserved`)
TALLY_COLUMNS = {
    "pending_items": "pending",
    "running_items": "running",
    "succeeded_items": "succeeded",
    "failed_items": "failed",
    "cancelled_items": "cancelled",
    "in_flight_running": "in_flight_running",
    "in_flight_queued": "in_flight_queued",
    "credits_captured": "captured",
    "credits_released": "released",
    "timed_items": "timed",
    "timed_us": "timed_us",
}


def header_from(row: Row) -> BatchHeader:
    tally = BatchTally(
        total=row["total_items"],
        reserved=row["total_credits_reserved"],
        **{field: row[column] for column, field in TALLY_COLUMNS.items()},
    )
    return BatchHeader(
        id=BatchId(row["id"]),
        user_id=UserId(row["user_id"]),
        hold_id=HoldId(row["hold_id"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        tally=tally,
        cancelled_at=row["cancelled_at"],
        metadata=row["metadata"],
        budget=row["budget"],
        window=row["concurrency"],
        retry_holds=[HoldId(h) for h in row["retry_hold_ids"] or ()],
    )


def item_values(batch_id: str, item: BatchItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "batch_id": batch_id,
        "video_id": item.video_id,
        "row_index": item.row_index,
        "url": item.url,
        "status": item.status.value,
        "price": item.price,
        "credits_used": item.credits_used,
        "options": dict(item.options),
        "error": item.error,
        "settled_at": item.settled_at,
        "hold_id": item.hold_id,
        "attempts": item.attempts,
        "dispatched_at": item.dispatched_at,
    }


def item_from(row: Row) -> BatchItem:
    return BatchItem(
        id=BatchItemId(row["id"]),
        row_index=row["row_index"],
        url=row["url"],
        price=row["price"],
        options=row["options"],
        status=ItemStatus(row["status"]),
        video_id=VideoId(row["video_id"]) if row["video_id"] else None,
        credits_used=row["credits_used"],
        error=row["error"],
        settled_at=row["settled_at"],
        hold_id=HoldId(row["hold_id"]) if row["hold_id"] else None,
        attempts=row["attempts"],
        dispatched_at=row["dispatched_at"],
    )


def batch_from(row: Row, items: list[BatchItem]) -> Batch:
    return Batch(
        id=BatchId(row["id"]),
        user_id=UserId(row["user_id"]),
        hold_id=HoldId(row["hold_id"]),
        items=items,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        cancelled_at=row["cancelled_at"],
        metadata=row["metadata"],
        budget=row["budget"],
        window=row["concurrency"],
        retry_holds=[HoldId(h) for h in row["retry_hold_ids"] or ()],
    )


# ---------------------------------------------------------------- payments
def purchase_values(purchase: Purchase) -> dict[str, Any]:
    return {
        "id": purchase.id,
        "user_id": purchase.user_id,
        "pack_id": purchase.pack_id,
        "credits": purchase.credits,
        "price_amount": str(purchase.price.amount),
        "currency": purchase.price.currency,
        "provider": purchase.provider.value,
        "status": purchase.status.value,
        "payment_id": purchase.payment_id,
        "checkout_url": purchase.checkout_url,
        "refunded_credits": purchase.refunded_credits,
        "created_at": purchase.created_at,
        "review_reason": purchase.review_reason,
        "pending_refund_amount": (
            str(purchase.pending_refund.amount) if purchase.pending_refund is not None else None
        ),
        "paid_amount": (
            str(purchase.paid_amount.amount) if purchase.paid_amount is not None else None
        ),
    }


def purchase_from(row: Row) -> Purchase:
    return Purchase(
        id=PurchaseId(row["id"]),
        user_id=UserId(row["user_id"]),
        pack_id=row["pack_id"],
        credits=row["credits"],
        price=Money(Decimal(row["price_amount"]), row["currency"]),
        provider=PaymentProviderName(row["provider"]),
        created_at=row["created_at"],
        status=PurchaseStatus(row["status"]),
        payment_id=row["payment_id"],
        checkout_url=row["checkout_url"],
        refunded_credits=row["refunded_credits"],
        review_reason=row["review_reason"],
        pending_refund=(
            Money(Decimal(row["pending_refund_amount"]), row["currency"])
            if row["pending_refund_amount"] is not None
            else None
        ),
        paid_amount=(
            Money(Decimal(row["paid_amount"]), row["currency"])
            if row["paid_amount"] is not None
            else None
        ),
    )


def delivery_values(d: WebhookDelivery) -> dict[str, Any]:
    return {
        "provider": d.provider,
        "event_id": d.event_id,
        "received_at": d.received_at,
        "event_name": d.event_name[:80] or None,
        "kind": d.kind or None,
        "purchase_id": d.purchase_id,
        "outcome": d.outcome,
        "body_sha256": d.body_sha256,
        "body": d.body,
    }


def delivery_from(row: Row) -> WebhookDelivery:
    return WebhookDelivery(
        provider=row["provider"],
        event_id=row["event_id"],
        received_at=row["received_at"],
        body=bytes(row["body"] or b""),
        event_name=row["event_name"] or "",
        kind=row["kind"] or "",
        purchase_id=row["purchase_id"],
        outcome=row["outcome"],
    )


# ---------------------------------------------------------------- social
def connection_values(c: SocialConnection) -> dict[str, Any]:
    return {
        "user_id": c.user_id,
        "provider": c.provider.value,
        "access_token": c.access_token_enc,
        "refresh_token": c.refresh_token_enc,
        "token_expires_at": c.expires_at,
        "metadata": {
            "scopes": list(c.scopes),
            "account_id": c.account_id,
            "account_name": c.account_name,
        },
        "status": c.status.value,
        "connected_at": c.connected_at,
        "refresh_claimed_until": c.refresh_claimed_until,
    }


def connection_from(row: Row) -> SocialConnection:
    meta = row["metadata"]
    return SocialConnection(
        user_id=UserId(row["user_id"]),
        provider=SocialProvider(row["provider"]),
        access_token_enc=row["access_token"],
        refresh_token_enc=row["refresh_token"],
        expires_at=row["token_expires_at"],
        scopes=tuple(meta["scopes"]),
        account_id=meta["account_id"],
        account_name=meta["account_name"],
        connected_at=row["connected_at"],
        status=ConnectionStatus(row["status"]),
        refresh_claimed_until=row["refresh_claimed_until"],
    )


def oauth_state_values(s: OAuthState) -> dict[str, Any]:
    return {
        "state": s.state,
        "user_id": s.user_id,
        "provider": s.provider.value,
        "code_verifier": s.code_verifier,
        "redirect_uri": s.redirect_uri,
        "expires_at": s.expires_at,
    }


def oauth_state_from(row: Row) -> OAuthState:
    return OAuthState(
        state=row["state"],
        user_id=UserId(row["user_id"]),
        provider=SocialProvider(row["provider"]),
        code_verifier=row["code_verifier"],
        redirect_uri=row["redirect_uri"],
        expires_at=row["expires_at"],
    )


def post_values(p: Post) -> dict[str, Any]:
    return {
        "id": p.id,
        "user_id": p.user_id,
        "video_id": p.video_id,
        "platform": p.provider.value,
        "caption": p.caption,
        "status": p.status.value,
        "publish_id": p.publish_id,
        "post_id": p.provider_post_id,
        "post_url": p.post_url,
        "error": p.error,
        "checks": p.checks,
        "metadata": {"title": p.title} if p.title else {},
        "created_at": p.created_at,
        "updated_at": p.updated_at,
        "publish_started_at": p.publish_started_at,
    }


def post_from(row: Row) -> Post:
    return Post(
        id=PostId(row["id"]),
        user_id=UserId(row["user_id"]),
        video_id=VideoId(row["video_id"]),
        provider=SocialProvider(row["platform"]),
        caption=row["caption"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        status=PostStatus(row["status"]),
        publish_id=row["publish_id"],
        provider_post_id=row["post_id"],
        post_url=row["post_url"],
        error=row["error"],
        checks=row["checks"],
        title=(row["metadata"] or {}).get("title", ""),
        publish_started_at=row["publish_started_at"],
    )


def idempotency_values(record: IdempotencyRecord) -> dict[str, Any]:
    return {
        "scope": record.scope,
        "key": record.key,
        "request_hash": record.fingerprint,
        "result_ref": record.result_ref,
        "result": dict(record.result) if record.result is not None else None,
        "created_at": record.created_at,
    }


def idempotency_from(row: Row) -> IdempotencyRecord:
    result = row["result"]
    return IdempotencyRecord(
        scope=row["scope"],
        key=row["key"],
        fingerprint=row["request_hash"],
        result_ref=row["result_ref"],
        created_at=row["created_at"],
        result=dict(result) if isinstance(result, Mapping) else None,
    )
