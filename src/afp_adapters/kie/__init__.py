"""Kie.ai adapters: `KieVideoGenerator` (the `VideoGenerator` port) and callback parsing.

Task ids are `veo:<Kie id>` or `jobs:<Kie id>` (see `generator`); callbacks parse into a
`KieCallback` whose `task_id` has the same form.
"""

from afp_adapters.kie.callbacks import KieCallback, KieCallbackVerifier, parse_callback
from afp_adapters.kie.generator import KieVideoGenerator
from afp_adapters.kie.models import KieFamily, KieModel, KieSchema, TaskRef, default_models

__all__ = [
    "KieCallback",
    "KieCallbackVerifier",
    "KieFamily",
    "KieModel",
    "KieSchema",
    "KieVideoGenerator",
    "TaskRef",
    "default_models",
    "parse_callback",
]
