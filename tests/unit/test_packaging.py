"""pyproject.toml declares exactly what the code imports, and constraints.txt pins what the
tests run with (both README commands install with it)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, packages_distributions, version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
OURS = {"server", "sync", "tests", "migrations"}
# declared for what they bring at run time, not imported by name
RUNTIME_ONLY = {
    "uvicorn": "imported by name too; [standard] adds uvloop and httptools",
}


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


# test support inside the packages (the convergence scenario's strategies): dev packages
TEST_SUPPORT = {ROOT / "sync" / "testing.py"}


def _files(*folders: str) -> list[Path]:
    out = []
    for folder in folders:
        if folder == "tests":
            out += sorted(TEST_SUPPORT)
        out += [p for p in (ROOT / folder).rglob("*.py") if p not in TEST_SUPPORT]
    return out


def _imports(*folders: str) -> set[str]:
    found: set[str] = set()
    for path in _files(*folders):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m not in OURS
            and m != "__future__"}


def _distributions(modules: set[str]) -> dict[str, set[str]]:
    owners = packages_distributions()
    return {m: {d.lower().replace("_", "-") for d in owners.get(m, [])} for m in modules}


def test_every_imported_package_is_declared() -> None:
    declared = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    dev = {_name(r) for r in PYPROJECT["project"]["optional-dependencies"]["dev"]}
    for module, dists in _distributions(_imports("server", "sync", "migrations")).items():
        assert dists & declared, f"the app imports {module} ({dists}): declare it"
    for module, dists in _distributions(_imports("tests")).items():
        assert dists & (declared | dev), f"the tests import {module} ({dists}): declare it"


def test_every_declared_package_is_imported() -> None:
    imported = set().union(*_distributions(_imports("server", "sync", "migrations")).values())
    for requirement in PYPROJECT["project"]["dependencies"]:
        name = _name(requirement)
        assert name in imported or name in RUNTIME_ONLY, f"nothing imports {name}: drop it"
    tests = set().union(*_distributions(_imports("tests")).values())
    for requirement in PYPROJECT["project"]["optional-dependencies"]["dev"]:
        name = _name(requirement)
        assert name in tests or name in {"pytest-asyncio", "ruff", "mypy"}, \
            f"no test imports {name}: drop it"


def test_the_constraints_pin_what_is_installed() -> None:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, pinned = line.partition("==")
            assert pinned, f"constraints.txt: {line!r} is not an exact pin"
            pins[name.lower().replace("_", "-")] = pinned
    declared = [*PYPROJECT["project"]["dependencies"],
                *PYPROJECT["project"]["optional-dependencies"]["dev"]]
    for requirement in declared:
        assert _name(requirement) in pins, f"{_name(requirement)} is not in constraints.txt"
    for name, pinned in pins.items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            continue  # a platform-only wheel (uvloop on Windows…)
        assert installed == pinned, f"{name}: installed {installed}, constraints {pinned}"
