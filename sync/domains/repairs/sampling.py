"""Which repairs are followed up (回訪) by sample: a seeded, reproducible draw.

``sampled(seed, id, percent)`` hashes ``seed + ":" + id`` (UTF-8) with 32-bit FNV-1a and takes
the request when the hash modulo 100 is below ``percent``: the same seed picks the same
requests on every server and every phone (the twin is ``web/static/app/repairs/sampling.js``;
``tests/unit/test_repairs_sampling.py`` pins values on both sides), about ``percent`` in a
hundred of them, and another seed picks others. Complaints and low ratings are followed up
always, by the rules (:mod:`sync.domains.repairs.visit`), whatever the sample says."""

from __future__ import annotations

FNV_OFFSET = 0x811C9DC5
FNV_PRIME = 0x01000193
MASK = 0xFFFFFFFF


def fnv1a32(data: bytes) -> int:
    h = FNV_OFFSET
    for b in data:
        h ^= b
        h = (h * FNV_PRIME) & MASK
    return h


def sampled(seed: str, record_id: str, percent: int) -> bool:
    """Whether the request ``record_id`` is in the site's sample of ``percent`` per cent."""
    return fnv1a32(f"{seed}:{record_id}".encode()) % 100 < percent
