"""The real clock and id generator."""

from afp_adapters.system.clock import SystemClock
from afp_adapters.system.ids import UlidIdGenerator

__all__ = ["SystemClock", "UlidIdGenerator"]
