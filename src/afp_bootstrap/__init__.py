"""The composition root: settings, the container, the job runner."""

from afp_bootstrap.container import (
    ConfigurationError,
    Container,
    build_container,
    close_database,
    open_database,
    reconcile_ledger,
)
from afp_bootstrap.jobs import job_handlers, job_runner
from afp_bootstrap.settings import CreditPackSetting, Settings
from afp_bootstrap.worker import JobRunner

__all__ = [
    "ConfigurationError",
    "Container",
    "CreditPackSetting",
    "JobRunner",
    "Settings",
    "build_container",
    "close_database",
    "job_handlers",
    "job_runner",
    "open_database",
    "reconcile_ledger",
]
