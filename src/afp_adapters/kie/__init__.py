"""kie adapters."""
