"""Names of the app's dependencies, marked for Litestar's name-based injection.

The container is declared `Any` to Litestar: `Container(...)` builds a dependency-injector
`DynamicContainer`, which no signature model can validate; mypy still sees `Container`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from litestar.di import NamedDependency

from afp_core.domain.credentials import Principal
from afp_http.pagination import PageRequest

if TYPE_CHECKING:
    from afp_bootstrap import Container

    ContainerDep: TypeAlias = NamedDependency[Container]
else:
    ContainerDep: TypeAlias = NamedDependency[Any]
PrincipalDep: TypeAlias = NamedDependency[Principal]
PageDep: TypeAlias = NamedDependency[PageRequest]

__all__ = ["ContainerDep", "PageDep", "PrincipalDep"]
