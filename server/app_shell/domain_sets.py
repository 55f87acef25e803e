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
older deploy).

A *phone domain* is one module listed in ``app/domains.js``: a domain's ``<name>/index.js``
(phone domain ``<name>``) or one of its phone parts, ``<name>/<part>.js`` (phone domain
``<name>_<part>``), which the domain declares once in ``PHONE_PARTS`` (part -> the mutations
whose rules and screens it carries; the index carries the others). The repairs' technician
screens are such a part: a desk's or a guard's phone does not carry them."""

from __future__ import annotations

import importlib
import re
from functools import cache
from pathlib import Path
from types import ModuleType

from sync.streams import ROLES, streams_of

STATIC = Path(__file__).resolve().parents[2] / "web" / "static"
DOMAINS_MODULE = "app/domains.js"
_IMPORT = re.compile(r'^import \* as (?P<name>[\w$]+) from '
                     r'"\./(?P<dir>[a-z][a-z_]*)/(?P<file>[a-z][a-z_]*)\.js";$', re.M)
_LIST = re.compile(r"^export const DOMAINS = \[[^\]]*\];$", re.M)
_SET = re.compile(r"^(?:core|[a-z][a-z_]*(?:-[a-z][a-z_]*)*)$")


def _phone_id(m: re.Match[str]) -> str:
    """The phone domain of an import line of ``app/domains.js``."""
    return m.group("dir") if m.group("file") == "index" else f"{m.group('dir')}_{m.group('file')}"


@cache
def _lines() -> dict[str, tuple[str, str]]:
    """phone domain -> (its Python domain, its module under web/static), in
    ``app/domains.js``'s order. A part that its domain does not declare in ``PHONE_PARTS`` is
    an error: the two copies say which mutations a phone part carries
    (tests/unit/test_phone_parts.py)."""
    out: dict[str, tuple[str, str]] = {}
    for m in _IMPORT.finditer(_domains_source()):
        phone, domain = _phone_id(m), m.group("dir")
        if phone != domain and phone not in _parts(_module(domain)):
            raise ValueError(f"{DOMAINS_MODULE}: {phone} is not in {domain}'s PHONE_PARTS")
        out[phone] = (domain, f"app/{domain}/{m.group('file')}.js")
    return out


def phone_modules() -> dict[str, str]:
    """phone domain -> its Python domain (the folder's name), in ``app/domains.js``'s order."""
    return {phone: domain for phone, (domain, _rel) in _lines().items()}


def module_rel(phone: str) -> str:
    """A phone domain's module under web/static (``app/repairs/visits.js``)."""
    return _lines()[phone][1]


@cache
def phone_domains() -> tuple[str, ...]:
    """The phone domains ``app/domains.js`` registers, in its order."""
    return tuple(phone_modules())


def _domains_source() -> str:
    return (STATIC / DOMAINS_MODULE).read_text(encoding="utf-8")


def _module(domain: str) -> ModuleType:
    return importlib.import_module(f"sync.domains.{domain}")


def _parts(module: ModuleType) -> dict[str, tuple[str, ...]]:
    return dict(getattr(module, "PHONE_PARTS", {}))


def phone_mutations(phone: str) -> tuple[str, ...]:
    """The mutations whose rules a phone domain carries: a part's as declared, the index's
    the domain's others."""
    module = _module(phone_modules()[phone])
    parts = _parts(module)
    if phone in parts:
        return tuple(parts[phone])
    in_parts = {name for names in parts.values() for name in names}
    return tuple(m.name for m in module.MUTATIONS if m.name not in in_parts)


@cache
def role_domains() -> dict[str, list[str]]:
    """role -> the phone domains it needs: a domain's index when the role reads one of its
    records' streams whole or may run one of the index's mutations (a guard reports a repair
    from a patrol anomaly without reading the repair records); a phone part when the role
    may run one of the part's mutations (the desk reads the visits but starts none)."""
    out: dict[str, list[str]] = {}
    for role in ROLES:
        streams = set(streams_of(role))
        out[role] = [d for d in phone_domains() if _needs(role, streams, d)]
    return out


def _needs(role: str, streams: set[str], phone: str) -> bool:
    module = _module(phone_modules()[phone])
    runs = {m.name for m in module.MUTATIONS if role in m.roles}
    if phone in _parts(module):
        return bool(runs & set(phone_mutations(phone)))
    return (any(r.stream in streams for r in module.RECORDS)
            or bool(runs & set(phone_mutations(phone))))


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
        if _phone_id(m) in domains:
            kept.append(m.group("name"))
            return m.group(0)
        return ""

    body = _IMPORT.sub(keep, source)
    return _LIST.sub(f"export const DOMAINS = [{', '.join(kept)}];", body)


@cache
def carried(domains: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """(record types, mutations) the kit of a worker carrying ``domains`` declares: the
    estate's records, conflicts and the office's reviews (every phone's), each carried
    domain's records, and the mutations whose rules the carried modules hold — a desk's
    worker does not carry the declarations of patrol or of the technician's visit mutations
    (a smaller /sw.js)."""
    from sync.domains import estate
    from sync.kit.conflicts import CONFLICT
    from sync.kit.reviews import REVIEW

    records = {CONFLICT.name, REVIEW.name, *(t.name for t in estate.RECORDS)}
    mutations: set[str] = set()
    for phone in domains:
        records |= {t.name for t in _module(phone_modules()[phone]).RECORDS}
        mutations |= set(phone_mutations(phone))
    return frozenset(records), frozenset(mutations)
