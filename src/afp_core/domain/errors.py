"""Domain errors.

Every error has a stable machine `code` (used verbatim by the HTTP problem details and the
CLI) and a human message. Raise these from the domain and use cases; adapters translate
vendor failures into them.
"""

from __future__ import annotations

from typing import ClassVar

import attrs


class DomainError(Exception):
    """Base of every error the core raises on purpose."""

    code: ClassVar[str] = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationFailed(DomainError):
    """Input that can never be valid (negative amount, unknown model, empty title...)."""

    code = "validation_error"


@attrs.frozen
class RowError:
    """Why one input row (of a CSV or a JSON list) is invalid. Lines count from 1."""

    line: int
    column: str
    reason: str


class InvalidRows(ValidationFailed):
    """Some rows of a batch are invalid; nothing was started or spent."""

    def __init__(self, errors: tuple[RowError, ...]) -> None:
        first = "; ".join(f"line {e.line} {e.column}: {e.reason}" for e in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        super().__init__(f"{len(errors)} invalid row(s): {first}{more}")
        self.errors = errors


class NotFound(DomainError):
    """The resource does not exist *for this user* (another user's resource is not found)."""

    code = "not_found"


class InsufficientCredits(DomainError):
    """Available credits do not cover the amount asked for."""

    code = "insufficient_credits"

    def __init__(self, *, needed: int, available: int) -> None:
        super().__init__(f"needs {needed} credits, {available} available")
        self.needed = needed
        self.available = available


class BudgetExceeded(DomainError):
    """A batch would capture or hold more than its budget; nothing was spent."""

    code = "budget_exceeded"

    def __init__(self, cost: int, budget: int) -> None:
        super().__init__(f"needs {cost} credits; the batch's budget is {budget}")
        self.cost = cost
        self.budget = budget


class AccountInDebt(DomainError):
    """A refund or chargeback left the account owing credits; new holds are refused."""

    code = "account_in_debt"


class IdempotencyConflict(DomainError):
    """The idempotency key was already used with a different request."""

    code = "idempotency_conflict"


class IllegalTransition(DomainError):
    """A state machine was asked to move along an edge it does not have."""

    code = "illegal_transition"


class HoldNotOpen(DomainError):
    """Capture or release on a hold that has ended (settled or expired) or is past expiry."""

    code = "hold_not_open"


class OverCapture(DomainError):
    """Capture or release of more than the hold still has open."""

    code = "over_capture"


class ContentBlocked(DomainError):
    """The assessment blocked the content before any credit was spent."""

    code = "content_blocked"

    def __init__(self, reasons: tuple[str, ...]) -> None:
        super().__init__("content blocked: " + "; ".join(reasons))
        self.reasons = reasons


class BlockedUrl(DomainError):
    """The URL may not be fetched (scheme, private address, too many redirects...)."""

    code = "blocked_url"


class ScrapeBlocked(DomainError):
    """The shop answered with a captcha, robot check, login wall or an empty page."""

    code = "scrape_blocked"

    def __init__(self, message: str, *, next_steps: str = "") -> None:
        super().__init__(message)
        self.next_steps = next_steps or (
            "retry later, or send the product facts and image URLs by hand"
        )


class InvalidSignature(DomainError):
    """A webhook's signature did not verify against the raw body."""

    code = "invalid_signature"


class ProviderUnavailable(DomainError):
    """A provider failed in a way that may pass (timeout, 429, 5xx)."""

    code = "provider_unavailable"


class ProviderOutcomeUnknown(ProviderUnavailable):
    """The request may have reached the provider before the call failed (a read timeout after
    the body was sent, a dropped connection): whatever it created may already be billed, so the
    call must never be repeated blindly. Only calls that create something raise it."""

    code = "provider_outcome_unknown"


class ProviderRejected(DomainError):
    """A provider refused the request for good (content policy, validation)."""

    code = "provider_rejected"


class ProviderOutOfCredits(DomainError):
    """Our account at the provider is out of credits: pause work and alert an admin."""

    code = "provider_out_of_credits"


class InvalidMedia(DomainError):
    """A provider's result is not a usable video file (not an MP4, empty, too large)."""

    code = "invalid_media"


class ProviderAccountBlocked(ProviderOutOfCredits):
    """Our account at the provider refuses us (a revoked or wrong key, an IP allow-list, a
    usage cap): like an empty account, work pauses and an admin is alerted; videos are kept."""

    code = "provider_account_blocked"


class ReconnectRequired(DomainError):
    """A user's grant at a social platform was revoked or has expired for good: the connection
    is marked `NEEDS_RECONNECT` and the user is asked to connect again."""

    code = "reconnect_required"


class Unauthenticated(DomainError):
    """The caller is not known: a token that is unknown, expired or revoked, or an email and
    password that do not match (one message for both, so it does not tell which emails exist)."""

    code = "unauthenticated"


class Forbidden(DomainError):
    """The actor is known but lacks the role for this action."""

    code = "forbidden"


class Conflict(DomainError):
    """The request clashes with current state (e.g. email already registered)."""

    code = "conflict"


__all__ = [
    "AccountInDebt",
    "BlockedUrl",
    "BudgetExceeded",
    "Conflict",
    "ContentBlocked",
    "DomainError",
    "Forbidden",
    "HoldNotOpen",
    "IdempotencyConflict",
    "IllegalTransition",
    "InsufficientCredits",
    "InvalidMedia",
    "InvalidRows",
    "InvalidSignature",
    "NotFound",
    "OverCapture",
    "ProviderAccountBlocked",
    "ProviderOutOfCredits",
    "ProviderOutcomeUnknown",
    "ProviderRejected",
    "ProviderUnavailable",
    "ReconnectRequired",
    "RowError",
    "ScrapeBlocked",
    "Unauthenticated",
    "ValidationFailed",
]
