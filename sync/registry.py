"""The mutation registry: every mutation the server accepts, with its argument type, what it
reads, which space it writes, who may run it, and its rules.

A domain module (``sync/mutations/keys.py``…) builds :class:`MutationSpec` objects and
registers them; :func:`sync.mutations.default_registry` collects every domain.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import msgspec

from sync.context import Context, Principal
from sync.errors import FORBIDDEN_ROLE, FORBIDDEN_SITE, INVALID_ARGS, Reject
from sync.storage import Lookup, Ref

A = TypeVar("A", bound=msgspec.Struct)


def _no_refs(_args: Any) -> list[Ref]:
    return []


def _no_lookups(_args: Any) -> list[Lookup]:
    return []


def _same_args(_schema_version: int, args: dict[str, Any]) -> dict[str, Any]:
    return args


@dataclass(frozen=True, slots=True)
class MutationSpec(Generic[A]):
    """One mutation.

    * ``args_type`` — a msgspec Struct with ``forbid_unknown_fields=True``; its constraints
      (``Meta``, ``Literal``, ``__post_init__``) are the argument validation.
    * ``refs(args)`` / ``lookups(args)`` — every record the rules read (the server loads them
      all in one query before applying the batch; a strict view refuses undeclared reads).
    * ``space(args, spaces)`` — the space the mutation writes; ``spaces`` maps the refs of the
      batch to the space of the existing record. ``""`` when it cannot be known (the rules
      will reject it, e.g. ``unknown_key``).
    * ``apply(ctx, args)`` — the rules; raise :class:`sync.errors.Reject` to refuse.
    * ``roles`` — roles allowed to run it.
    * ``creates(args)`` — refs of records it may create, in its own space, so that later
      mutations of the same batch (a lend right after a register) resolve their space.
    * ``upgrade(schema_version, raw_args)`` — raw args of an older accepted schema version
      converted to the current shape.
    """

    name: str
    args_type: type[A]
    refs: Callable[[A], list[Ref]]
    lookups: Callable[[A], list[Lookup]]
    space: Callable[[A, Mapping[Ref, str]], str]
    apply: Callable[[Context, A], None]
    roles: frozenset[str]
    creates: Callable[[A], list[Ref]] = _no_refs
    upgrade: Callable[[int, dict[str, Any]], dict[str, Any]] = _same_args
    description: str = field(default="", compare=False)

    def decode(self, args: dict[str, Any]) -> A:
        """The typed args, or :class:`Reject` ``invalid_args`` with a readable reason."""
        try:
            return msgspec.convert(args, self.args_type)
        except msgspec.ValidationError as exc:
            reason = str(exc).replace("`$.", "`args.").replace("`$`", "`args`")
            raise Reject(INVALID_ARGS, f"invalid arguments for {self.name}: {reason}") from None

    def authorize(self, actor: Principal, space: str) -> None:
        """:class:`Reject` unless ``actor`` may run this mutation in ``space``. An unknown
        space (``""``) passes: nothing exists there to read, and a write into it fails."""
        if actor.role not in self.roles:
            raise Reject(
                FORBIDDEN_ROLE,
                f"role {actor.role!r} may not run {self.name} "
                f"(allowed: {', '.join(sorted(self.roles))})",
            )
        if space and space not in actor.sites:
            raise Reject(FORBIDDEN_SITE, f"{self.name}: not assigned to site {space}")


# A spec of any args type (the registry holds many).
AnySpec = MutationSpec[Any]


class Registry:
    def __init__(self) -> None:
        self._specs: dict[str, AnySpec] = {}

    def register(self, spec: AnySpec) -> AnySpec:
        if spec.name in self._specs:
            raise ValueError(f"mutation {spec.name!r} is already registered")
        self._specs[spec.name] = spec
        return spec

    def get(self, name: str) -> AnySpec | None:
        return self._specs.get(name)

    def names(self) -> list[str]:
        return sorted(self._specs)

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __len__(self) -> int:
        return len(self._specs)
