"""The registry: every record type and every mutation the server accepts.

A domain (``sync/domains/<name>``) declares its record types (:mod:`sync.kit.records`) and
its mutations as :class:`MutationSpec` objects: arguments declared from record fields
(:mod:`sync.kit.args`), where its space comes from, who may run it, and its rule. Its module
exposes ``RECORDS`` and ``MUTATIONS``; :func:`sync.domains.default_registry` collects every
domain named in ``sync/domains/__init__.py``.

Everything here except ``apply``, ``lookups`` and ``check`` is data the phone receives too
(:mod:`sync.kit.export`): the phone decodes, places and authorises a mutation exactly as the
server does, and runs its own copy of the rule (tied by ``tests/parity``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sync import streams
from sync.buckets import UNIT_FIELD, Jobs
from sync.context import Context, Principal
from sync.errors import FORBIDDEN_ROLE, FORBIDDEN_SITE, Reject
from sync.kit.args import Arg, ArgsSpec, Check
from sync.kit.records import RecordType, RecordTypes
from sync.storage import Lookup, Ref


def _no_lookups(_args: Any) -> list[Lookup]:
    return []


def _same_args(_schema_version: int, args: dict[str, Any]) -> dict[str, Any]:
    return args


@dataclass(frozen=True, slots=True)
class SpaceFrom:
    """Where a mutation's space comes from: the space of the existing ``record`` named by
    argument ``arg``, or (``stream`` given) the space of ``stream`` at the site ``arg``
    names. :meth:`MutationSpec.space` takes the first one that resolves."""

    arg: str
    record: str = ""
    stream: str = ""


@dataclass(frozen=True)
class MutationSpec:
    """One mutation.

    * ``args`` — declared arguments; ``check(a)`` — cross-field checks (problems);
    * ``space_from`` — where its space comes from; ``""`` when it cannot be known (the rule
      rejects it, e.g. ``unknown_key``);
    * ``apply(ctx, a)`` — the rule; raise :class:`sync.errors.Reject` to refuse;
    * ``roles`` — who may run it;
    * ``creates`` — (record type, argument) of records it may create in its own space, so that
      later mutations of the same batch (a lend right after a register) resolve their space;
    * ``lookups(a)`` — records the rule finds by a field value (the server loads them with
      the records named by the arguments' references, in one query per push);
    * ``follows`` — (argument, field): the record that field of the record the argument
      names refers to (a key's unit, for key.update's checks), loaded after the first;
    * ``upgrade(schema_version, raw_args)`` — arguments of an older accepted schema version
      in the current shape.
    """

    name: str
    args: tuple[Arg, ...]
    space_from: tuple[SpaceFrom, ...]
    apply: Callable[[Context, Any], None]
    roles: frozenset[str]
    check: Check | None = None
    creates: tuple[tuple[str, str], ...] = ()
    lookups: Callable[[Any], list[Lookup]] = _no_lookups
    follows: tuple[tuple[str, str], ...] = ()
    upgrade: Callable[[int, dict[str, Any]], dict[str, Any]] = _same_args
    label: str = field(default="", compare=False)  # the audit's words for it ("Lent")
    description: str = field(default="", compare=False)
    decoder: ArgsSpec = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "decoder", ArgsSpec(self.name, self.args, self.check))
        names = {a.name for a in self.args}
        for s in self.space_from:
            if s.arg not in names or bool(s.record) == bool(s.stream):
                raise ValueError(f"{self.name}: bad space_from {s}")

    def decode(self, args: Mapping[str, Any]) -> Any:
        """The arguments in their stored form, or :class:`Reject` ``invalid_args``."""
        return self.decoder.decode(args)

    def refs(self, a: Any) -> list[Ref]:
        """Every record the arguments name (uuid arguments with a record type, nested
        corrections included): the server loads them all before the rules run."""
        out = []
        for arg in self.args:
            if arg.fields:
                given = getattr(a, arg.name)
                for sub in arg.fields:
                    value = given.get(sub.name)
                    if sub.field.kind == "uuid" and sub.field.ref and value:
                        out.append(Ref(sub.field.ref, value))
                continue
            f = arg.field
            if f.kind == "uuid" and f.ref:
                value = getattr(a, arg.name)
                if value:
                    out.append(Ref(f.ref, value))
        return out

    def blobs(self, a: Any) -> list[str]:
        """Every blob the arguments name."""
        out: list[str] = []
        for arg in self.args:
            if arg.field.blob:
                value = getattr(a, arg.name)
                if isinstance(value, str) and value:
                    out.append(value)
                elif isinstance(value, list):
                    out += value
        return out

    def space(self, a: Any, known: Mapping[Ref, str]) -> str:
        for s in self.space_from:
            value = getattr(a, s.arg)
            if not isinstance(value, str) or not value:
                continue
            if s.stream:
                return streams.space(value, s.stream)
            found = known.get(Ref(s.record, value))
            if found:
                return found
        return ""

    def created(self, a: Any) -> list[Ref]:
        return [Ref(t, getattr(a, name)) for t, name in self.creates]

    def authorize(self, actor: Principal, space: str) -> None:
        """:class:`Reject` unless ``actor`` may run this mutation in ``space``. An unknown
        space (``""``) passes: nothing exists there to read, and a write into it fails."""
        if actor.role not in self.roles:
            raise Reject(
                FORBIDDEN_ROLE,
                f"role {actor.role!r} may not run {self.name} "
                f"(allowed: {', '.join(sorted(self.roles))})",
            )
        site = streams.site_of(space)
        if site and site not in actor.sites:
            raise Reject(FORBIDDEN_SITE, f"{self.name}: not assigned to site {site}")


# A spec of any args type (the registry holds many).
AnySpec = MutationSpec


class Registry:
    """The mutations and record types of every registered domain."""

    def __init__(self) -> None:
        self._specs: dict[str, MutationSpec] = {}
        self.records = RecordTypes()
        # what makes a record someone's job (a domain's JOBS): filtered streams' buckets
        self.jobs: list[Jobs] = []

    def register(self, spec: MutationSpec) -> MutationSpec:
        if spec.name in self._specs:
            raise ValueError(f"mutation {spec.name!r} is already registered")
        self._specs[spec.name] = spec
        return spec

    def declare(self, types: Iterable[RecordType]) -> None:
        for t in types:
            if t.stream and t.stream not in streams.BY_NAME:
                raise ValueError(f"{t.name}: unknown stream {t.stream!r}")
            self.records.add(t)

    def declare_jobs(self, jobs: Jobs) -> None:
        if jobs.record_type not in self.records:
            raise ValueError(f"jobs of undeclared record type {jobs.record_type!r}")
        self.jobs.append(jobs)

    def has_unit(self, type_: str) -> bool:
        """Whether records of ``type_`` have the unit field filtered streams split by."""
        t = self.records.get(type_)
        return t is not None and UNIT_FIELD in t.by_field

    def get(self, name: str) -> MutationSpec | None:
        return self._specs.get(name)

    def names(self) -> list[str]:
        return sorted(self._specs)

    def specs(self) -> list[MutationSpec]:
        return [self._specs[n] for n in sorted(self._specs)]

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __len__(self) -> int:
        return len(self._specs)
