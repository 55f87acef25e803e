"""The domains on the sync kit. Each is a module (or package) with ``RECORDS`` (record
declarations) and ``MUTATIONS`` (mutation specs); adding a domain means writing its folder
and naming it in :data:`DOMAINS` — one line (docs/domains.md)."""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

from sync.kit.conflicts import CONFLICT
from sync.kit.reviews import REVIEW
from sync.registry import Registry

DOMAINS: tuple[str, ...] = (
    "sync.domains.estate",
    "sync.domains.keys",
    "sync.domains.patrol",
    "sync.domains.cards",
    "sync.domains.repairs",
    "sync.domains.desk",
)


def build_registry(domains: tuple[str, ...] = DOMAINS) -> Registry:
    registry = Registry()
    registry.declare([CONFLICT, REVIEW])
    for name in domains:
        module = importlib.import_module(name)
        registry.declare(module.RECORDS)
        for spec in module.MUTATIONS:
            registry.register(spec)
        for jobs in getattr(module, "JOBS", ()):  # what makes a unit someone's job
            registry.declare_jobs(jobs)
    return registry


def scenarios(domains: tuple[str, ...] = DOMAINS) -> list[Any]:
    """The domains' convergence scenarios (a ``scenario`` module beside their rules)."""
    out = []
    for name in domains:
        try:
            out.append(importlib.import_module(f"{name}.scenario"))
        except ModuleNotFoundError as exc:
            if exc.name not in (f"{name}.scenario", name):
                raise
    return out


@cache
def default_registry() -> Registry:
    """Every domain's records and mutations (built once)."""
    return build_registry()


def messages(domains: tuple[str, ...] = DOMAINS) -> tuple[str, ...]:
    """The domains' own check messages (``MESSAGES`` beside their rules)."""
    out: list[str] = []
    for name in domains:
        module = importlib.import_module(name)
        rules = getattr(module, "rules", module)  # a package's rules, or the module itself
        out += getattr(rules, "MESSAGES", ())
    return tuple(out)


def areas(domains: tuple[str, ...] = DOMAINS) -> tuple[str, ...]:
    """The translation areas of the domains (``web/locale/<lang>/LC_MESSAGES/<area>.po``):
    a domain's labels and messages live in the catalog named after it."""
    return tuple(name.rsplit(".", 1)[-1] for name in domains)
