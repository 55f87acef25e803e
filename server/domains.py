"""The server side of every domain: one line each. A domain's package has ``routes.py``
(its pages) and may have ``domain.py`` with ``register(presenters)``: what it adds to the
office's generic pages (server/review/present.py), and ``background.py``: its work on a
timer. docs/domains.md has the whole recipe."""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

DOMAINS: tuple[str, ...] = (
    "server.estate",
    "server.keys",
    "server.patrol",
    "server.cards",
    "server.repairs",
    "server.desk",
)


def routes() -> list[Any]:
    out: list[Any] = []
    for name in DOMAINS:
        out += importlib.import_module(f"{name}.routes").routes
    return out


def _parts(part: str) -> list[Any]:
    """Each domain's module ``part`` (``lists``, ``domain``), where the domain has one."""
    out = []
    for name in DOMAINS:
        try:
            out.append(importlib.import_module(f"{name}.{part}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"{name}.{part}":
                raise
    return out


def reference_lists() -> list[Any]:
    """Every reference-data list (:class:`server.refdata.spec.RefList`) of the domains and
    of the accounts (a domain's ``lists`` module, when it has one)."""
    from server.accounts.staff_list import LISTS as staff

    return [*(lst for module in _parts("lists") for lst in module.LISTS), *staff]


def background() -> list[Any]:
    """Every domain's work on a timer: a domain's ``background`` module, when it has one,
    with ``start(settings)`` (a running task, or None when switched off) and
    ``stop(task)``."""
    return _parts("background")


@cache
def register_presenters() -> None:
    """Every domain's additions to the review pages (once per process)."""
    from server.review.present import PRESENTERS

    for module in _parts("domain"):
        module.register(PRESENTERS)
