"""The service worker's modules as one file (``app/sw.bundle.js``), as phones download them.

The worker's ES modules stay small files in the repository (checked by tsc, read by people);
a phone fetches all of them before its first use, and gzip compresses one file of them far
better than forty-odd files one by one (the shell's bar is 80 KB compressed). So the server
joins them: each module (without its comment lines, :mod:`.slim`) becomes a function that
runs once, in dependency order, and returns its exports; its ``import``s read the exports of
the modules that ran before it. No module is rewritten beyond its ``import``/``export``
lines and ``import.meta.url`` (the module's own URL, so relative URLs still resolve).

The app's modules keep to what this needs, and :func:`bundle` refuses anything else: named
imports and exports only (no default export), no import cycle, no ``import``/``export``
statement inside a template literal. ``tests/unit/test_app_worker.py`` parses the result.

Between modules, an export travels under a short name (``$a``, ``$b``…: one per exported name,
the same in every module): the minifier shortens local names but not the keys of the objects
the modules hand each other, and those names were about 3 % of the compressed bundle. A
module imported whole (``import * as ns``: the domains, whose exports are read by name) and
the entry keep their names.

This join is what the server serves for a domain set when ``web/prebuilt/`` holds no
*current* esbuild bundle of it (:mod:`.prebuild`). The field roles' sets (and the core) are
bundled ahead of time by esbuild from the same slimmed modules — scope hoisting and tree
shaking, about a tenth fewer compressed bytes — because production servers have no Node;
each prebuilt bundle is served only while the digest of its inputs (every module's slimmed
text with its served URL, the set, esbuild's pinned version and options) is the one
recorded in ``web/prebuilt/manifest.json``. Rerun ``python -m server.app_shell.prebuild``
after changing web/static/app (tests/unit/test_prebuilt.py fails while a bundle is stale)."""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable

ENTRY = "app/sw.js"
BUNDLE = "app/sw.bundle.js"
MODULES = "__m"  # the joined modules' exports, by path (no app module uses the name)

_FROM = r"""\s*from\s*["'](?P<spec>[^"']+)["']\s*;"""
IMPORT_NAMED = re.compile(r"^import\s*\{(?P<names>[^}]*)\}" + _FROM, re.M)
IMPORT_ALL = re.compile(r"^import\s*\*\s*as\s+(?P<name>[\w$]+)" + _FROM, re.M)
IMPORT_ANY = re.compile(r"^import\b(?!\s*\()", re.M)
EXPORT_DECL = re.compile(
    r"^export\s+(?P<kind>async\s+function\s*\*?|function\s*\*?|const|let|class)\s+"
    r"(?P<name>[\w$]+)", re.M)
EXPORT_LIST = re.compile(
    r"^export\s*\{(?P<names>[^}]*)\}(?:\s*from\s*[\"'](?P<spec>[^\"']+)[\"'])?\s*;", re.M)
EXPORT_ANY = re.compile(r"^export\b", re.M)
IMPORT_META_URL = "import.meta.url"


class BundleError(ValueError):
    """A module uses a form the bundler does not handle."""


def _target(rel: str, spec: str) -> str:
    if not spec.startswith("."):
        raise BundleError(f"{rel}: only relative imports are bundled ({spec!r})")
    return posixpath.normpath(posixpath.join(posixpath.dirname(rel), spec))


def _pairs(names: str) -> list[tuple[str, str]]:
    """``a, b as c`` -> [(a, a), (b, c)]: (the exported name, the local name)."""
    out = []
    for part in names.split(","):
        words = part.split()
        if not words:
            continue
        if len(words) == 3 and words[1] == "as":
            out.append((words[0], words[2]))
        elif len(words) == 1:
            out.append((words[0], words[0]))
        else:
            raise BundleError(f"cannot read the import/export list {names!r}")
    return out


def _ref(rel: str) -> str:
    return f"{MODULES}[{json.dumps(rel)}]"


class Names:
    """The short names exports travel under (:data:`Names.keep`: the modules that keep
    theirs)."""

    def __init__(self, keep: set[str] | None = None) -> None:
        self.keep = keep if keep is not None else set()
        self._short: dict[str, str] = {}

    def of(self, rel: str, name: str) -> str:
        """The key of ``rel``'s export ``name`` in the object the module returns."""
        if rel in self.keep:
            return name
        if name not in self._short:
            n, out = len(self._short), ""
            while True:
                n, r = divmod(n, 52)
                out += "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"[r]
                if not n:
                    break
            self._short[name] = "$" + out
        return self._short[name]


