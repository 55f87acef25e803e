"""The repair screens on the phone speak of every refusal and conflict the repair rules can
give: each rejection code has the phone's own words (words.js, shown beside the form field
and in the inbox), and each declared conflict kind is listed by the domain (index.js) and
put in plain words (words.js). Read from the sources, no JavaScript run."""

from __future__ import annotations

import re
from pathlib import Path

from sync.domains.repairs.common import CODES
from sync.domains.repairs.records import RECORDS

PHONE = Path(__file__).resolve().parents[2] / "web" / "static" / "app" / "repairs"


def test_every_rejection_code_has_the_phones_words() -> None:
    words = (PHONE / "words.js").read_text()
    table = words.split("function refusalWords()", 1)[1].split("\n}\n", 1)[0]
    listed = set(re.findall(r"^\s+(\w+): \[", table, re.M))
    assert listed == set(CODES)


def test_every_conflict_kind_is_listed_and_put_in_words() -> None:
    kinds = {k for r in RECORDS for k in r.conflict_kinds}
    index = (PHONE / "index.js").read_text()
    m = re.search(r"export const CONFLICT_KINDS = \[([^\]]*)\];", index)
    assert m is not None
    assert set(re.findall(r'"(\w+)"', m.group(1))) == kinds
    words = (PHONE / "words.js").read_text()
    for kind in kinds:
        assert f'd.kind === "{kind}"' in words, kind
