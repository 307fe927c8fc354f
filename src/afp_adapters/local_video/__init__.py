"""local_video adapters."""
