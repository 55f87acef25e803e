"""docs/protocol.md keeps up with the code: every mutation, rejection code and conflict kind
the engine knows is documented (a doc that drifts from the code is worse than none)."""

from __future__ import annotations

import re
from pathlib import Path

from sync import errors
from sync.mutations import default_registry, keys

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = (ROOT / "docs" / "protocol.md").read_text()


def _codes(module: object) -> set[str]:
    return {v for k, v in vars(module).items()
            if k.isupper() and isinstance(v, str) and re.fullmatch(r"[a-z_]+", v)}


def test_every_mutation_is_documented() -> None:
    for name in default_registry().names():
        assert f"`{name}`" in PROTOCOL, f"mutation {name} is not in docs/protocol.md"


def test_every_rejection_code_and_conflict_kind_is_documented() -> None:
    codes = _codes(errors) | (_codes(keys) - {keys.KEY, keys.LOAN})
    for code in sorted(codes):
        assert f"`{code}`" in PROTOCOL, f"code {code} is not in docs/protocol.md"


def test_every_endpoint_is_documented() -> None:
    for endpoint in ("POST /api/v1/devices", "POST /api/v1/sync/push",
                     "POST /api/v1/sync/pull", "PUT /api/v1/blobs/{sha256}",
                     "GET /api/v1/blobs/{sha256}"):
        assert endpoint in PROTOCOL
