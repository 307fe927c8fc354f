"""In-memory, deterministic, inspectable fakes for every port (never `unittest.mock`).

`InMemoryCreditLedger` is the reference model every SQL ledger is compared with.
"""

from afp_adapters.fakes.chaos import ChaosVideoGenerator
from afp_adapters.fakes.jobs import InMemoryJobQueue
from afp_adapters.fakes.ledger import InMemoryCreditLedger
from afp_adapters.fakes.moderation import FakeContentModerator, FakeImageInspector
from afp_adapters.fakes.passwords import FakePasswordHasher
from afp_adapters.fakes.payments import FakePayments
from afp_adapters.fakes.scraper import FakeProductScraper, bundled_catalogue, facts_from_json
from afp_adapters.fakes.script_writer import FakeScriptWriter
from afp_adapters.fakes.social import FakeSocialPublisher, FakeTokenCipher
from afp_adapters.fakes.storage import MemoryMediaStorage
from afp_adapters.fakes.system import FakeClock, SequentialIds
from afp_adapters.fakes.unit_of_work import InMemoryDatabase, InMemoryUnitOfWork
from afp_adapters.fakes.video import FakeVideoGenerator, Outcome, Scenario, fake_mp4

__all__ = [
    "ChaosVideoGenerator",
    "FakeClock",
    "FakeContentModerator",
    "FakeImageInspector",
    "FakePasswordHasher",
    "FakePayments",
    "FakeProductScraper",
    "FakeScriptWriter",
    "FakeSocialPublisher",
    "FakeTokenCipher",
    "FakeVideoGenerator",
    "InMemoryCreditLedger",
    "InMemoryDatabase",
    "InMemoryJobQueue",
    "InMemoryUnitOfWork",
    "MemoryMediaStorage",
    "Outcome",
    "Scenario",
    "SequentialIds",
    "bundled_catalogue",
    "facts_from_json",
    "fake_mp4",
]
