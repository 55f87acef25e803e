"""Every exception kind the office home shows: each domain's (``EXCEPTIONS`` of its
``domain`` module, in the order of server/domains.py), then the office core's own
(:mod:`server.office.core_kinds`). Kept apart from the machinery
(:mod:`server.office.exceptions`), which the kinds import."""

from __future__ import annotations

from functools import cache

from server.domains import _parts
from server.office import core_kinds
from server.office.exceptions import Kind


@cache
def kinds() -> tuple[Kind, ...]:
    """Every kind, the domains' first."""
    return (*(k for module in _parts("domain") for k in getattr(module, "EXCEPTIONS", ())),
            *core_kinds.EXCEPTIONS)


def kind_of(key: str) -> Kind | None:
    return next((k for k in kinds() if k.key == key), None)
