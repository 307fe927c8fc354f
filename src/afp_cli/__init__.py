"""The `afp` command line."""

from afp_cli.main import app, main

__all__ = ["app", "main"]