def module_function(rel: str, source: str, url: str,
                    names: Names | None = None) -> tuple[str, list[str]]:
    """One module as a function body that returns its exports; and the modules it imports."""
    deps: list[str] = []
    key = (names or Names(keep={rel})).of

    def named(m: re.Match[str]) -> str:
        dep = _target(rel, m.group("spec"))
        deps.append(dep)
        pairs = ", ".join(
            b if key(dep, a) == b else f"{key(dep, a)}: {b}" for a, b in _pairs(m.group("names")))
        return f"const {{ {pairs} }} = {_ref(dep)};"

    def star(m: re.Match[str]) -> str:
        dep = _target(rel, m.group("spec"))
        deps.append(dep)
        return f"const {m.group('name')} = {_ref(dep)};"

    body = IMPORT_NAMED.sub(named, source)
    body = IMPORT_ALL.sub(star, body)
    if IMPORT_ANY.search(body):
        raise BundleError(f"{rel}: an import form the bundler does not handle")
    exports: list[str] = []

    def listed(m: re.Match[str]) -> str:
        spec = m.group("spec")
        if spec:
            dep = _target(rel, spec)
            deps.append(dep)
            exports.extend(f"{key(rel, b)}: {_ref(dep)}.{key(dep, a)}"
                           for a, b in _pairs(m.group("names")))
        else:
            exports.extend(f"{key(rel, b)}: {a}" for a, b in _pairs(m.group("names")))
        return ""

    body = EXPORT_LIST.sub(listed, body)

    def declared(m: re.Match[str]) -> str:
        name = m.group("name")
        exports.append(name if key(rel, name) == name else f"{key(rel, name)}: {name}")
        return f"{m.group('kind')} {name}"

    body = EXPORT_DECL.sub(declared, body)
    if EXPORT_ANY.search(body):
        raise BundleError(f"{rel}: an export form the bundler does not handle")
    body = body.replace(IMPORT_META_URL, f"(self.location.origin + {json.dumps(url)})")
    return f"{body}\nreturn {{ {', '.join(exports)} }};", deps


def _imported_whole(read: Callable[[str], str], entry: str) -> set[str]:
    """The modules reachable from ``entry`` that some module imports whole
    (``import * as``): their exports are read by name, so they keep their names."""
    seen: set[str] = set()
    whole: set[str] = set()
    todo = [entry]
    while todo:
        rel = todo.pop()
        if rel in seen:
            continue
        seen.add(rel)
        source = read(rel)
        for m in IMPORT_ALL.finditer(source):
            whole.add(_target(rel, m.group("spec")))
        for pattern in (IMPORT_NAMED, IMPORT_ALL, EXPORT_LIST):
            todo += [_target(rel, m.group("spec")) for m in pattern.finditer(source)
                     if m.group("spec")]
    return whole


def bundle(read: Callable[[str], str], url_of: Callable[[str], str],
           entry: str = ENTRY) -> str:
    """The modules reachable from ``entry`` as one ES module exporting ``entry``'s exports.
    ``read(rel)`` gives a module's (slimmed) text, ``url_of(rel)`` its served URL."""
    parts: dict[str, tuple[str, list[str]]] = {}
    order: list[str] = []
    active: list[str] = []
    names = Names(keep={entry, *_imported_whole(read, entry)})

    def visit(rel: str) -> None:
        if rel in active:
            raise BundleError("import cycle: " + " -> ".join([*active, rel]))
        if rel in parts:
            return
        active.append(rel)
        parts[rel] = module_function(rel, read(rel), url_of(rel), names)
        for dep in parts[rel][1]:
            visit(dep)
        active.pop()
        order.append(rel)

    visit(entry)
    out = [f"// the staff app's worker modules, joined (server/app_shell/bundle.py)\n"
           f"const {MODULES} = {{}};\n"]
    for rel in order:
        out.append(f"{_ref(rel)} = (() => {{\n{parts[rel][0]}\n}})();\n")
    exported = re.findall(r"^export\s+(?:async\s+function|function|const|let|class)\s+([\w$]+)",
                          read(entry), re.M)
    out.append(f"export const {{ {', '.join(exported)} }} = {_ref(entry)};\n")
    return "".join(out)
