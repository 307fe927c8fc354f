"""Media storage: local files (the embedded default)."""

from afp_adapters.storage.local import LocalFileStorage

__all__ = ["LocalFileStorage"]
