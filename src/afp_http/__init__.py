"""The HTTP API (Litestar): `create_app(container)` and `create_app_from_settings(settings)`."""

from afp_http.app import create_app, create_app_from_settings
from afp_http.options import ApiOptions, RateRule

__all__ = ["ApiOptions", "RateRule", "create_app", "create_app_from_settings"]
