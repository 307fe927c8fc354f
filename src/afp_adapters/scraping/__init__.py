"""scraping adapters."""
