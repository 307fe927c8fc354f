"""Typed identifiers.

Ids are opaque strings made by an `IdGenerator` port and passed in; the domain never invents
one. `NewType` keeps them apart for the type checker at no runtime cost.
"""

from typing import NewType

UserId = NewType("UserId", str)
VideoId = NewType("VideoId", str)
HoldId = NewType("HoldId", str)
EntryId = NewType("EntryId", str)
BatchId = NewType("BatchId", str)
BatchItemId = NewType("BatchItemId", str)
PurchaseId = NewType("PurchaseId", str)
PostId = NewType("PostId", str)
ScriptId = NewType("ScriptId", str)
JobId = NewType("JobId", str)

__all__ = [
    "BatchId",
    "BatchItemId",
    "EntryId",
    "HoldId",
    "JobId",
    "PostId",
    "PurchaseId",
    "ScriptId",
    "UserId",
    "VideoId",
]
