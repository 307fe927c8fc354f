"""Ports: the roles the core needs filled, as `typing.Protocol`s. Docstrings are the spec."""

from afp_core.ports.commerce import (
    JobQueue,
    PaymentProvider,
    PublishState,
    PublishStatus,
    SocialPublisher,
    TokenCipher,
)
from afp_core.ports.credentials import CredentialRepository, PasswordHasher
from afp_core.ports.generation import (
    ContentModerator,
    ImageInspector,
    MediaStorage,
    ProductScraper,
    ScriptWriter,
    StoredObject,
    TaskState,
    TaskStatus,
    VideoGenerator,
    VideoRequest,
)
from afp_core.ports.ledger import CreditLedger
from afp_core.ports.repositories import (
    BatchRepository,
    EventLog,
    IdempotencyRepository,
    JobOutbox,
    OAuthStateRepository,
    PostRepository,
    PurchaseRepository,
    SocialConnectionRepository,
    UserRepository,
    VideoRepository,
    WebhookInbox,
)
from afp_core.ports.system import Clock, IdGenerator
from afp_core.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

__all__ = [
    "BatchRepository",
    "Clock",
    "ContentModerator",
    "CredentialRepository",
    "CreditLedger",
    "EventLog",
    "IdGenerator",
    "IdempotencyRepository",
    "ImageInspector",
    "JobOutbox",
    "JobQueue",
    "MediaStorage",
    "OAuthStateRepository",
    "PasswordHasher",
    "PaymentProvider",
    "PostRepository",
    "ProductScraper",
    "PublishState",
    "PublishStatus",
    "PurchaseRepository",
    "ScriptWriter",
    "SocialConnectionRepository",
    "SocialPublisher",
    "StoredObject",
    "TaskState",
    "TaskStatus",
    "TokenCipher",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "UserRepository",
    "VideoGenerator",
    "VideoRepository",
    "VideoRequest",
    "WebhookInbox",
]
