"""sync/ is pure Python: importing every module of it loads no web framework, ORM or template
engine, and no source file names one."""

from __future__ import annotations

import json
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import sync

pytestmark = pytest.mark.unit

FORBIDDEN = ("litestar", "piccolo", "jinja2", "server", "asyncpg", "sqlite3")
SYNC_DIR = Path(sync.__file__).parent


def sync_modules() -> list[str]:
    return sorted(["sync"] + [m.name for m in pkgutil.walk_packages([str(SYNC_DIR)], "sync.")])


def test_every_sync_module_is_found() -> None:
    names = sync_modules()
    for expected in ("sync.engine", "sync.hlc", "sync.registry", "sync.memory", "sync.client",
                     "sync.domains.keys.rules", "sync.testing", "sync.kit.args"):
        assert expected in names


def test_importing_sync_loads_no_server_library() -> None:
    code = (
        "import importlib, json, sys\n"
        f"for name in {sync_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=SYNC_DIR.parent)
    loaded = set(json.loads(out.stdout))
    assert not loaded & set(FORBIDDEN), loaded & set(FORBIDDEN)


def test_no_source_file_imports_them() -> None:
    pattern = re.compile(rf"^\s*(from|import)\s+({'|'.join(FORBIDDEN)})\b", re.M)
    offenders = [f"{path.relative_to(SYNC_DIR.parent)}: {m.group(0).strip()}"
                 for path in SYNC_DIR.rglob("*.py")
                 for m in pattern.finditer(path.read_text(encoding="utf-8"))]
    assert offenders == []
