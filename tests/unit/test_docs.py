"""docs/protocol.md keeps up with the code: every mutation, rejection code, conflict kind,
record type and stream the engine knows is documented (a doc that drifts from the code is
worse than none)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from sync import SCHEMA_VERSION, errors, streams
from sync.domains import DOMAINS, default_registry

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = (ROOT / "docs" / "protocol.md").read_text()


def _constants(module: object) -> set[str]:
    return {v for k, v in vars(module).items()
            if k.isupper() and isinstance(v, str) and re.fullmatch(r"[a-z_]+", v)}


def rejection_codes() -> set[str]:
    codes = _constants(errors)
    for name in DOMAINS:
        module = importlib.import_module(name)
        rules = getattr(module, "rules", None)
        codes |= set(getattr(rules, "CODES", ()))
    return codes


def conflict_kinds() -> set[str]:
    """Every kind a declaration names (the rules raise them inline, as strings)."""
    kinds = {"field_overwritten"}
    for t in default_registry().records:
        kinds |= set(t.conflict_kinds)
    return kinds


def test_the_lists_are_found() -> None:
    assert {"invalid_args", "unknown_blob", "already_exists", "code_shows_unit"} <= \
        rejection_codes()
    assert {"double_loan", "double_return", "return_before_loan"} <= conflict_kinds()


def test_every_mutation_is_documented() -> None:
    for name in default_registry().names():
        assert f"`{name}`" in PROTOCOL, f"mutation {name} is not in docs/protocol.md"


def test_every_rejection_code_is_documented() -> None:
    for code in sorted(rejection_codes()):
        assert f"`{code}`" in PROTOCOL, f"code {code} is not in docs/protocol.md"


def test_every_conflict_kind_is_documented() -> None:
    for kind in sorted(conflict_kinds()):
        assert f"`{kind}`" in PROTOCOL, f"conflict kind {kind} is not in docs/protocol.md"


def test_every_raised_conflict_kind_is_declared() -> None:
    """A rule that raises a kind its record type does not declare would escape the docs."""
    raised = set()
    for path in (ROOT / "sync" / "domains").rglob("*.py"):
        raised |= set(re.findall(r"""\.conflict\(\s*["']([a-z_]+)["']""", path.read_text()))
    assert raised and raised <= conflict_kinds(), raised - conflict_kinds()


def test_every_record_type_and_stream_is_documented() -> None:
    for t in default_registry().records:
        assert f"`{t.name}`" in PROTOCOL, f"record type {t.name} is not in docs/protocol.md"
    for s in streams.STREAMS:
        assert f"`{s.name}`" in PROTOCOL, f"stream {s.name} is not in docs/protocol.md"
    assert f"schema version {SCHEMA_VERSION}" in PROTOCOL


def test_every_endpoint_is_documented() -> None:
    for endpoint in ("POST /api/v1/devices", "POST /api/v1/sync/push",
                     "POST /api/v1/sync/pull", "PUT /api/v1/blobs/{sha256}",
                     "GET /api/v1/blobs/{sha256}"):
        assert endpoint in PROTOCOL


def test_the_generated_tables_are_current() -> None:
    """Streams, record types and mutations are written from the declarations."""
    from sync.kit import docs

    assert docs.block_names(PROTOCOL) == ["streams", "records", "mutations"]
    assert docs.render(PROTOCOL, default_registry()) == PROTOCOL, (
        "docs/protocol.md is stale: run python -m sync.kit.docs")


def test_a_stale_table_is_noticed() -> None:
    from sync.kit import docs

    stale = PROTOCOL.replace("| `key.lend` |", "| `key.lend_old` |")
    assert stale != PROTOCOL
    assert docs.render(stale, default_registry()) == PROTOCOL
