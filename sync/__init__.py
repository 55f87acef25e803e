"""Caretaker sync engine, protocol v1 — pure Python.

This package imports nothing from Litestar, Piccolo or Jinja (tests/unit/test_purity.py
enforces it). The server implements the storage interface in :mod:`sync.storage`.

Schema versions: 1 — spaces were whole sites; 2 — spaces are site × stream
(:mod:`sync.streams`), records carry ``field_hlc``, mutations may only name known blobs.
"""

SCHEMA_VERSION = 2
ACCEPTED_SCHEMA_VERSIONS = frozenset({SCHEMA_VERSION, SCHEMA_VERSION - 1}) - {0}
ORG_SPACE = "org"
