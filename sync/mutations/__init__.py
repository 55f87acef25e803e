"""Mutations by domain. Each domain is one module with a ``register(registry)`` function;
adding a domain (patrol, cards, visits…) means writing its module and naming it in
:data:`DOMAINS`."""

from __future__ import annotations

import importlib
from functools import cache

from sync.registry import Registry

DOMAINS: tuple[str, ...] = ("sync.mutations.keys",)


def build_registry(domains: tuple[str, ...] = DOMAINS) -> Registry:
    registry = Registry()
    for name in domains:
        importlib.import_module(name).register(registry)
    return registry


@cache
def default_registry() -> Registry:
    """Every domain's mutations (built once)."""
    return build_registry()
