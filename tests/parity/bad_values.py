"""Values the declarations must refuse, by field kind: the parity cases' wrong arguments
(the phone's checks and the server's must refuse the same ones, with the same problem)."""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import strategies as st

from sync.kit.fields import Field

BLOBS = ["b" * 64, "c" * 64]  # uploaded by everyone
STRANGER = "d" * 64  # never uploaded
IDS = st.integers(0, 10**6).map(lambda n: str(uuid.UUID(int=n + 7 * 10**9, version=4)))


def bad_value(draw: Any, f: Field) -> Any:
    """A value of the right JSON type (mostly) that some check must refuse."""
    if f.kind == "uuid":
        return draw(st.one_of(IDS, st.sampled_from(["not-a-uuid", "", 7, None])))
    if f.kind == "ts":
        return draw(st.sampled_from([
            "9999-01-01T00:00:00+00:00", "0001-01-01T00:00:00+14:00", "2026-03-02T09:00:00",
            "2026-02-30T10:00:00Z", "yesterday", "2026-03-02 09:00:00Z", "2026-03-02T24:00:00Z",
            "2026-03-02T09:00:00+05:99", "1999-12-31T23:00:00-05:00", 5]))
    if f.kind == "bool":
        return draw(st.sampled_from(["yes", 1, None]))
    if f.kind == "list":
        return draw(st.sampled_from([[STRANGER], ["bad"], [1], "x", [BLOBS[0]] * 21]))
    if f.kind in ("int", "float"):
        return draw(st.sampled_from([-1, (f.maximum or 0) + 1, 0.5 if f.kind == "int" else "1",
                                     None, True]))
    options = ["", " ", "\u200b\u200b", "a\x00b", "K\u202e1-TAG", "tab\there", "line\nbreak",
               "\ufeffbom", "castle", 7, None]
    if f.max_length:
        options += ["x" * (f.max_length + 1), "陳" * (f.max_length + 1)]
    if f.text == "idpart":
        options += ["12", "12345", "12-4"]
    if f.blob:
        options += [STRANGER, "not-a-hash"]
    return draw(st.sampled_from(options))
