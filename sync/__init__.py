"""Caretaker sync engine, protocol v1 — pure Python.

This package imports nothing from Litestar, Piccolo or Jinja (tests/unit/test_purity.py
enforces it). The server implements the storage interface in :mod:`sync.storage`.
"""

SCHEMA_VERSION = 1
ACCEPTED_SCHEMA_VERSIONS = frozenset({SCHEMA_VERSION, SCHEMA_VERSION - 1}) - {0}
ORG_SPACE = "org"
