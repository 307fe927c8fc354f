"""resilience adapters."""
