"""Which domains' phone code a phone's service worker carries: those of the roles signed in
on it.

A guard's phone needs the patrol screens, not the key board; a desk phone the keys and the
cards, not the patrol rounds. Every domain's screens, views and rules in one worker would put
the shell past its bar (quality.md: ≤ 80 KB compressed before first use) as domains are added,
and a service worker cannot load code later (no ``import()`` in a worker). So the worker is
served per *domain set*: ``/sw.js?d=keys,cards`` imports a bundle of the app's core modules and
those domains only (``app/domains.js`` rewritten to list them). A phone starts with the core
(``?d=``: sign-in, status, inbox); after a sign-in its worker works out the domains of every
person known on the phone (:func:`role_domains`, sent in the worker's config) and, when they
differ from its own, asks the page to register the worker of that set (page.js) — it installs
and takes over like any update. ``/sw.js`` without ``d`` carries every domain (a page of an
older deploy)."""

from __future__ import annotations

import importlib
import re
from functools import cache
from pathlib import Path

from sync.streams import ROLES, streams_of

STATIC = Path(__file__).resolve().parents[2] / "web" / "static"
DOMAINS_MODULE = "app/domains.js"
_IMPORT = re.compile(r'^import \* as (?P<name>[\w$]+) from "\./(?P<dir>[\w]+)/index\.js";$', re.M)
_LIST = re.compile(r"^export const DOMAINS = \[[^\]]*\];$", re.M)
_SET = re.compile(r"^(?:core|[a-z][a-z_]*(?:-[a-z][a-z_]*)*)$")


@cache
def phone_domains() -> tuple[str, ...]:
    """The domains ``app/domains.js`` registers, in its order (their folder names)."""
    return tuple(m.group("dir") for m in _IMPORT.finditer(_domains_source()))


def _domains_source() -> str:
    return (STATIC / DOMAINS_MODULE).read_text(encoding="utf-8")


@cache
def role_domains() -> dict[str, list[str]]:
    """role -> the phone domains it needs: those with a record in a stream the role reads."""
    out: dict[str, list[str]] = {}
    for role in ROLES:
        streams = set(streams_of(role))
        out[role] = [d for d in phone_domains()
                     if any(r.stream in streams
                            for r in importlib.import_module(f"sync.domains.{d}").RECORDS)]
    return out


def normalise(names: str | None) -> tuple[str, ...]:
    """A ``d`` parameter as a domain set in ``app/domains.js``'s order (unknown names are
    dropped: a page of a newer or older deploy); None (no parameter) means every domain."""
    if names is None:
        return phone_domains()
    wanted = {n.strip() for n in names.split(",") if n.strip()}
    return tuple(d for d in phone_domains() if d in wanted)


def bundle_rel(domains: tuple[str, ...]) -> str:
    """The served path of the worker bundle of a domain set."""
    if domains == phone_domains():
        return "app/sw.bundle.js"
    return f"app/sw.{'-'.join(domains) or 'core'}.bundle.js"


def domains_of(rel: str) -> tuple[str, ...] | None:
    """The domain set a bundle path names (None: not a worker bundle path)."""
    if rel == "app/sw.bundle.js":
        return phone_domains()
    m = re.fullmatch(r"app/sw\.([a-z_\-]+)\.bundle\.js", rel)
    if m is None or not _SET.match(m.group(1)):
        return None
    names = () if m.group(1) == "core" else tuple(m.group(1).split("-"))
    if set(names) - set(phone_domains()) or normalise(",".join(names)) != names:
        return None  # unknown, repeated or out of order: one path per set
    return names


def domains_module(domains: tuple[str, ...], source: str) -> str:
    """``app/domains.js`` (as served, ``source``) importing and listing only ``domains``."""
    kept: list[str] = []

    def keep(m: re.Match[str]) -> str:
        if m.group("dir") in domains:
            kept.append(m.group("name"))
            return m.group(0)
        return ""

    body = _IMPORT.sub(keep, source)
    return _LIST.sub(f"export const DOMAINS = [{', '.join(kept)}];", body)
