"""The protocol's reference tables, written from the declarations.

``docs/protocol.md`` holds blocks between ``<!-- generated:NAME -->`` and
``<!-- end:NAME -->``; this module writes their contents (streams, record types, mutations)
from :mod:`sync.streams` and the domains' declarations, so the documentation cannot drift
from the code. ``tests/unit/test_docs.py`` fails when a block is stale;
``python -m sync.kit.docs`` rewrites them.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

from sync import streams
from sync.kit.args import Arg
from sync.kit.fields import Field
from sync.registry import Registry

PROTOCOL = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
_BLOCK = re.compile(r"(<!-- generated:(?P<name>[a-z]+) -->\n)(?P<body>.*?)(<!-- end:(?P=name) -->)",
                    re.S)


def _field(f: Field) -> str:
    kind: str = f.kind
    if f.ref:
        kind = f"→ {f.ref}"
    elif f.blob:
        kind = "blob" if f.kind != "list" else "list of blobs"
    elif f.choices:
        kind = "one of " + ", ".join(f"`{c}`" for c in f.choices)
    elif f.kind == "text" and f.text != "line":
        kind = f.text
    limits = []
    if f.max_length and not (f.blob and f.kind != "list"):
        limits.append(f"≤{f.max_length}" + (" items" if f.kind == "list" else ""))
    if f.nullable:
        limits.append("nullable")
    if f.personal:
        limits.append("personal")
    if f.server:
        limits.append("set by the server")
    extra = f" ({', '.join(limits)})" if limits else ""
    return f"`{f.name}` {kind}{extra}"


def streams_table() -> str:
    lines = ["| stream | read by (with admin and supervisor) | their jobs' units only | holds |",
             "|---|---|---|---|"]
    for s in streams.STREAMS:
        readers = ", ".join(r for r in streams.ROLES
                            if r in s.readers and r not in streams.EVERYTHING) or "—"
        by_unit = ", ".join(r for r in streams.ROLES if r in s.by_unit) or "—"
        lines.append(f"| `{s.name}` | {readers} | {by_unit} | {s.description} |")
    return "\n".join(lines)


def records_table(registry: Registry) -> str:
    lines = ["| type | stream | fields | gone when |", "|---|---|---|---|"]
    for t in registry.records:
        stream = f"`{t.stream}`" if t.stream else "its records' stream"
        fields = "; ".join(_field(f) for f in t.fields)
        tomb = t.tombstone
        gone = "—" if tomb is None else f"`{tomb.flag}` is `{str(tomb.deleted_value).lower()}`"
        lines.append(f"| `{t.name}` | {stream} | {fields} | {gone} |")
    return "\n".join(lines)


def _arg(a: Arg) -> str:
    name = a.name + ("" if a.required else "?")
    if a.fields:
        return f"{name}: {{one or more of {', '.join(sub.name for sub in a.fields)}}}"
    return name


def mutations_table(registry: Registry) -> str:
    lines = ["| name | args (`?` optional) | roles | what it does |", "|---|---|---|---|"]
    for m in registry.specs():
        args = ", ".join(_arg(a) for a in m.args)
        roles = ", ".join(r for r in streams.ROLES if r in m.roles)
        lines.append(f"| `{m.name}` | `{args}` | {roles} | {m.description} |")
    return "\n".join(lines)


def blocks(registry: Registry) -> dict[str, Callable[[], str]]:
    return {
        "streams": streams_table,
        "records": lambda: records_table(registry),
        "mutations": lambda: mutations_table(registry),
    }


def render(text: str, registry: Registry) -> str:
    """``text`` with every generated block rewritten."""
    makers = blocks(registry)

    def one(m: re.Match[str]) -> str:
        make = makers.get(m["name"])
        if make is None:
            raise KeyError(f"no generated block {m['name']!r}")
        return f"{m.group(1)}{make()}\n{m.group(4)}"

    return _BLOCK.sub(one, text)


def block_names(text: str) -> list[str]:
    return [m["name"] for m in _BLOCK.finditer(text)]


def main() -> int:
    from sync.domains import default_registry

    text = PROTOCOL.read_text()
    new = render(text, default_registry())
    if new != text:
        PROTOCOL.write_text(new)
        print(f"rewrote {PROTOCOL}")
    else:
        print(f"{PROTOCOL} is current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
