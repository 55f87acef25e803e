"""The handover's draft on the phone (web/static/app/desk/handover_draft.js, run under Node):
what the outgoing person's phone sums up from its records — only the sections of the streams
it holds, the shift's rounds, the open items oldest first and capped, their counts whole."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DRAFT = ROOT / "web" / "static" / "app" / "desk" / "handover_draft.js"
START = "2026-12-07T00:00:00.000Z"
END = "2026-12-07T12:00:00.000Z"


def _at(hour: float) -> str:
    """A time on the test day (hours from midnight UTC; negative: the day before)."""
    at = datetime(2026, 12, 7, tzinfo=UTC) + timedelta(hours=hour)
    return at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _rec(id_: str, **data: Any) -> dict[str, Any]:
    return {"k": id_, "type": "x", "id": id_, "space": "S:x", "data": data}


def _draft(held: dict[str, list[dict[str, Any]]], names: dict[str, str]) -> dict[str, Any]:
    script = (
        f"import {{ draftSummary }} from {json.dumps(DRAFT.as_uri())};\n"
        "const [held, names, start, end] = JSON.parse(process.argv[1]);\n"
        "console.log(JSON.stringify(draftSummary(held, new Map(Object.entries(names)),"
        " Date.parse(start), Date.parse(end))));\n")
    done = subprocess.run(
        [shutil.which("node") or "node", "--input-type=module", "-e", script,
         json.dumps([held, names, START, END])],
        capture_output=True, text=True, timeout=60, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(done.stdout))


def test_a_desk_phone_drafts_keys_cards_requests_and_visitors() -> None:
    s = _draft({
        "loans": [_rec("l1", key_id="k1", borrower_name="陳大文", due_at=_at(11)),
                  _rec("l2", key_id="k2", borrower_name="李小明", due_at=_at(14)),
                  _rec("l3", key_id="k3", borrower_name="黃先生", due_at=_at(-3))],
        "cards": [_rec("c1", number="C1", status="in_stock"),
                  _rec("c2", number="C2", status="in_stock"),
                  _rec("c3", number="C3", status="lost", blacklisted_at=_at(3)),
                  _rec("c4", number="C4", status="revoked", blacklisted_at=_at(1)),
                  _rec("c5", number="C5", status="damaged", door_taken_at=_at(2)),
                  _rec("c6", number="C6", status="issued")],
        "requests": [_rec("r1", number="R-2", state="assigned", unit_id="u1", reported_at=_at(2)),
                     _rec("r2", number="R-1", state="new", unit_id=None, area="大堂",
                          reported_at=_at(1)),
                     _rec("r3", number="R-0", state="done", unit_id="u1", reported_at=_at(0))],
        "visitors": [_rec("v1", name="訪客甲", unit_id="u1", badge="B7", time_in=_at(9),
                          time_out=None),
                     _rec("v2", name="訪客乙", unit_id="u1", badge="", time_in=_at(8),
                          time_out=_at(10))],
    }, {"k1": "HYG-K001", "k2": "HYG-K002", "k3": "HYG-K003", "u1": "1A-0101"})
    # a desk's phone holds no patrol records: no rounds or incidents section
    assert set(s) == {"keys_out", "keys_overdue", "cards_in_stock", "blacklists_pending",
                      "requests_open", "visitors_inside"}
    # blacklisted and not yet taken by the door system: C3 and C4 (C5 was taken)
    assert (s["keys_out"], s["cards_in_stock"], s["blacklists_pending"]) == (3, 2, 2)
    # oldest first: the loan due yesterday, then the one due before the shift's end
    assert s["keys_overdue"] == [
        {"label": "HYG-K003", "name": "黃先生", "at": _at(-3)},
        {"label": "HYG-K001", "name": "陳大文", "at": _at(11)}]
    assert s["requests_open"] == [
        {"label": "R-1", "place": "大堂", "at": _at(1), "status": "new"},
        {"label": "R-2", "place": "1A-0101", "at": _at(2), "status": "assigned"}]
    assert s["visitors_inside"] == [{"label": "訪客甲", "place": "1A-0101", "badge": "B7",
                                     "at": _at(9)}]


def test_a_guards_phone_drafts_the_shifts_rounds_and_incidents() -> None:
    rounds = [
        _rec("a", route_id="rt", status="done", slot_at=_at(1), due_by=_at(2), finished_at=_at(2)),
        _rec("b", route_id="rt", status="incomplete", slot_at=_at(3), due_by=_at(4),
             finished_at=_at(4)),
        _rec("c", route_id="rt", status="done", slot_at=_at(-5), due_by=_at(-4),
             finished_at=_at(-4)),  # the shift before
        _rec("d", route_id="rt", status="missed", slot_at=_at(5), due_by=_at(6), finished_at=None),
        _rec("e", route_id="rt2", status="planned", slot_at=_at(7), due_by=_at(8),
             finished_at=None),  # past due, not yet marked missed by the server
        _rec("f", route_id="rt", status="planned", slot_at=_at(12), due_by=_at(13),
             finished_at=None),  # still to come
        _rec("g", route_id="rt", status="missed", slot_at=_at(-9), due_by=_at(-8),
             finished_at=None),  # missed in the shift before
    ]
    s = _draft({
        "rounds": rounds,
        "incidents": [_rec("i1", description="後樓梯燈壞" * 20, checkpoint_id="cp", status="open",
                           reported_at=_at(2)),
                      _rec("i2", description="已修好", checkpoint_id="cp", status="closed",
                           reported_at=_at(1)),
                      _rec("i3", description="消防門未關", checkpoint_id="cp",
                           status="acknowledged", reported_at=_at(-1))],
        "visitors": [],
    }, {"rt": "夜間巡邏", "rt2": "停車場巡邏", "cp": "B座後樓梯"})
    # a guard's phone holds no keys, cards or repair requests: none of their sections
    assert set(s) == {"rounds_done", "rounds_missed", "incidents_open", "visitors_inside"}
    assert s["rounds_done"] == 2  # finished in the shift (an incomplete round too)
    assert s["rounds_missed"] == [{"label": "夜間巡邏", "at": _at(5), "status": "missed"},
                                  {"label": "停車場巡邏", "at": _at(7), "status": "planned"}]
    assert [i["status"] for i in s["incidents_open"]] == ["acknowledged", "open"]
    assert s["incidents_open"][1]["label"] == ("後樓梯燈壞" * 20)[:80]
    assert s["incidents_open"][0]["place"] == "B座後樓梯"
    assert s["visitors_inside"] == []


def test_the_lists_are_capped_and_their_totals_kept() -> None:
    visitors = [_rec(f"v{i}", name=f"訪客{i:02d}", unit_id="u", badge="", time_in=_at(i / 10),
                     time_out=None) for i in range(25, 0, -1)]
    s = _draft({"visitors": visitors}, {})
    assert s["totals"] == {"visitors_inside": 25}
    assert [v["label"] for v in s["visitors_inside"]] == [f"訪客{i:02d}" for i in range(1, 21)]
    # a list within the cap has no total: its length is its count
    assert "totals" not in _draft({"visitors": visitors[:20]}, {})
